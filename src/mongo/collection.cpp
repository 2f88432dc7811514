// Database, collection and cursor handles over libmongoc, plus command and field helpers.
// Every libmongoc failure is turned into a thrown mongo::Error at the call that saw it.
#include "mongo/collection.h"

namespace tributary::mongo {

const bson_t* Cursor::next() {
    const bson_t* doc = nullptr;
    if (mongoc_cursor_next(cursor_.get(), &doc)) return doc;
    bson_error_t error;
    const bson_t* reply = nullptr;
    if (mongoc_cursor_error_document(cursor_.get(), &error, &reply))
        throw Error::from(error, reply);
    return nullptr;
}

Collection::Collection(mongoc_client_t* client, const std::string& db, const std::string& name)
    : coll_(mongoc_client_get_collection(client, db.c_str(), name.c_str())), db_(db), name_(name) {}

Cursor Collection::find(const bson_t* filter, const bson_t* opts) const {
    bson_t empty = BSON_INITIALIZER;
    Cursor cursor(
        mongoc_collection_find_with_opts(coll_.get(), filter ? filter : &empty, opts, nullptr));
    bson_destroy(&empty);
    return cursor;
}

Cursor Collection::aggregate(const bson_t* pipeline, const bson_t* opts) const {
    return Cursor(
        mongoc_collection_aggregate(coll_.get(), MONGOC_QUERY_NONE, pipeline, opts, nullptr));
}

int64_t Collection::count_documents(const bson_t* filter) const {
    bson_t empty = BSON_INITIALIZER;
    bson_error_t error;
    bson_t reply;
    int64_t count = mongoc_collection_count_documents(coll_.get(), filter ? filter : &empty,
                                                      nullptr, nullptr, &reply, &error);
    bson_destroy(&empty);
    if (count < 0) {
        Error failure = Error::from(error, &reply);
        bson_destroy(&reply);
        throw failure;
    }
    bson_destroy(&reply);
    return count;
}

int64_t Collection::estimated_count() const {
    bson_error_t error;
    bson_t reply;
    int64_t count =
        mongoc_collection_estimated_document_count(coll_.get(), nullptr, nullptr, &reply, &error);
    std::optional<Error> failure;
    if (count < 0) failure = Error::from(error, &reply);
    bson_destroy(&reply);
    if (failure) throw *failure;
    return count;
}

std::vector<bson::Document> Collection::list_indexes() const {
    std::vector<bson::Document> indexes;
    Cursor cursor(mongoc_collection_find_indexes_with_opts(coll_.get(), nullptr));
    try {
        while (const bson_t* index = cursor.next())
            indexes.push_back(bson::Document::copy_of(index));
    } catch (const Error& error) {
        // listIndexes on a missing collection fails with NamespaceNotFound: no indexes.
        if (error.code() != codes::kNamespaceNotFound) throw;
    }
    return indexes;
}

void Collection::drop() const {
    bson_error_t error;
    if (!mongoc_collection_drop_with_opts(coll_.get(), nullptr, &error) &&
        error.code != codes::kNamespaceNotFound) {
        throw Error::from(error);
    }
}

bson::Document run_command(mongoc_client_t* client, const std::string& db, const bson_t* command) {
    bson_t reply;
    bson_error_t error;
    bool ok = mongoc_client_command_simple(client, db.c_str(), command, nullptr, &reply, &error);
    bson::Document result(bson_copy(&reply));
    bson_destroy(&reply);
    if (!ok) throw Error::from(error, result.view());
    return result;
}

std::vector<bson::Document> list_collections(mongoc_client_t* client, const std::string& db,
                                             const bson_t* filter) {
    std::unique_ptr<mongoc_database_t, decltype(&mongoc_database_destroy)> database(
        mongoc_client_get_database(client, db.c_str()), &mongoc_database_destroy);
    bson::Document opts;
    if (filter) BSON_APPEND_DOCUMENT(opts.get(), "filter", filter);
    Cursor cursor(mongoc_database_find_collections_with_opts(database.get(), opts.view()));
    std::vector<bson::Document> result;
    while (const bson_t* info = cursor.next())
        result.push_back(bson::Document::copy_of(info));
    return result;
}

std::vector<std::string> list_database_names(mongoc_client_t* client) {
    bson_error_t error;
    char** names = mongoc_client_get_database_names_with_opts(client, nullptr, &error);
    if (!names) throw Error::from(error);
    std::vector<std::string> result;
    for (char** name = names; *name; ++name)
        result.emplace_back(*name);
    bson_strfreev(names);
    return result;
}

namespace {
bool find(const bson_t* doc, const char* dotted_key, bson_iter_t* out) {
    bson_iter_t iter;
    return doc && bson_iter_init(&iter, doc) && bson_iter_find_descendant(&iter, dotted_key, out);
}
}  // namespace

std::optional<std::string> get_string(const bson_t* doc, const char* dotted_key) {
    bson_iter_t iter;
    if (!find(doc, dotted_key, &iter) || !BSON_ITER_HOLDS_UTF8(&iter)) return std::nullopt;
    uint32_t length = 0;
    const char* text = bson_iter_utf8(&iter, &length);
    return std::string(text, length);
}

std::optional<int64_t> get_int(const bson_t* doc, const char* dotted_key) {
    bson_iter_t iter;
    if (!find(doc, dotted_key, &iter) || !BSON_ITER_HOLDS_NUMBER(&iter)) return std::nullopt;
    return bson_iter_as_int64(&iter);
}

std::optional<bool> get_bool(const bson_t* doc, const char* dotted_key) {
    bson_iter_t iter;
    if (!find(doc, dotted_key, &iter)) return std::nullopt;
    return bson_iter_as_bool(&iter);
}

std::optional<bson::Timestamp> get_timestamp(const bson_t* doc, const char* dotted_key) {
    bson_iter_t iter;
    if (!find(doc, dotted_key, &iter) || !BSON_ITER_HOLDS_TIMESTAMP(&iter)) return std::nullopt;
    bson::Timestamp ts;
    bson_iter_timestamp(&iter, &ts.t, &ts.i);
    return ts;
}

std::optional<std::string> get_binary(const bson_t* doc, const char* dotted_key) {
    bson_iter_t iter;
    if (!find(doc, dotted_key, &iter) || !BSON_ITER_HOLDS_BINARY(&iter)) return std::nullopt;
    bson_subtype_t subtype;
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_binary(&iter, &subtype, &length, &data);
    return std::string(reinterpret_cast<const char*>(data), length);
}

std::optional<bson::Document> get_document(const bson_t* doc, const char* dotted_key) {
    bson_iter_t iter;
    if (!find(doc, dotted_key, &iter)) return std::nullopt;
    if (!BSON_ITER_HOLDS_DOCUMENT(&iter) && !BSON_ITER_HOLDS_ARRAY(&iter)) return std::nullopt;
    return bson::Document::copy_of_subdocument(iter);
}

}  // namespace tributary::mongo
