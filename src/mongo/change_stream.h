// A change stream run as raw aggregate/getMore commands on one server and one session, at
// cluster, database or collection scope, with the options tributary resumes with.
#pragma once

#include <mongoc/mongoc.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
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
    bool show_expanded_events = false;  // 6.0+: create, createIndexes, dropIndexes, modify events
};

// Where a change stream watches: the whole deployment (db empty), one database, or one
// collection (both set).
struct WatchScope {
    std::string db;
    std::string collection;
};

// libmongoc 1.23's mongoc_*_watch sends showExpandedEvents as a field of the aggregate command,
// while MongoDB reads it only inside the $changeStream stage, so DDL events never arrive through
// it. This class therefore runs the commands itself, as the change streams specification
// describes: the aggregate and every getMore go to the same server in the same session, and the
// resume token is the last returned event's _id or, once a batch is drained, its
// postBatchResumeToken. It does not resume by itself: the caller reopens from resume_token().
// The cluster time a resume token stands for: its _data hex string begins with that time as a
// KeyString Timestamp (type byte 0x82, then t and i big-endian; mongod:
// src/mongo/db/pipeline/resume_token.cpp). nullopt for a token of another shape.
std::optional<bson::Timestamp> resume_token_time(const bson_t* token);

class ChangeStream {
  public:
    // Opens the stream (runs the $changeStream aggregate). Throws Error when it fails, e.g.
    // history lost (286) for a resume point that left the oplog. `extra_pipeline` has the shape
    // {pipeline: [stage, ...]}; its stages follow $changeStream.
    ChangeStream(ClientLease client, const WatchScope& scope, const ChangeStreamOptions& options,
                 const bson_t* extra_pipeline = nullptr);
    ~ChangeStream();
    ChangeStream(const ChangeStream&) = delete;
    ChangeStream& operator=(const ChangeStream&) = delete;

    // The next event (valid until the following call), or nullptr when none arrived within
    // maxAwaitTimeMS or on error: check error() after a nullptr. After a batch of fewer than
    // kSmallBatchEvents events, the next getMore waits kSmallBatchPause first: a server answers
    // a getMore as soon as one event is there, and against a busy source one getMore (and
    // libmongoc's topology update for its reply's $clusterTime) per event cost more CPU than
    // the events themselves. The pause adds at most that much to the lag.
    const bson_t* next();
    static constexpr size_t kSmallBatchEvents = 100;
    static constexpr std::chrono::milliseconds kSmallBatchPause{10};
    std::optional<Error> error() const { return error_; }
    // The resume token (the last event's _id, or the postBatchResumeToken of a drained batch),
    // copied; empty document when none is known yet.
    bson::Document resume_token() const;

  private:
    struct FreeSession {
        void operator()(mongoc_client_session_t* session) const {
            mongoc_client_session_destroy(session);
        }
    };
    // Runs `command` on the stream's server and session; the reply, or nullopt with error_ set.
    std::optional<bson::Document> run(const bson_t* command);
    // Runs aggregate or getMore and makes the reply's `batch_field` array the current batch.
    bool read_batch(const bson_t* command, const char* batch_field);
    bool get_more();
    // Steps to the next event of the current batch; false when drained.
    bool next_in_batch();
    void kill_cursor();

    ClientLease client_;
    std::unique_ptr<mongoc_client_session_t, FreeSession> session_;
    uint32_t server_id_ = 0;
    std::string db_;
    std::string cursor_collection_;  // the cursor namespace's collection part, for getMore
    int64_t cursor_id_ = 0;
    int32_t batch_size_ = 0;
    int64_t max_await_time_ms_ = 0;
    bson::Document reply_;
    bson_iter_t batch_{};
    bool in_batch_ = false;
    size_t batch_events_ = 0;  // in the current batch
    bson::Document post_batch_token_;
    bson_t event_{};
    bson::Document resume_token_;  // when !token_in_event_
    bool token_in_event_ = false;  // the resume token is the current event's _id
    std::optional<Error> error_;
};

}  // namespace tributary::mongo
