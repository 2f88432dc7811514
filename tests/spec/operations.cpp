// Spec runner: the unified-format operations, each mapped onto the libmongoc helper a driver user
// would call (so command monitoring shows what libmongoc really sends), plus testRunner operations.
#include "operations.h"

#include <chrono>
#include <functional>
#include <map>
#include <set>

namespace spec {
namespace {

// Arguments of one operation: named ones are taken out, the rest become libmongoc "opts" (which
// libmongoc forwards to the command), with `session` turned into the session's lsid.
class Args {
  public:
    Args(const Doc& args, EntityMap& entities) : args_(args), entities_(entities) {}

    bool has(const char* key) const { return args_.has(key); }
    Doc doc(const char* key) {
        taken_.insert(key);
        return args_.doc(key);
    }
    std::optional<Doc> opt_doc(const char* key) {
        if (!has(key)) return std::nullopt;
        return doc(key);
    }
    std::string str(const char* key) {
        taken_.insert(key);
        return args_.str(key);
    }
    std::optional<bson_iter_t> iter(const char* key) {
        taken_.insert(key);
        return args_.find(key);
    }
    bool flag(const char* key, bool fallback) {
        taken_.insert(key);
        return args_.flag(key, fallback);
    }
    Doc opts();

  private:
    const Doc& args_;
    EntityMap& entities_;
    std::set<std::string> taken_;
};

Doc Args::opts() {
    Doc opts;
    bson_error_t error;
    for_each(args_.get(), [&](const char* key, const bson_iter_t& it) {
        if (taken_.count(key) > 0) return;
        if (std::string(key) == "session") {
            mongoc_client_session_t* session = entities_.session(bson_iter_utf8(&it, nullptr));
            if (!mongoc_client_session_append(session, opts.get(), &error)) {
                throw TestFailure(std::string("session: ") + error.message);
            }
            return;
        }
        bson_append_iter(opts.get(), key, -1, &it);
    });
    return opts;
}

// What libmongoc reports for a failed call, turned into an OperationError.
[[noreturn]] void raise(const bson_error_t& error, const bson_t* reply,
                        std::optional<Value> partial = std::nullopt) {
    OperationError failure;
    // With error API version 2, errors coming from a server response use these two domains;
    // everything else (validation, network, selection) originates in the driver.
    failure.client_side =
        error.domain != MONGOC_ERROR_SERVER && error.domain != MONGOC_ERROR_WRITE_CONCERN;
    failure.code = error.code;
    failure.message = error.message;
    if (reply != nullptr) failure.reply = Doc::copy_of(reply);
    failure.partial_result = std::move(partial);
    throw failure;
}

std::vector<Doc> drain(mongoc_cursor_t* cursor) {
    std::vector<Doc> docs;
    const bson_t* doc = nullptr;
    while (mongoc_cursor_next(cursor, &doc))
        docs.push_back(Doc::copy_of(doc));
    bson_error_t error;
    const bson_t* reply = nullptr;
    if (mongoc_cursor_error_document(cursor, &error, &reply)) {
        Doc reply_copy = Doc::copy_of(reply);
        mongoc_cursor_destroy(cursor);
        raise(error, reply_copy.get());
    }
    mongoc_cursor_destroy(cursor);
    return docs;
}

OpResult documents(mongoc_cursor_t* cursor) {
    return {Value::of_array(drain(cursor)), Root::kElements, nullptr};
}

OpResult document(const bson_t* doc) {
    return {Value::of_doc(doc), Root::kYes, nullptr};
}

OpResult scalar(Value value) {
    return {std::move(value), Root::kNo, nullptr};
}

// listIndexNames, listCollectionNames, listDatabaseNames: the "name" of each listed document.
OpResult names_of(const OpResult& listing) {
    Doc holder;
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(holder.get(), "v", &array);
    size_t i = 0;
    for (Doc& info : docs_of_array(listing.value->iter())) {
        std::string key = std::to_string(i++);
        BSON_APPEND_UTF8(&array, key.c_str(), info.str("name").c_str());
    }
    bson_append_array_end(holder.get(), &array);
    return scalar(Value::of_iter(holder.at("v")));
}

OpResult string_result(const std::string& text) {
    Doc holder;
    BSON_APPEND_UTF8(holder.get(), "v", text.c_str());
    return scalar(Value::of_iter(holder.at("v")));
}

OpResult none() {
    return {std::nullopt, Root::kNo, nullptr};
}

OpResult int64_result(int64_t n) {
    Doc holder;
    bson_append_int64(holder.get(), "v", 1, n);
    return scalar(Value::of_iter(*holder.find("v")));
}

// The update document or pipeline an argument holds, as libmongoc takes it.
Doc update_of(Args& args, const char* key) {
    return args.doc(key);
}

int64_t count_of(const bson_t* reply, const char* key) {
    bson_iter_t it;
    return bson_iter_init_find(&it, reply, key) ? bson_iter_as_int64(&it) : 0;
}

// insert_many replies with the CRUD name, bulk operations with the legacy one.
int64_t inserted_count(const bson_t* reply) {
    bson_iter_t it;
    return bson_iter_init_find(&it, reply, "insertedCount") ? bson_iter_as_int64(&it)
                                                            : count_of(reply, "nInserted");
}

// libmongoc's bulk reply (nInserted, upserted: [{index, _id}], ...) as a CRUD BulkWriteResult.
// insertedIds is left out: libmongoc does not report generated ids (tests accept its absence).
Value bulk_write_result(const bson_t* reply) {
    Doc result;
    bson_append_int64(result.get(), "deletedCount", -1, count_of(reply, "nRemoved"));
    bson_append_int64(result.get(), "insertedCount", -1, inserted_count(reply));
    bson_append_int64(result.get(), "matchedCount", -1, count_of(reply, "nMatched"));
    bson_append_int64(result.get(), "modifiedCount", -1, count_of(reply, "nModified"));
    bson_append_int64(result.get(), "upsertedCount", -1, count_of(reply, "nUpserted"));
    bson_t upserted_ids;
    bson_append_document_begin(result.get(), "upsertedIds", -1, &upserted_ids);
    bson_iter_t it;
    if (bson_iter_init_find(&it, reply, "upserted")) {
        for (Doc& entry : docs_of_array(it)) {
            std::string index = std::to_string(count_of(entry.get(), "index"));
            bson_iter_t id = entry.at("_id");
            bson_append_iter(&upserted_ids, index.c_str(), -1, &id);
        }
    }
    bson_append_document_end(result.get(), &upserted_ids);
    return Value::of_doc(result.get());
}

// ---- collection operations ----

using CollectionOp = std::function<OpResult(RunContext&, mongoc_collection_t*, Args&)>;

OpResult op_aggregate(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc pipeline = args.doc("pipeline");
    Doc opts = args.opts();
    return documents(
        mongoc_collection_aggregate(coll, MONGOC_QUERY_NONE, pipeline.get(), opts.get(), nullptr));
}

OpResult op_find(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc filter = args.doc("filter");
    Doc opts = args.opts();
    return documents(mongoc_collection_find_with_opts(coll, filter.get(), opts.get(), nullptr));
}

OpResult op_find_one(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc filter = args.doc("filter");
    Doc opts = args.opts();
    // CRUD spec findOne: a find of one document in a single batch.
    BSON_APPEND_INT64(opts.get(), "limit", 1);
    BSON_APPEND_BOOL(opts.get(), "singleBatch", true);
    auto docs = drain(mongoc_collection_find_with_opts(coll, filter.get(), opts.get(), nullptr));
    if (docs.empty()) return scalar(Value::of_null());
    return document(docs.front().get());
}

OpResult op_count_documents(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc filter = args.doc("filter");
    Doc opts = args.opts();
    Reply reply;
    bson_error_t error;
    int64_t n = mongoc_collection_count_documents(coll, filter.get(), opts.get(), nullptr,
                                                  reply.get(), &error);
    if (n < 0) raise(error, reply.get());
    return int64_result(n);
}

OpResult op_estimated_count(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc opts = args.opts();
    Reply reply;
    bson_error_t error;
    int64_t n =
        mongoc_collection_estimated_document_count(coll, opts.get(), nullptr, reply.get(), &error);
    if (n < 0) raise(error, reply.get());
    return int64_result(n);
}

// Runs a read command built by the caller on the collection; returns the reply.
Doc read_command(mongoc_collection_t* coll, const Doc& command, const Doc& opts) {
    Reply reply;
    bson_error_t error;
    bson_destroy(reply.get());
    if (!mongoc_collection_read_command_with_opts(coll, command.get(), nullptr, opts.get(),
                                                  reply.get(), &error)) {
        raise(error, reply.get());
    }
    return reply.copy();
}

// libmongoc has no distinct helper: the command is built as the CRUD spec describes it.
OpResult op_distinct(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc command;
    BSON_APPEND_UTF8(command.get(), "distinct", mongoc_collection_get_name(coll));
    BSON_APPEND_UTF8(command.get(), "key", args.str("fieldName").c_str());
    BSON_APPEND_DOCUMENT(command.get(), "query", args.doc("filter").get());
    Doc reply = read_command(coll, command, args.opts());
    return scalar(Value::of_iter(*reply.find("values")));
}

// The deprecated count helper (CRUD spec "count"), built as that spec describes it.
OpResult op_count(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc command;
    BSON_APPEND_UTF8(command.get(), "count", mongoc_collection_get_name(coll));
    BSON_APPEND_DOCUMENT(command.get(), "query", args.doc("filter").get());
    Doc reply = read_command(coll, command, args.opts());
    return int64_result(count_of(reply.get(), "n"));
}

using WriteFn = bool (*)(mongoc_collection_t*, const bson_t*, const bson_t*, const bson_t*, bson_t*,
                         bson_error_t*);
using DeleteFn = bool (*)(mongoc_collection_t*, const bson_t*, const bson_t*, bson_t*,
                          bson_error_t*);

CollectionOp update_op(WriteFn fn, const char* document_key) {
    return [fn, document_key](RunContext&, mongoc_collection_t* coll, Args& args) {
        Doc filter = args.doc("filter");
        Doc update = update_of(args, document_key);
        Doc opts = args.opts();
        Reply reply;
        bson_error_t error;
        if (!fn(coll, filter.get(), update.get(), opts.get(), reply.get(), &error)) {
            raise(error, reply.get());
        }
        return document(reply.get());
    };
}

CollectionOp delete_op(DeleteFn fn) {
    return [fn](RunContext&, mongoc_collection_t* coll, Args& args) {
        Doc filter = args.doc("filter");
        Doc opts = args.opts();
        Reply reply;
        bson_error_t error;
        if (!fn(coll, filter.get(), opts.get(), reply.get(), &error)) raise(error, reply.get());
        return document(reply.get());
    };
}

OpResult op_insert_one(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc doc = args.doc("document");
    Doc opts = args.opts();
    Reply reply;
    bson_error_t error;
    if (!mongoc_collection_insert_one(coll, doc.get(), opts.get(), reply.get(), &error)) {
        raise(error, reply.get());
    }
    Doc result;
    if (auto id = doc.find("_id")) bson_append_iter(result.get(), "insertedId", -1, &*id);
    return document(result.get());
}

OpResult op_insert_many(RunContext&, mongoc_collection_t* coll, Args& args) {
    std::vector<Doc> docs = docs_of_array(*args.iter("documents"));
    Doc opts = args.opts();
    DocPointers pointers(docs);
    Doc inserted_ids;
    bool all_ids_known = true;
    for (size_t i = 0; i < docs.size(); ++i) {
        auto id = docs[i].find("_id");
        all_ids_known = all_ids_known && id.has_value();
        if (id) bson_append_iter(inserted_ids.get(), std::to_string(i).c_str(), -1, &*id);
    }
    Reply reply;
    bson_error_t error;
    if (!mongoc_collection_insert_many(coll, pointers.data(), pointers.size(), opts.get(),
                                       reply.get(), &error)) {
        raise(error, reply.get(), bulk_write_result(reply.get()));
    }
    Doc result;
    if (all_ids_known) BSON_APPEND_DOCUMENT(result.get(), "insertedIds", inserted_ids.get());
    return document(result.get());
}

// One bulkWrite request ({insertOne: {...}} etc.) added to a libmongoc bulk operation.
bool add_request(mongoc_bulk_operation_t* bulk, const Doc& request, bson_error_t* error) {
    bson_iter_t it;
    bson_iter_init(&it, request.get());
    bson_iter_next(&it);
    std::string kind = bson_iter_key(&it);
    Doc model = Doc::from_iter(it);
    Doc opts;
    for_each(model.get(), [&](const char* key, const bson_iter_t& value) {
        std::string name = key;
        if (name != "document" && name != "filter" && name != "update" && name != "replacement") {
            bson_append_iter(opts.get(), key, -1, &value);
        }
    });
    if (kind == "insertOne") {
        return mongoc_bulk_operation_insert_with_opts(bulk, model.doc("document").get(), opts.get(),
                                                      error);
    }
    if (kind == "deleteOne" || kind == "deleteMany") {
        auto fn = kind == "deleteOne" ? mongoc_bulk_operation_remove_one_with_opts
                                      : mongoc_bulk_operation_remove_many_with_opts;
        return fn(bulk, model.doc("filter").get(), opts.get(), error);
    }
    if (kind == "replaceOne") {
        return mongoc_bulk_operation_replace_one_with_opts(
            bulk, model.doc("filter").get(), model.doc("replacement").get(), opts.get(), error);
    }
    if (kind == "updateOne" || kind == "updateMany") {
        auto fn = kind == "updateOne" ? mongoc_bulk_operation_update_one_with_opts
                                      : mongoc_bulk_operation_update_many_with_opts;
        return fn(bulk, model.doc("filter").get(), model.doc("update").get(), opts.get(), error);
    }
    throw TestFailure("unsupported bulkWrite request " + kind);
}

OpResult op_bulk_write(RunContext&, mongoc_collection_t* coll, Args& args) {
    std::vector<Doc> requests = docs_of_array(*args.iter("requests"));
    auto bypass = args.iter("bypassDocumentValidation");
    Doc opts = args.opts();
    mongoc_bulk_operation_t* bulk =
        mongoc_collection_create_bulk_operation_with_opts(coll, opts.get());
    if (bypass)
        mongoc_bulk_operation_set_bypass_document_validation(bulk, bson_iter_as_bool(&*bypass));
    bson_error_t error;
    Reply reply;
    bool ok = true;
    for (const Doc& request : requests) {
        if (!add_request(bulk, request, &error)) {
            ok = false;
            break;
        }
    }
    if (!ok) {
        mongoc_bulk_operation_destroy(bulk);
        raise(error, nullptr);
    }
    ok = mongoc_bulk_operation_execute(bulk, reply.get(), &error) != 0;
    mongoc_bulk_operation_destroy(bulk);
    Value result = bulk_write_result(reply.get());
    if (!ok) raise(error, reply.get(), result);
    return {std::move(result), Root::kYes, nullptr};
}

// findOneAndDelete / findOneAndReplace / findOneAndUpdate through libmongoc's findAndModify.
CollectionOp find_and_modify_op(const char* document_key) {
    return [document_key](RunContext&, mongoc_collection_t* coll, Args& args) {
        Doc filter = args.doc("filter");
        mongoc_find_and_modify_opts_t* fam = mongoc_find_and_modify_opts_new();
        int flags = MONGOC_FIND_AND_MODIFY_NONE;
        if (document_key == nullptr) {
            flags |= MONGOC_FIND_AND_MODIFY_REMOVE;
        } else {
            mongoc_find_and_modify_opts_set_update(fam, update_of(args, document_key).get());
        }
        if (args.flag("upsert", false)) flags |= MONGOC_FIND_AND_MODIFY_UPSERT;
        if (auto when = args.iter("returnDocument");
            when && strcasecmp(bson_iter_utf8(&*when, nullptr), "after") == 0) {
            flags |= MONGOC_FIND_AND_MODIFY_RETURN_NEW;
        }
        mongoc_find_and_modify_opts_set_flags(fam,
                                              static_cast<mongoc_find_and_modify_flags_t>(flags));
        if (auto sort = args.opt_doc("sort"))
            mongoc_find_and_modify_opts_set_sort(fam, sort->get());
        if (auto fields = args.opt_doc("projection")) {
            mongoc_find_and_modify_opts_set_fields(fam, fields->get());
        }
        Doc extra = args.opts();
        mongoc_find_and_modify_opts_append(fam, extra.get());
        Reply reply;
        bson_error_t error;
        bool ok = mongoc_collection_find_and_modify_with_opts(coll, filter.get(), fam, reply.get(),
                                                              &error);
        mongoc_find_and_modify_opts_destroy(fam);
        if (!ok) raise(error, reply.get());
        bson_iter_t value;
        if (!bson_iter_init_find(&value, reply.get(), "value") || BSON_ITER_HOLDS_NULL(&value)) {
            return scalar(Value::of_null());
        }
        return document(Doc::from_iter(value).get());
    };
}

// The pipeline argument of createChangeStream, in the {pipeline: [...]} shape watch() takes.
Doc watch_pipeline(Args& args) {
    Doc pipeline;
    if (auto stages = args.iter("pipeline")) {
        bson_append_iter(pipeline.get(), "pipeline", -1, &*stages);
    }
    return pipeline;
}

OpResult stream_result(ChangeStreamPtr stream) {
    bson_error_t error;
    const bson_t* reply = nullptr;
    if (stream->error(&error, &reply)) {
        Doc reply_copy = Doc::copy_of(reply);
        stream.reset();
        raise(error, reply_copy.get());
    }
    return {std::nullopt, Root::kNo, std::move(stream)};
}

OpResult op_collection_watch(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc pipeline = watch_pipeline(args);
    Doc opts = args.opts();
    if (needs_stage_options(opts.get()))
        return stream_result(collection_command_stream(coll, pipeline.get(), opts.get()));
    return stream_result(
        driver_change_stream(mongoc_collection_watch(coll, pipeline.get(), opts.get())));
}

OpResult op_create_index(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc keys = args.doc("keys");
    std::string name;
    if (args.has("name")) {
        name = args.str("name");
    } else {
        char* generated = mongoc_collection_keys_to_index_string(keys.get());
        name = generated;
        bson_free(generated);
    }
    Doc index_opts = args.opts();
    Doc session_opts;  // the session, if any, goes to the command's opts, not the index spec
    bson_iter_t lsid;
    if (bson_iter_init_find(&lsid, index_opts.get(), "sessionId")) {
        bson_append_iter(session_opts.get(), "sessionId", -1, &lsid);
        Doc rest;
        bson_copy_to_excluding_noinit(index_opts.get(), rest.get(), "sessionId", nullptr);
        index_opts = rest;
    }
    Doc command;
    BSON_APPEND_UTF8(command.get(), "createIndexes", mongoc_collection_get_name(coll));
    bson_t indexes, index;
    BSON_APPEND_ARRAY_BEGIN(command.get(), "indexes", &indexes);
    BSON_APPEND_DOCUMENT_BEGIN(&indexes, "0", &index);
    BSON_APPEND_DOCUMENT(&index, "key", keys.get());
    BSON_APPEND_UTF8(&index, "name", name.c_str());
    bson_concat(&index, index_opts.get());
    bson_append_document_end(&indexes, &index);
    bson_append_array_end(command.get(), &indexes);
    Reply reply;
    bson_error_t error;
    if (!mongoc_collection_write_command_with_opts(coll, command.get(), session_opts.get(),
                                                   reply.get(), &error)) {
        raise(error, reply.get());
    }
    return string_result(name);
}

OpResult op_drop_index(RunContext&, mongoc_collection_t* coll, Args& args) {
    std::string name = args.str("name");
    Doc opts = args.opts();
    bson_error_t error;
    if (!mongoc_collection_drop_index_with_opts(coll, name.c_str(), opts.get(), &error)) {
        raise(error, nullptr);
    }
    return none();
}

OpResult op_drop_indexes(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc command;
    BSON_APPEND_UTF8(command.get(), "dropIndexes", mongoc_collection_get_name(coll));
    BSON_APPEND_UTF8(command.get(), "index", "*");
    Doc opts = args.opts();
    Reply reply;
    bson_error_t error;
    if (!mongoc_collection_write_command_with_opts(coll, command.get(), opts.get(), reply.get(),
                                                   &error)) {
        raise(error, reply.get());
    }
    return none();
}

OpResult op_list_indexes(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc opts = args.opts();
    return documents(mongoc_collection_find_indexes_with_opts(coll, opts.get()));
}

OpResult op_list_index_names(RunContext& ctx, mongoc_collection_t* coll, Args& args) {
    return names_of(op_list_indexes(ctx, coll, args));
}

// Renames through a copy of the handle: libmongoc renames the handle it is given, and the
// collection entity must keep naming the original collection.
OpResult op_rename(RunContext&, mongoc_collection_t* coll, Args& args) {
    std::string to = args.str("to");
    bool drop_target = args.flag("dropTarget", false);
    Doc opts = args.opts();
    CollectionPtr copy(mongoc_collection_copy(coll));
    bson_error_t error;
    if (!mongoc_collection_rename_with_opts(copy.get(), nullptr, to.c_str(), drop_target,
                                            opts.get(), &error)) {
        raise(error, nullptr);
    }
    return none();
}

// ---- search index operations ----
// libmongoc 1.23 has no search index helpers: the commands are sent as the index management spec
// builds them, through mongoc_collection_command_with_opts, which (like the spec's helpers)
// applies neither the collection's read concern nor its write concern.

Doc search_index_command(mongoc_collection_t* coll, const Doc& command, Args& args) {
    Doc opts = args.opts();
    Reply reply;
    bson_error_t error;
    bson_destroy(reply.get());
    if (!mongoc_collection_command_with_opts(coll, command.get(), nullptr, opts.get(), reply.get(),
                                             &error)) {
        raise(error, reply.get());
    }
    return reply.copy();
}

Doc create_search_indexes_command(mongoc_collection_t* coll, const bson_iter_t& models) {
    Doc command;
    BSON_APPEND_UTF8(command.get(), "createSearchIndexes", mongoc_collection_get_name(coll));
    bson_append_iter(command.get(), "indexes", -1, &models);
    return command;
}

// The names of the created indexes (createSearchIndexes' reply: indexesCreated: [{id, name}]).
OpResult created_search_index_names(const Doc& reply) {
    OpResult listing{Value::of_iter(reply.at("indexesCreated")), Root::kNo, nullptr};
    return names_of(listing);
}

OpResult op_create_search_index(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc models;
    BSON_APPEND_DOCUMENT(models.get(), "0", args.doc("model").get());
    Doc holder;
    BSON_APPEND_ARRAY(holder.get(), "v", models.get());
    Doc reply =
        search_index_command(coll, create_search_indexes_command(coll, holder.at("v")), args);
    Doc created = Doc::from_iter(Doc::from_iter(reply.at("indexesCreated")).at("0"));
    return string_result(created.str("name"));
}

OpResult op_create_search_indexes(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc command = create_search_indexes_command(coll, *args.iter("models"));
    return created_search_index_names(search_index_command(coll, command, args));
}

OpResult op_drop_search_index(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc command;
    BSON_APPEND_UTF8(command.get(), "dropSearchIndex", mongoc_collection_get_name(coll));
    BSON_APPEND_UTF8(command.get(), "name", args.str("name").c_str());
    search_index_command(coll, command, args);
    return none();
}

OpResult op_update_search_index(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc command;
    BSON_APPEND_UTF8(command.get(), "updateSearchIndex", mongoc_collection_get_name(coll));
    BSON_APPEND_UTF8(command.get(), "name", args.str("name").c_str());
    BSON_APPEND_DOCUMENT(command.get(), "definition", args.doc("definition").get());
    search_index_command(coll, command, args);
    return none();
}

// An aggregate with the $listSearchIndexes stage ({name} when given), aggregationOptions as its
// options, on a handle without the collection's read concern.
OpResult op_list_search_indexes(RunContext&, mongoc_collection_t* coll, Args& args) {
    Doc stage_spec;
    if (args.has("name")) BSON_APPEND_UTF8(stage_spec.get(), "name", args.str("name").c_str());
    Doc pipeline;
    bson_t stages, stage;
    BSON_APPEND_ARRAY_BEGIN(pipeline.get(), "pipeline", &stages);
    BSON_APPEND_DOCUMENT_BEGIN(&stages, "0", &stage);
    BSON_APPEND_DOCUMENT(&stage, "$listSearchIndexes", stage_spec.get());
    bson_append_document_end(&stages, &stage);
    bson_append_array_end(pipeline.get(), &stages);
    Doc opts = args.opt_doc("aggregationOptions").value_or(Doc());
    bson_concat(opts.get(), args.opts().get());
    CollectionPtr plain(mongoc_collection_copy(coll));
    mongoc_read_concern_t* no_level = mongoc_read_concern_new();
    mongoc_collection_set_read_concern(plain.get(), no_level);
    mongoc_read_concern_destroy(no_level);
    return documents(mongoc_collection_aggregate(plain.get(), MONGOC_QUERY_NONE, pipeline.get(),
                                                 opts.get(), nullptr));
}

const std::map<std::string, CollectionOp>& collection_ops() {
    static const std::map<std::string, CollectionOp> ops = {
        {"aggregate", op_aggregate},
        {"bulkWrite", op_bulk_write},
        {"count", op_count},
        {"countDocuments", op_count_documents},
        {"createChangeStream", op_collection_watch},
        {"createIndex", op_create_index},
        {"createSearchIndex", op_create_search_index},
        {"createSearchIndexes", op_create_search_indexes},
        {"deleteMany", delete_op(mongoc_collection_delete_many)},
        {"deleteOne", delete_op(mongoc_collection_delete_one)},
        {"distinct", op_distinct},
        {"dropIndex", op_drop_index},
        {"dropIndexes", op_drop_indexes},
        {"dropSearchIndex", op_drop_search_index},
        {"estimatedDocumentCount", op_estimated_count},
        {"find", op_find},
        {"findOne", op_find_one},
        {"findOneAndDelete", find_and_modify_op(nullptr)},
        {"findOneAndReplace", find_and_modify_op("replacement")},
        {"findOneAndUpdate", find_and_modify_op("update")},
        {"insertMany", op_insert_many},
        {"insertOne", op_insert_one},
        {"listIndexes", op_list_indexes},
        {"listIndexNames", op_list_index_names},
        {"listSearchIndexes", op_list_search_indexes},
        {"rename", op_rename},
        {"replaceOne", update_op(mongoc_collection_replace_one, "replacement")},
        {"updateMany", update_op(mongoc_collection_update_many, "update")},
        {"updateOne", update_op(mongoc_collection_update_one, "update")},
        {"updateSearchIndex", op_update_search_index},
    };
    return ops;
}

// ---- database operations ----

using DatabaseOp = std::function<OpResult(RunContext&, mongoc_database_t*, Args&)>;

OpResult op_db_aggregate(RunContext&, mongoc_database_t* db, Args& args) {
    Doc pipeline = args.doc("pipeline");
    Doc opts = args.opts();
    return documents(mongoc_database_aggregate(db, pipeline.get(), opts.get(), nullptr));
}

OpResult op_run_command(RunContext&, mongoc_database_t* db, Args& args) {
    Doc command = args.doc("command");
    args.iter("commandName");  // only needed by drivers whose commands are unordered maps
    mongoc_read_prefs_t* prefs = nullptr;
    if (auto rp = args.opt_doc("readPreference")) prefs = make_read_prefs(*rp);
    Doc opts = args.opts();
    Reply reply;
    bson_error_t error;
    bool ok = mongoc_database_command_with_opts(db, command.get(), prefs, opts.get(), reply.get(),
                                                &error);
    if (prefs != nullptr) mongoc_read_prefs_destroy(prefs);
    if (!ok) raise(error, reply.get());
    return document(reply.get());
}

OpResult op_create_collection(RunContext&, mongoc_database_t* db, Args& args) {
    std::string name = args.str("collection");
    Doc opts = args.opts();
    bson_error_t error;
    mongoc_collection_t* coll =
        mongoc_database_create_collection(db, name.c_str(), opts.get(), &error);
    if (coll == nullptr) raise(error, nullptr);
    mongoc_collection_destroy(coll);
    return none();
}

OpResult op_drop_collection(RunContext&, mongoc_database_t* db, Args& args) {
    CollectionPtr coll(mongoc_database_get_collection(db, args.str("collection").c_str()));
    Doc opts = args.opts();
    bson_error_t error;
    // Drivers ignore "ns not found" (26) when dropping (collection management spec).
    if (!mongoc_collection_drop_with_opts(coll.get(), opts.get(), &error) && error.code != 26) {
        raise(error, nullptr);
    }
    return none();
}

OpResult op_list_collections(RunContext&, mongoc_database_t* db, Args& args) {
    Doc opts = args.opts();
    return documents(mongoc_database_find_collections_with_opts(db, opts.get()));
}

OpResult op_list_collection_names(RunContext& ctx, mongoc_database_t* db, Args& args) {
    return names_of(op_list_collections(ctx, db, args));
}

OpResult op_modify_collection(RunContext&, mongoc_database_t* db, Args& args) {
    Doc command;
    BSON_APPEND_UTF8(command.get(), "collMod", args.str("collection").c_str());
    Doc opts = args.opts();
    // Every other argument (validator, index, ...) is a field of the collMod command.
    Doc session_opts;
    for_each(opts.get(), [&](const char* key, const bson_iter_t& it) {
        bson_append_iter(std::string(key) == "sessionId" ? session_opts.get() : command.get(), key,
                         -1, &it);
    });
    Reply reply;
    bson_error_t error;
    if (!mongoc_database_write_command_with_opts(db, command.get(), session_opts.get(), reply.get(),
                                                 &error)) {
        raise(error, reply.get());
    }
    return document(reply.get());
}

OpResult op_database_watch(RunContext&, mongoc_database_t* db, Args& args) {
    Doc pipeline = watch_pipeline(args);
    Doc opts = args.opts();
    if (needs_stage_options(opts.get()))
        return stream_result(database_command_stream(db, pipeline.get(), opts.get(), false));
    return stream_result(
        driver_change_stream(mongoc_database_watch(db, pipeline.get(), opts.get())));
}

const std::map<std::string, DatabaseOp>& database_ops() {
    static const std::map<std::string, DatabaseOp> ops = {
        {"aggregate", op_db_aggregate},
        {"createChangeStream", op_database_watch},
        {"createCollection", op_create_collection},
        {"dropCollection", op_drop_collection},
        {"listCollectionNames", op_list_collection_names},
        {"listCollections", op_list_collections},
        {"modifyCollection", op_modify_collection},
        {"runCommand", op_run_command},
    };
    return ops;
}

// ---- client operations ----

using ClientOp = std::function<OpResult(RunContext&, mongoc_client_t*, Args&)>;

OpResult op_client_watch(RunContext&, mongoc_client_t* client, Args& args) {
    Doc pipeline = watch_pipeline(args);
    Doc opts = args.opts();
    if (needs_stage_options(opts.get())) {
        DatabasePtr admin(mongoc_client_get_database(client, "admin"));
        return stream_result(
            database_command_stream(admin.get(), pipeline.get(), opts.get(), true));
    }
    return stream_result(
        driver_change_stream(mongoc_client_watch(client, pipeline.get(), opts.get())));
}

OpResult op_list_databases(RunContext&, mongoc_client_t* client, Args& args) {
    Doc opts = args.opts();
    return documents(mongoc_client_find_databases_with_opts(client, opts.get()));
}

OpResult op_list_database_names(RunContext& ctx, mongoc_client_t* client, Args& args) {
    return names_of(op_list_databases(ctx, client, args));
}

const std::map<std::string, ClientOp>& client_ops() {
    static const std::map<std::string, ClientOp> ops = {
        {"createChangeStream", op_client_watch},
        {"listDatabaseNames", op_list_database_names},
        {"listDatabases", op_list_databases},
    };
    return ops;
}

// ---- session operations ----

using SessionOp = std::function<OpResult(RunContext&, mongoc_client_session_t*, Args&)>;

// The transaction options among an operation's arguments (startTransaction, withTransaction).
mongoc_transaction_opt_t* transaction_opts(Args& args) {
    Doc spec;
    for (const char* key : {"readConcern", "writeConcern", "readPreference", "maxCommitTimeMS"}) {
        if (auto value = args.iter(key)) {
            bson_append_iter(spec.get(), key, -1, &*value);
        }
    }
    return make_transaction_opts(spec);
}

OpResult op_start_transaction(RunContext&, mongoc_client_session_t* session, Args& args) {
    mongoc_transaction_opt_t* opts = transaction_opts(args);
    bson_error_t error;
    bool ok = mongoc_client_session_start_transaction(session, opts, &error);
    mongoc_transaction_opts_destroy(opts);
    if (!ok) raise(error, nullptr);
    return none();
}

OpResult op_commit_transaction(RunContext&, mongoc_client_session_t* session, Args&) {
    Reply reply;
    bson_error_t error;
    if (!mongoc_client_session_commit_transaction(session, reply.get(), &error)) {
        raise(error, reply.get());
    }
    return none();
}

OpResult op_abort_transaction(RunContext&, mongoc_client_session_t* session, Args&) {
    bson_error_t error;
    if (!mongoc_client_session_abort_transaction(session, &error)) raise(error, nullptr);
    return none();
}

// withTransaction's callback: the operations of the `callback` argument, run with their
// expectations; the first error one raises is handed to libmongoc (with its labels, by which
// libmongoc decides to retry), a runner failure ends the transaction and is rethrown after it.
struct TransactionCallback {
    RunContext& ctx;
    std::vector<Doc> operations;
    std::exception_ptr failure;

    static bool run(mongoc_client_session_t*, void* self, bson_t** reply, bson_error_t* error) {
        return static_cast<TransactionCallback*>(self)->run_operations(reply, error);
    }

    bool run_operations(bson_t** reply, bson_error_t* error) {
        try {
            for (size_t i = 0; i < operations.size(); ++i) {
                if (auto raised = ctx.execute(operations[i], i)) {
                    *reply = error_reply(*raised);
                    bson_set_error(error,
                                   raised->client_side ? MONGOC_ERROR_CLIENT : MONGOC_ERROR_SERVER,
                                   raised->code, "%s", raised->message.c_str());
                    return false;
                }
            }
            return true;
        } catch (...) {
            failure = std::current_exception();
            bson_set_error(error, MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_SESSION_FAILURE, "%s",
                           "test runner failure in the withTransaction callback");
            return false;
        }
    }

    // The error's reply with every label it carries (libmongoc's and the server's).
    static bson_t* error_reply(const OperationError& raised) {
        bson_t* reply = bson_new();
        bson_copy_to_excluding_noinit(raised.reply.get(), reply, "errorLabels", nullptr);
        bson_t labels;
        BSON_APPEND_ARRAY_BEGIN(reply, "errorLabels", &labels);
        std::vector<std::string> all = raised.labels();
        for (size_t i = 0; i < all.size(); ++i) {
            BSON_APPEND_UTF8(&labels, std::to_string(i).c_str(), all[i].c_str());
        }
        bson_append_array_end(reply, &labels);
        return reply;
    }
};

OpResult op_with_transaction(RunContext& ctx, mongoc_client_session_t* session, Args& args) {
    TransactionCallback callback{ctx, docs_of_array(*args.iter("callback")), nullptr};
    mongoc_transaction_opt_t* opts = transaction_opts(args);
    Reply reply;
    bson_error_t error;
    bool ok = mongoc_client_session_with_transaction(session, &TransactionCallback::run, opts,
                                                     &callback, reply.get(), &error);
    mongoc_transaction_opts_destroy(opts);
    if (callback.failure) std::rethrow_exception(callback.failure);
    if (!ok) raise(error, reply.get());
    return none();
}

const std::map<std::string, SessionOp>& session_ops() {
    static const std::map<std::string, SessionOp> ops = {
        {"abortTransaction", op_abort_transaction},
        {"commitTransaction", op_commit_transaction},
        {"startTransaction", op_start_transaction},
        {"withTransaction", op_with_transaction},
    };
    return ops;
}

// ---- change stream operations ----

// The spec leaves iteration unbounded; a deadline turns a server that never delivers into a
// failure instead of a hung run.
constexpr auto kIterateDeadline = std::chrono::seconds(10);

bool next_change(ChangeStream& stream, OpResult& result) {
    const bson_t* doc = nullptr;
    if (stream.next(&doc)) {
        result = document(doc);
        return true;
    }
    bson_error_t error;
    const bson_t* reply = nullptr;
    if (stream.error(&error, &reply)) raise(error, reply);
    return false;
}

OpResult run_change_stream_op(RunContext& ctx, const std::string& name, const std::string& id) {
    ChangeStreamPtr& stream = ctx.entities.change_stream(id);
    if (name == "close") {
        stream.reset();
        return none();
    }
    if (!stream) throw TestFailure("change stream " + id + " is closed");
    OpResult result = none();
    if (name == "iterateOnce") {
        next_change(*stream, result);
        return result;
    }
    if (name == "iterateUntilDocumentOrError") {
        auto deadline = std::chrono::steady_clock::now() + kIterateDeadline;
        while (!next_change(*stream, result)) {
            if (std::chrono::steady_clock::now() > deadline) {
                throw TestFailure("no change event or error within 10 s");
            }
        }
        return result;
    }
    throw TestFailure("unsupported operation " + name);
}

// ---- testRunner operations ----

void run_admin(mongoc_client_t* client, const Doc& command) {
    Reply reply;
    bson_error_t error;
    bool ok =
        mongoc_client_command_simple(client, "admin", command.get(), nullptr, reply.get(), &error);
    if (!ok) raise(error, reply.get());
}

OpResult configure_fail_point(RunContext& ctx, ClientEntity& client, const Doc& fail_point) {
    client.set_recording(false);
    try {
        run_admin(client.get(), fail_point);
    } catch (...) {
        client.set_recording(true);
        throw;
    }
    client.set_recording(true);
    ctx.fail_points.push_back(fail_point.str("configureFailPoint"));
    return none();
}

std::vector<std::string> collection_names(mongoc_client_t* client, const std::string& db_name) {
    DatabasePtr db(mongoc_client_get_database(client, db_name.c_str()));
    bson_error_t error;
    char** names = mongoc_database_get_collection_names_with_opts(db.get(), nullptr, &error);
    if (names == nullptr) raise(error, nullptr);
    std::vector<std::string> out(
        names, names + [&] {
            size_t n = 0;
            while (names[n] != nullptr)
                ++n;
            return n;
        }());
    bson_strfreev(names);
    return out;
}

bool index_exists(mongoc_client_t* client, const Doc& args) {
    CollectionPtr coll(mongoc_client_get_collection(client, args.str("databaseName").c_str(),
                                                    args.str("collectionName").c_str()));
    std::string wanted = args.str("indexName");
    for (Doc& index : drain(mongoc_collection_find_indexes_with_opts(coll.get(), nullptr))) {
        if (index.str("name") == wanted) return true;
    }
    return false;
}

const char* transaction_state_name(mongoc_transaction_state_t state) {
    switch (state) {
        case MONGOC_TRANSACTION_NONE:
            return "none";
        case MONGOC_TRANSACTION_STARTING:
            return "starting";
        case MONGOC_TRANSACTION_IN_PROGRESS:
            return "in_progress";
        case MONGOC_TRANSACTION_COMMITTED:
            return "committed";
        case MONGOC_TRANSACTION_ABORTED:
            return "aborted";
    }
    return "unknown";
}

// The lsids of the last two commandStartedEvents of a client, oldest first.
std::pair<Doc, Doc> last_two_lsids(ClientEntity& client) {
    std::vector<Doc> lsids;
    for (const Event& event : client.events()) {
        if (event.type != "commandStartedEvent") continue;
        auto lsid = event.body.find("lsid");
        if (!lsid) throw TestFailure(event.command_name + " was sent without an lsid");
        lsids.push_back(Doc::from_iter(*lsid));
    }
    if (lsids.size() < 2) throw TestFailure("fewer than two commandStartedEvents observed");
    return {lsids[lsids.size() - 2], lsids.back()};
}

// The testRunner operations about sessions: transaction state, mongos pinning (a session is
// pinned only to a mongos, never on a replica set), dirtiness, and the lsids of the last commands.
bool run_session_assertion(RunContext& ctx, const std::string& name, const Doc& args) {
    if (name == "assertSameLsidOnLastTwoCommands" ||
        name == "assertDifferentLsidOnLastTwoCommands") {
        auto [previous, last] = last_two_lsids(ctx.entities.client(args.str("client")));
        if (bson_equal(previous.get(), last.get()) != (name == "assertSameLsidOnLastTwoCommands")) {
            throw TestFailure(name + " failed: " + previous.json() + " then " + last.json());
        }
        return true;
    }
    static const std::set<std::string> kOnSession = {"assertSessionTransactionState",
                                                     "assertSessionPinned", "assertSessionUnpinned",
                                                     "assertSessionDirty", "assertSessionNotDirty"};
    if (kOnSession.count(name) == 0) return false;
    mongoc_client_session_t* session = ctx.entities.session(args.str("session"));
    std::string actual;
    std::string expected;
    if (name == "assertSessionTransactionState") {
        actual = transaction_state_name(mongoc_client_session_get_transaction_state(session));
        expected = args.str("state");
    } else if (name == "assertSessionPinned" || name == "assertSessionUnpinned") {
        actual = mongoc_client_session_get_server_id(session) != 0 ? "pinned" : "unpinned";
        expected = name == "assertSessionPinned" ? "pinned" : "unpinned";
    } else {
        actual = mongoc_client_session_get_dirty(session) ? "dirty" : "not dirty";
        expected = name == "assertSessionDirty" ? "dirty" : "not dirty";
    }
    if (actual != expected) {
        throw TestFailure(name + ": session " + args.str("session") + " is " + actual);
    }
    return true;
}

OpResult run_test_runner_op(RunContext& ctx, const std::string& name, const Doc& args) {
    if (name == "failPoint") {
        return configure_fail_point(ctx, ctx.entities.client(args.str("client")),
                                    args.doc("failPoint"));
    }
    if (name == "targetedFailPoint") {  // one server: targeting it is the same as failPoint
        return configure_fail_point(ctx, ctx.entities.owning_client(args.str("session")),
                                    args.doc("failPoint"));
    }
    if (name == "createEntities") {
        for (Doc& entity : docs_of_array(args.at("entities")))
            ctx.entities.create(entity, ctx.uri);
        return none();
    }
    if (run_session_assertion(ctx, name, args)) return none();
    if (name == "assertCollectionExists" || name == "assertCollectionNotExists") {
        auto names = collection_names(ctx.internal_client, args.str("databaseName"));
        bool exists =
            std::find(names.begin(), names.end(), args.str("collectionName")) != names.end();
        if (exists != (name == "assertCollectionExists")) {
            throw TestFailure(name + " failed for " + args.str("collectionName"));
        }
        return none();
    }
    if (name == "assertIndexExists" || name == "assertIndexNotExists") {
        if (index_exists(ctx.internal_client, args) != (name == "assertIndexExists")) {
            throw TestFailure(name + " failed for " + args.str("indexName"));
        }
        return none();
    }
    throw TestFailure("unsupported operation " + name);
}

template <typename Table, typename Handle>
OpResult dispatch(const Table& table, RunContext& ctx, const std::string& name, Handle handle,
                  Args& args) {
    auto found = table.find(name);
    if (found == table.end()) throw TestFailure("unsupported operation " + name);
    return found->second(ctx, handle, args);
}

}  // namespace

std::string OperationError::code_name() const {
    for (const Doc* source : {&reply, server_response ? &*server_response : nullptr}) {
        if (source == nullptr) continue;
        if (auto name = source->opt_str("codeName")) return *name;
        for (const char* list : {"writeErrors", "writeConcernErrors"}) {
            auto it = source->find(list);
            if (!it || !BSON_ITER_HOLDS_ARRAY(&*it)) continue;
            for (Doc& entry : docs_of_array(*it)) {
                if (auto name = entry.opt_str("codeName")) return *name;
            }
        }
        auto wce = source->find("writeConcernError");
        if (wce && BSON_ITER_HOLDS_DOCUMENT(&*wce)) {
            if (auto name = Doc::from_iter(*wce).opt_str("codeName")) return *name;
        }
    }
    return "";
}

std::vector<std::string> OperationError::labels() const {
    std::vector<std::string> out;
    for (const Doc* source : {&reply, server_response ? &*server_response : nullptr}) {
        if (source == nullptr) continue;
        auto it = source->find("errorLabels");
        if (!it || !BSON_ITER_HOLDS_ARRAY(&*it)) continue;
        for_each(Doc::from_iter(*it).get(), [&](const char*, const bson_iter_t& label) {
            out.emplace_back(bson_iter_utf8(&label, nullptr));
        });
    }
    return out;
}

OpResult run_operation(RunContext& ctx, const Doc& operation) {
    std::string name = operation.str("name");
    std::string object = operation.str("object");
    Doc arguments = operation.has("arguments") ? operation.doc("arguments") : Doc();
    if (object == "testRunner") return run_test_runner_op(ctx, name, arguments);

    std::string kind = ctx.entities.kind(object);
    if (kind == "changeStream") return run_change_stream_op(ctx, name, object);
    ClientEntity& client = ctx.entities.owning_client(object);
    client.forget_last_failure();
    Args args(arguments, ctx.entities);
    try {
        if (kind == "collection") {
            return dispatch(collection_ops(), ctx, name, ctx.entities.collection(object), args);
        }
        if (kind == "database") {
            return dispatch(database_ops(), ctx, name, ctx.entities.database(object), args);
        }
        if (kind == "client") return dispatch(client_ops(), ctx, name, client.get(), args);
        if (kind == "session" && name == "endSession") {
            ctx.entities.end_session(object);
            return none();
        }
        if (kind == "session") {
            return dispatch(session_ops(), ctx, name, ctx.entities.session(object), args);
        }
    } catch (OperationError& error) {
        error.server_response = client.last_failure_reply();
        throw;
    }
    throw TestFailure("unsupported operation " + name + " on " + kind + " " + object);
}

}  // namespace spec
