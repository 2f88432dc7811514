// Spec runner: change stream entities (see change_streams.h).
#include "change_streams.h"

#include <cstring>

#include "bson_util.h"

namespace spec {
namespace {

class DriverChangeStream : public ChangeStream {
  public:
    explicit DriverChangeStream(mongoc_change_stream_t* stream) : stream_(stream) {}
    ~DriverChangeStream() override { mongoc_change_stream_destroy(stream_); }
    bool next(const bson_t** event) override { return mongoc_change_stream_next(stream_, event); }
    bool error(bson_error_t* error, const bson_t** reply) override {
        return mongoc_change_stream_error_document(stream_, error, reply);
    }

  private:
    mongoc_change_stream_t* stream_;
};

// An aggregate cursor over the $changeStream stage: an empty batch of an open cursor means no
// event yet; the next call sends another getMore. The aggregate is sent at creation, as
// watch() sends it, and an event it already returned is kept for the first next().
class CommandChangeStream : public ChangeStream {
  public:
    explicit CommandChangeStream(mongoc_cursor_t* cursor) : cursor_(cursor) {
        has_first_ = mongoc_cursor_next(cursor_, &first_);
    }
    ~CommandChangeStream() override { mongoc_cursor_destroy(cursor_); }
    bool next(const bson_t** event) override {
        if (has_first_) {
            has_first_ = false;
            *event = first_;
            return true;
        }
        return mongoc_cursor_next(cursor_, event);
    }
    bool error(bson_error_t* error, const bson_t** reply) override {
        return mongoc_cursor_error_document(cursor_, error, reply);
    }

  private:
    mongoc_cursor_t* cursor_;
    const bson_t* first_ = nullptr;
    bool has_first_ = false;
};

// Options of the $changeStream stage (change-streams spec, "ChangeStreamOptions").
bool is_stage_option(const char* key) {
    for (const char* option : {"fullDocument", "fullDocumentBeforeChange", "resumeAfter",
                               "startAfter", "startAtOperationTime", "showExpandedEvents"}) {
        if (std::strcmp(key, option) == 0) return true;
    }
    return false;
}

struct AggregateParts {
    Doc pipeline;  // {pipeline: [{$changeStream: ...}, ...]}
    Doc opts;      // the aggregate's other options
};

AggregateParts aggregate_parts(const bson_t* watch_pipeline, const bson_t* watch_opts,
                               bool all_changes_for_cluster) {
    AggregateParts parts;
    Doc stage_options;
    bson_iter_t it;
    bson_iter_init(&it, watch_opts);
    while (bson_iter_next(&it)) {
        Doc& target = is_stage_option(bson_iter_key(&it)) ? stage_options : parts.opts;
        bson_append_iter(target.get(), bson_iter_key(&it), -1, &it);
    }
    if (all_changes_for_cluster)
        BSON_APPEND_BOOL(stage_options.get(), "allChangesForCluster", true);
    bson_t stages, first;
    BSON_APPEND_ARRAY_BEGIN(parts.pipeline.get(), "pipeline", &stages);
    BSON_APPEND_DOCUMENT_BEGIN(&stages, "0", &first);
    BSON_APPEND_DOCUMENT(&first, "$changeStream", stage_options.get());
    bson_append_document_end(&stages, &first);
    uint32_t index = 1;
    if (bson_iter_init_find(&it, watch_pipeline, "pipeline") && BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_t stage;
        bson_iter_recurse(&it, &stage);
        while (bson_iter_next(&stage)) {
            std::string key = std::to_string(index++);
            bson_append_iter(&stages, key.c_str(), -1, &stage);
        }
    }
    bson_append_array_end(parts.pipeline.get(), &stages);
    return parts;
}

}  // namespace

ChangeStreamPtr driver_change_stream(mongoc_change_stream_t* stream) {
    return std::make_unique<DriverChangeStream>(stream);
}

bool needs_stage_options(const bson_t* opts) {
    return bson_has_field(opts, "showExpandedEvents");
}

ChangeStreamPtr collection_command_stream(mongoc_collection_t* coll, const bson_t* pipeline,
                                          const bson_t* opts) {
    AggregateParts parts = aggregate_parts(pipeline, opts, false);
    return std::make_unique<CommandChangeStream>(mongoc_collection_aggregate(
        coll, MONGOC_QUERY_NONE, parts.pipeline.get(), parts.opts.get(), nullptr));
}

ChangeStreamPtr database_command_stream(mongoc_database_t* db, const bson_t* pipeline,
                                        const bson_t* opts, bool all_changes_for_cluster) {
    AggregateParts parts = aggregate_parts(pipeline, opts, all_changes_for_cluster);
    return std::make_unique<CommandChangeStream>(
        mongoc_database_aggregate(db, parts.pipeline.get(), parts.opts.get(), nullptr));
}

}  // namespace spec
