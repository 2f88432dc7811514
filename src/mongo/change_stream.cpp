// Change streams as raw commands (see change_stream.h for why): an aggregate whose first stage is
// $changeStream, then getMore with maxTimeMS = maxAwaitTimeMS, pinned to one server and session.
#include "mongo/change_stream.h"

#include <stdexcept>
#include <string>
#include <thread>

#include "mongo/collection.h"

namespace tributary::mongo {

namespace {
// The $changeStream stage's options (MongoDB manual, "$changeStream (aggregation)").
void append_stage_options(bson_t* stage, const WatchScope& scope,
                          const ChangeStreamOptions& options) {
    if (!options.full_document.empty()) {
        BSON_APPEND_UTF8(stage, "fullDocument", options.full_document.c_str());
    }
    if (options.resume_after)
        BSON_APPEND_DOCUMENT(stage, "resumeAfter", options.resume_after->view());
    if (options.start_after) BSON_APPEND_DOCUMENT(stage, "startAfter", options.start_after->view());
    if (options.start_at_operation_time) {
        BSON_APPEND_TIMESTAMP(stage, "startAtOperationTime", options.start_at_operation_time->t,
                              options.start_at_operation_time->i);
    }
    if (scope.db.empty()) BSON_APPEND_BOOL(stage, "allChangesForCluster", true);
    if (options.show_expanded_events) BSON_APPEND_BOOL(stage, "showExpandedEvents", true);
}

// Copies the stages of {pipeline: [...]} after the ones already in `stages`.
void append_extra_stages(bson_t* stages, const bson_t* extra_pipeline) {
    bson_iter_t iter, stage;
    if (!extra_pipeline || !bson_iter_init_find(&iter, extra_pipeline, "pipeline") ||
        !bson_iter_recurse(&iter, &stage)) {
        return;
    }
    for (uint32_t index = 1; bson_iter_next(&stage);) {
        const std::string key = std::to_string(index++);
        bson_append_iter(stages, key.c_str(), -1, &stage);
    }
}

bson::Document aggregate_command(const WatchScope& scope, const ChangeStreamOptions& options,
                                 const bson_t* extra_pipeline) {
    bson::Document command;
    if (scope.collection.empty()) {
        BSON_APPEND_INT32(command.get(), "aggregate", 1);
    } else {
        BSON_APPEND_UTF8(command.get(), "aggregate", scope.collection.c_str());
    }
    bson_t stages, first, stage, cursor;
    BSON_APPEND_ARRAY_BEGIN(command.get(), "pipeline", &stages);
    BSON_APPEND_DOCUMENT_BEGIN(&stages, "0", &first);
    BSON_APPEND_DOCUMENT_BEGIN(&first, "$changeStream", &stage);
    append_stage_options(&stage, scope, options);
    bson_append_document_end(&first, &stage);
    bson_append_document_end(&stages, &first);
    append_extra_stages(&stages, extra_pipeline);
    bson_append_array_end(command.get(), &stages);
    BSON_APPEND_DOCUMENT_BEGIN(command.get(), "cursor", &cursor);
    if (options.batch_size > 0) BSON_APPEND_INT32(&cursor, "batchSize", options.batch_size);
    bson_append_document_end(command.get(), &cursor);
    return command;
}

// The _id of a change event (its resume token); empty when missing.
bson::Document event_id(const bson_t* event) {
    bson_iter_t id;
    if (!bson_iter_init_find(&id, event, "_id") || !BSON_ITER_HOLDS_DOCUMENT(&id)) return {};
    return bson::Document::copy_of_subdocument(id);
}

uint32_t select_server(mongoc_client_t* client) {
    bson_error_t error;
    mongoc_server_description_t* server =
        mongoc_client_select_server(client, false, mongoc_client_get_read_prefs(client), &error);
    if (!server) throw Error::from(error);
    const uint32_t id = mongoc_server_description_id(server);
    mongoc_server_description_destroy(server);
    return id;
}

mongoc_client_session_t* start_session(mongoc_client_t* client) {
    bson_error_t error;
    mongoc_client_session_t* session = mongoc_client_start_session(client, nullptr, &error);
    if (!session) throw Error::from(error);
    return session;
}
}  // namespace

ChangeStream::ChangeStream(ClientLease client, const WatchScope& scope,
                           const ChangeStreamOptions& options, const bson_t* extra_pipeline)
    : client_(std::move(client)),
      session_(start_session(client_.get())),
      server_id_(select_server(client_.get())),
      db_(scope.db.empty() ? "admin" : scope.db),
      batch_size_(options.batch_size),
      max_await_time_ms_(options.max_await_time_ms) {
    bson::Document command = aggregate_command(scope, options, extra_pipeline);
    if (!read_batch(command.view(), "cursor.firstBatch")) throw *error_;
}

ChangeStream::~ChangeStream() {
    kill_cursor();
}

std::optional<bson::Timestamp> resume_token_time(const bson_t* token) {
    std::optional<std::string> data = get_string(token, "_data");
    if (!data || data->size() < 18 || data->compare(0, 2, "82") != 0) return std::nullopt;
    try {
        uint64_t packed = std::stoull(data->substr(2, 16), nullptr, 16);
        return bson::Timestamp{static_cast<uint32_t>(packed >> 32),
                               static_cast<uint32_t>(packed & 0xffffffff)};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

const bson_t* ChangeStream::next() {
    if (error_) return nullptr;
    if (next_in_batch()) return &event_;
    if (batch_events_ > 0 && batch_events_ < kSmallBatchEvents)
        std::this_thread::sleep_for(kSmallBatchPause);
    if (!get_more()) return nullptr;
    return next_in_batch() ? &event_ : nullptr;
}

bool ChangeStream::next_in_batch() {
    if (!in_batch_) return false;
    while (bson_iter_next(&batch_)) {
        uint32_t length = 0;
        const uint8_t* data = nullptr;
        if (!BSON_ITER_HOLDS_DOCUMENT(&batch_)) continue;
        bson_iter_document(&batch_, &length, &data);
        if (!bson_init_static(&event_, data, length)) continue;
        token_in_event_ = true;
        return true;
    }
    // Drained: the server's high-water mark is the resume point from here on (or, from a server
    // without one, the last event's _id, copied before the next reply replaces the event).
    in_batch_ = false;
    if (!post_batch_token_.empty()) {
        resume_token_ = post_batch_token_.copy();
    } else if (token_in_event_) {
        resume_token_ = event_id(&event_);
    }
    token_in_event_ = false;
    return false;
}

bson::Document ChangeStream::resume_token() const {
    return token_in_event_ ? event_id(&event_) : resume_token_.copy();
}

bool ChangeStream::get_more() {
    if (cursor_id_ == 0) {
        // The server closes a change stream's cursor only after an invalidate event, which the
        // caller reacts to by reopening; anything else is reported so the caller reopens too.
        error_ = Error(MONGOC_ERROR_CURSOR, MONGOC_ERROR_CURSOR_INVALID_CURSOR,
                       "the source closed the change stream's cursor");
        return false;
    }
    bson::Document command;
    BSON_APPEND_INT64(command.get(), "getMore", cursor_id_);
    BSON_APPEND_UTF8(command.get(), "collection", cursor_collection_.c_str());
    if (batch_size_ > 0) BSON_APPEND_INT32(command.get(), "batchSize", batch_size_);
    // For a tailable awaitData cursor, getMore's maxTimeMS is how long it waits for new events.
    if (max_await_time_ms_ > 0) BSON_APPEND_INT64(command.get(), "maxTimeMS", max_await_time_ms_);
    return read_batch(command.view(), "cursor.nextBatch");
}

std::optional<bson::Document> ChangeStream::run(const bson_t* command) {
    bson_t opts = BSON_INITIALIZER;
    bson_error_t error;
    BSON_APPEND_INT32(&opts, "serverId", static_cast<int32_t>(server_id_));
    bool ok = mongoc_client_session_append(session_.get(), &opts, &error);
    bson_t reply = BSON_INITIALIZER;
    // The read preference the server was selected with, so a secondary accepts the commands.
    ok = ok && mongoc_client_command_with_opts(client_.get(), db_.c_str(), command,
                                               mongoc_client_get_read_prefs(client_.get()), &opts,
                                               &reply, &error);
    bson_destroy(&opts);
    std::optional<bson::Document> result;
    if (ok) {
        result = bson::Document::copy_of(&reply);
    } else {
        error_ = Error::from(error, &reply);
    }
    bson_destroy(&reply);
    return result;
}

bool ChangeStream::read_batch(const bson_t* command, const char* batch_field) {
    std::optional<bson::Document> reply = run(command);
    if (!reply) return false;
    reply_ = std::move(*reply);
    cursor_id_ = get_int(reply_.view(), "cursor.id").value_or(0);
    if (auto ns = get_string(reply_.view(), "cursor.ns")) {
        cursor_collection_ = ns->substr(ns->find('.') + 1);
    }
    bson_iter_t iter, found;
    post_batch_token_ = bson::Document();
    if (bson_iter_init(&iter, reply_.view()) &&
        bson_iter_find_descendant(&iter, "cursor.postBatchResumeToken", &found) &&
        BSON_ITER_HOLDS_DOCUMENT(&found)) {
        post_batch_token_ = bson::Document::copy_of_subdocument(found);
    }
    if (!bson_iter_init(&iter, reply_.view()) ||
        !bson_iter_find_descendant(&iter, batch_field, &found) || !BSON_ITER_HOLDS_ARRAY(&found) ||
        !bson_iter_recurse(&found, &batch_)) {
        error_ = Error(MONGOC_ERROR_CURSOR, MONGOC_ERROR_CURSOR_INVALID_CURSOR,
                       std::string("the source's change stream reply has no ") + batch_field);
        return false;
    }
    in_batch_ = true;
    batch_events_ = 0;
    for (bson_iter_t counted = batch_; bson_iter_next(&counted);)
        ++batch_events_;
    // An empty batch leaves the postBatchResumeToken as the resume point (change streams spec).
    if (batch_events_ == 0 && !post_batch_token_.empty()) {
        resume_token_ = post_batch_token_.copy();
    }
    return true;
}

void ChangeStream::kill_cursor() {
    // Best effort, and only while the connection is known to work: the server also reaps the
    // cursor when the session ends.
    if (cursor_id_ == 0 || error_) return;
    bson::Document command;
    BSON_APPEND_UTF8(command.get(), "killCursors", cursor_collection_.c_str());
    bson_t cursors;
    BSON_APPEND_ARRAY_BEGIN(command.get(), "cursors", &cursors);
    BSON_APPEND_INT64(&cursors, "0", cursor_id_);
    bson_append_array_end(command.get(), &cursors);
    cursor_id_ = 0;
    run(command.view());
}

}  // namespace tributary::mongo
