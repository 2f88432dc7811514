// Spec runner: change stream entities. libmongoc's mongoc_change_stream_t, or, for the options
// libmongoc 1.23 cannot put into the $changeStream stage (showExpandedEvents, which it sends as an
// aggregate field; the stage option came with libmongoc 1.24), the aggregate a newer driver sends
// (change-streams spec, "showExpandedEvents"), read through libmongoc's aggregate cursor.
#pragma once

#include <mongoc/mongoc.h>

#include <memory>

namespace spec {

class ChangeStream {
  public:
    virtual ~ChangeStream() = default;
    // The next event (valid until the next call), or false when none is ready yet.
    virtual bool next(const bson_t** event) = 0;
    // Whether the stream failed, with the error and the server's reply.
    virtual bool error(bson_error_t* error, const bson_t** reply) = 0;
};
using ChangeStreamPtr = std::unique_ptr<ChangeStream>;

ChangeStreamPtr driver_change_stream(mongoc_change_stream_t* stream);

// Whether watch options need command_change_stream (they hold showExpandedEvents).
bool needs_stage_options(const bson_t* opts);

// The aggregate {pipeline: [{$changeStream: {<stage options of opts>}}, ...pipeline]} a driver
// sends for watch(pipeline, opts) on a collection or a database (allChangesForCluster: the
// client's stream on admin); the other options go to the aggregate command.
ChangeStreamPtr collection_command_stream(mongoc_collection_t* coll, const bson_t* pipeline,
                                          const bson_t* opts);
ChangeStreamPtr database_command_stream(mongoc_database_t* db, const bson_t* pipeline,
                                        const bson_t* opts, bool all_changes_for_cluster);

}  // namespace spec
