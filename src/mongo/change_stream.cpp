// Change streams over mongoc_client_watch / mongoc_database_watch / mongoc_collection_watch.
// libmongoc resumes once by itself on resumable errors; tributary resumes beyond that itself.
#include "mongo/change_stream.h"

#include "mongo/collection.h"

namespace tributary::mongo {

namespace {
bson_t to_opts(const ChangeStreamOptions& options) {
    bson_t opts = BSON_INITIALIZER;
    if (options.resume_after)
        BSON_APPEND_DOCUMENT(&opts, "resumeAfter", options.resume_after->view());
    if (options.start_after) BSON_APPEND_DOCUMENT(&opts, "startAfter", options.start_after->view());
    if (options.start_at_operation_time) {
        BSON_APPEND_TIMESTAMP(&opts, "startAtOperationTime", options.start_at_operation_time->t,
                              options.start_at_operation_time->i);
    }
    if (!options.full_document.empty()) {
        BSON_APPEND_UTF8(&opts, "fullDocument", options.full_document.c_str());
    }
    if (options.batch_size > 0) BSON_APPEND_INT32(&opts, "batchSize", options.batch_size);
    if (options.max_await_time_ms > 0) {
        BSON_APPEND_INT64(&opts, "maxAwaitTimeMS", options.max_await_time_ms);
    }
    if (options.show_expanded_events) BSON_APPEND_BOOL(&opts, "showExpandedEvents", true);
    return opts;
}

mongoc_change_stream_t* watch(mongoc_client_t* client, const WatchScope& scope,
                              const bson_t* pipeline, const bson_t* opts) {
    if (scope.db.empty()) return mongoc_client_watch(client, pipeline, opts);
    if (scope.collection.empty()) {
        mongoc_database_t* db = mongoc_client_get_database(client, scope.db.c_str());
        mongoc_change_stream_t* stream = mongoc_database_watch(db, pipeline, opts);
        mongoc_database_destroy(db);  // the stream keeps its own copy of the namespace
        return stream;
    }
    Collection coll(client, scope.db, scope.collection);
    return mongoc_collection_watch(coll.get(), pipeline, opts);
}
}  // namespace

ChangeStream::ChangeStream(ClientLease client, const WatchScope& scope,
                           const ChangeStreamOptions& options, const bson_t* extra_pipeline)
    : client_(std::move(client)) {
    bson_t opts = to_opts(options);
    bson_t empty_pipeline = BSON_INITIALIZER;
    stream_.reset(
        watch(client_.get(), scope, extra_pipeline ? extra_pipeline : &empty_pipeline, &opts));
    bson_destroy(&empty_pipeline);
    bson_destroy(&opts);
    if (auto failure = error()) throw *failure;
}

const bson_t* ChangeStream::next() {
    const bson_t* event = nullptr;
    return mongoc_change_stream_next(stream_.get(), &event) ? event : nullptr;
}

std::optional<Error> ChangeStream::error() const {
    bson_error_t error;
    const bson_t* reply = nullptr;
    if (!mongoc_change_stream_error_document(stream_.get(), &error, &reply)) return std::nullopt;
    return Error::from(error, reply);
}

bson::Document ChangeStream::resume_token() const {
    const bson_t* token = mongoc_change_stream_get_resume_token(stream_.get());
    return token ? bson::Document::copy_of(token) : bson::Document();
}

}  // namespace tributary::mongo
