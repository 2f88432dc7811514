// Database, collection and cursor handles over libmongoc, plus command helpers. Each class owns
// exactly one libmongoc handle; failures are thrown as mongo::Error.
#pragma once

#include <mongoc/mongoc.h>

#include <memory>
#include <optional>
#include <string>

#include "bson/document.h"
#include "mongo/error.h"

namespace tributary::mongo {

// Iterates a cursor. next() returns a document view valid until the following call, nullptr at
// the end; a failed getMore throws Error.
class Cursor {
  public:
    explicit Cursor(mongoc_cursor_t* cursor) : cursor_(cursor) {}
    const bson_t* next();

  private:
    struct Free {
        void operator()(mongoc_cursor_t* cursor) const { mongoc_cursor_destroy(cursor); }
    };
    std::unique_ptr<mongoc_cursor_t, Free> cursor_;
};

class Collection {
  public:
    Collection(mongoc_client_t* client, const std::string& db, const std::string& name);

    mongoc_collection_t* get() const { return coll_.get(); }
    const std::string& db() const { return db_; }
    const std::string& name() const { return name_; }
    std::string ns() const { return db_ + "." + name_; }

    // find(filter, opts): opts as the find command's options (sort, projection, hint, batchSize).
    Cursor find(const bson_t* filter, const bson_t* opts = nullptr) const;
    Cursor aggregate(const bson_t* pipeline, const bson_t* opts = nullptr) const;
    // Exact count through the countDocuments aggregation.
    int64_t count_documents(const bson_t* filter = nullptr) const;
    // The count from collection metadata (the count command without a query): instant, but may
    // be off after an unclean shutdown. For sizing work, never for correctness.
    int64_t estimated_count() const;
    // listIndexes as owned documents ({} when the collection does not exist).
    std::vector<bson::Document> list_indexes() const;
    // Drops the collection; dropping a missing collection is not an error.
    void drop() const;

  private:
    struct Free {
        void operator()(mongoc_collection_t* coll) const { mongoc_collection_destroy(coll); }
    };
    std::unique_ptr<mongoc_collection_t, Free> coll_;
    std::string db_;
    std::string name_;
};

// Runs `command` against database `db` on the primary and returns the reply; throws Error when
// the command fails (ok: 0) or the server cannot be reached.
bson::Document run_command(mongoc_client_t* client, const std::string& db, const bson_t* command);

// listCollections documents of `db` (name, type, options, info), in server order; only those
// matching `filter` when given ({name: ...}).
std::vector<bson::Document> list_collections(mongoc_client_t* client, const std::string& db,
                                             const bson_t* filter = nullptr);
// Names of every database (listDatabases nameOnly).
std::vector<std::string> list_database_names(mongoc_client_t* client);

// Field helpers over borrowed documents; return std::nullopt when the field is absent or has
// another type.
std::optional<std::string> get_string(const bson_t* doc, const char* dotted_key);
std::optional<int64_t> get_int(const bson_t* doc, const char* dotted_key);
std::optional<bool> get_bool(const bson_t* doc, const char* dotted_key);
std::optional<bson::Timestamp> get_timestamp(const bson_t* doc, const char* dotted_key);
// The bytes of a binary field (any subtype).
std::optional<std::string> get_binary(const bson_t* doc, const char* dotted_key);
// An embedded document or array, copied.
std::optional<bson::Document> get_document(const bson_t* doc, const char* dotted_key);

}  // namespace tributary::mongo
