// CRUD commands: insert, update, delete, find, count, distinct, findAndModify, aggregate.
// Each follows mongod's documented replies and error codes; writes append to the oplog while
// holding the catalog lock that makes them visible.
#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "server/collection_read.h"
#include "server/collection_write.h"
#include "server/server_state.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

constexpr int64_t kMaxWriteBatchSize = 100000;
constexpr int64_t kDefaultBatchSize = 101;

Catalog& catalog_of(const CommandRequest& request) { return request.server->catalog(); }

// The namespace a read or write command names, validated as mongod does.
std::string target_of(const CommandRequest& request) {
    std::string coll = collection_argument(request);
    validate_collection_name(request.db, coll);
    return coll;
}

void check_batch_size(size_t count) {
    if (count == 0 || count > static_cast<size_t>(kMaxWriteBatchSize)) {
        throw MongoError(code::InvalidLength, "Write batch sizes must be between 1 and 100000. Got " +
                                                  std::to_string(count) + " operations.");
    }
}

// Collects writeErrors entries: {index, code, errmsg} plus keyPattern/keyValue or errInfo.
class WriteErrors {
public:
    void add(size_t index, const MongoError& error) {
        bson_t entry;
        std::string key = std::to_string(count_++);
        bson_append_document_begin(&errors_, key.c_str(), -1, &entry);
        BSON_APPEND_INT32(&entry, "index", static_cast<int32_t>(index));
        BSON_APPEND_INT32(&entry, "code", error.code());
        BSON_APPEND_UTF8(&entry, "errmsg", error.message().c_str());
        if (auto* detailed = dynamic_cast<const DetailedError*>(&error)) {
            detailed->info().append_to(&entry);
        }
        bson_append_document_end(&errors_, &entry);
    }
    void append_to(bson_t* reply) {
        if (count_ > 0) BSON_APPEND_ARRAY(reply, "writeErrors", &errors_);
    }
    ~WriteErrors() { bson_destroy(&errors_); }

private:
    bson_t errors_ = BSON_INITIALIZER;
    int count_ = 0;
};

// https://www.mongodb.com/docs/manual/reference/command/insert/
void cmd_insert(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    Document body = body_without(request, "documents");
    bool ordered = bool_argument(body, "insert", "ordered", true);
    bool bypass = bool_argument(body, "insert", "bypassDocumentValidation", false);
    std::vector<bson_t> documents = request.documents_of("documents");
    check_batch_size(documents.size());

    Catalog& catalog = catalog_of(request);
    std::unique_lock lock(catalog.mutex());
    Collection& coll = catalog.find_or_create(request.db, name);
    Validator validator(coll, bypass);
    WriteErrors errors;
    int32_t inserted = 0;
    for (size_t i = 0; i < documents.size(); ++i) {
        try {
            insert_document(catalog, coll, prepare_insert(documents[i]), validator);
            ++inserted;
        } catch (const MongoError& error) {
            errors.add(i, error);
            if (ordered) break;
        }
    }
    BSON_APPEND_INT32(reply, "n", inserted);
    errors.append_to(reply);
}

FindQuery find_query(const Document& body) {
    FindQuery query;
    if (auto filter = document_argument(body, "find", "filter")) query.filter = std::move(*filter);
    query.sort = document_argument(body, "find", "sort");
    query.projection = document_argument(body, "find", "projection");
    query.min = document_argument(body, "find", "min");
    query.max = document_argument(body, "find", "max");
    if (const Value* hint = body.get("hint")) query.hint = *hint;
    query.skip = non_negative_argument(body, "find", "skip", 0);
    query.limit = non_negative_argument(body, "find", "limit", 0);
    return query;
}

// https://www.mongodb.com/docs/manual/reference/command/find/ — the first batch holds at most
// batchSize (default 101) documents; limit caps the whole result.
void cmd_find(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    Document body = body_of(request);
    FindQuery query = find_query(body);
    int64_t batch_size = non_negative_argument(body, "find", "batchSize", kDefaultBatchSize);
    bool single_batch = bool_argument(body, "find", "singleBatch", false);
    std::vector<StoredDoc> docs;
    {
        Catalog& catalog = catalog_of(request);
        std::shared_lock lock(catalog.mutex());
        docs = run_find(catalog, request.db, name, query);
    }
    request.server->cursors().reply_first_batch(std::make_unique<StoredDocsCursor>(std::move(docs)),
                                                request.db + "." + name, batch_size, single_batch,
                                                request.body, reply);
}

// https://www.mongodb.com/docs/manual/reference/command/count/ — a negative limit counts as
// its absolute value.
void cmd_count(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    Document body = body_of(request);
    FindQuery query;
    if (auto filter = document_argument(body, "count", "query")) query.filter = std::move(*filter);
    if (const Value* hint = body.get("hint")) query.hint = *hint;
    query.skip = non_negative_argument(body, "count", "skip", 0);
    query.limit = std::abs(int_argument(body, "count", "limit", 0));
    Catalog& catalog = catalog_of(request);
    std::shared_lock lock(catalog.mutex());
    Collection* coll = catalog.find(request.db, name);
    int64_t n = 0;
    if (coll && !coll->is_view() && query.filter.empty() && !query.hint) {
        n = std::max<int64_t>(0, static_cast<int64_t>(coll->count()) - query.skip);
        if (query.limit > 0) n = std::min(n, query.limit);
    } else {
        n = static_cast<int64_t>(run_find(catalog, request.db, name, query).size());
    }
    BSON_APPEND_INT64(reply, "n", n);
}

// Distinct values of a path: array values contribute their elements (one level), as
// https://www.mongodb.com/docs/manual/reference/command/distinct/ describes.
void cmd_distinct(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    Document body = body_of(request);
    auto key = string_argument(body, "distinct", "key");
    if (!key) throw MongoError(40414, "BSON field 'distinct.key' is missing but a required field");
    FindQuery query;
    if (auto filter = document_argument(body, "distinct", "query")) query.filter = std::move(*filter);
    if (const Value* hint = body.get("hint")) query.hint = *hint;
    std::vector<Value> values;
    {
        Catalog& catalog = catalog_of(request);
        std::shared_lock lock(catalog.mutex());
        for (const auto& stored : run_find(catalog, request.db, name, query)) {
            for (auto& value : path_values(to_document(stored), *key)) {
                if (value.type() != BSON_TYPE_UNDEFINED) values.push_back(std::move(value));
            }
        }
    }
    std::sort(values.begin(), values.end(), ValueLess{});
    values.erase(std::unique(values.begin(), values.end(), values_equal), values.end());
    append_value(reply, "values", Value::array(std::move(values)));
}

}  // namespace

void register_crud_commands(CommandRegistry& registry) {
    registry.add("insert", cmd_insert);
    registry.add("find", cmd_find);
    registry.add("count", cmd_count);
    registry.add("distinct", cmd_distinct);
}

}  // namespace tmd
