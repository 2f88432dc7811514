// A change stream over mongoc_*_watch at cluster, database or collection scope, with the options
// tributary resumes with. The stream keeps its client leased for its whole life.
#pragma once

#include <mongoc/mongoc.h>

#include <memory>
#include <optional>
#include <string>

#include "bson/document.h"
#include "mongo/client.h"
#include "mongo/error.h"

namespace tributary::mongo {

struct ChangeStreamOptions {
    std::optional<bson::Document> resume_after;  // a resume token (_id of an event)
    std::optional<bson::Document> start_after;   // like resume_after, also past an invalidate
    std::optional<bson::Timestamp> start_at_operation_time;
    std::string full_document;  // "" (default), "updateLookup", "whenAvailable", "required"
    int32_t batch_size = 0;     // 0: server default
    int64_t max_await_time_ms = 0;
    bool show_expanded_events = false;  // 6.0+: createIndexes, collMod, create events
};

// Where a change stream watches: the whole deployment (db empty), one database, or one
// collection (both set).
struct WatchScope {
    std::string db;
    std::string collection;
};

class ChangeStream {
  public:
    // Opens the stream (runs the $changeStream aggregate). Throws Error when it fails, e.g.
    // history lost (286) for a resume point that left the oplog.
    ChangeStream(ClientLease client, const WatchScope& scope, const ChangeStreamOptions& options,
                 const bson_t* extra_pipeline = nullptr);

    // The next event (valid until the following call), or nullptr when none arrived within
    // maxAwaitTimeMS or on error: check error() after a nullptr.
    const bson_t* next();
    std::optional<Error> error() const;
    // The cached resume token (the last event's _id, or the postBatchResumeToken of an empty
    // batch), copied; empty document when none is known yet.
    bson::Document resume_token() const;

  private:
    struct Free {
        void operator()(mongoc_change_stream_t* stream) const {
            mongoc_change_stream_destroy(stream);
        }
    };
    ClientLease client_;
    std::unique_ptr<mongoc_change_stream_t, Free> stream_;
};

}  // namespace tributary::mongo
