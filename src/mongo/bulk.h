// Unordered (by default) bulk writes over mongoc_bulk_operation_t, bypassing document
// validation. Per-document write errors (e.g. duplicate key) are returned as values so callers
// can repair them; anything else throws.
#pragma once

#include <mongoc/mongoc.h>

#include <memory>
#include <string>
#include <vector>

#include "mongo/collection.h"
#include "mongo/transaction.h"

namespace tributary::mongo {

struct WriteError {
    uint32_t index;  // position of the failed operation in the order they were added
    uint32_t code;
    std::string message;
};

struct BulkResult {
    int64_t inserted = 0;
    int64_t matched = 0;
    int64_t modified = 0;
    int64_t upserted = 0;
    int64_t deleted = 0;
    std::vector<WriteError> errors;
    bool ok() const { return errors.empty(); }
};

class BulkWrite {
  public:
    explicit BulkWrite(const Collection& collection, bool ordered = false);

    void insert(const bson_t* document);
    void replace_one(const bson_t* filter, const bson_t* replacement, bool upsert);
    // `update` is an update document ({$set: ...}) or a pipeline array.
    void update_one(const bson_t* filter, const bson_t* update, bool upsert);
    void delete_one(const bson_t* filter);
    // Sends the operations in `session` (and so in its transaction, if one is started).
    void bind(Session& session);

    size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    // Sends the operations (once). Write errors are in the result; a network, command or
    // write-concern failure throws Error.
    BulkResult execute();

  private:
    void added(bool ok, bson_error_t& error);
    struct Free {
        void operator()(mongoc_bulk_operation_t* bulk) const {
            mongoc_bulk_operation_destroy(bulk);
        }
    };
    std::unique_ptr<mongoc_bulk_operation_t, Free> bulk_;
    size_t count_ = 0;
};

}  // namespace tributary::mongo
