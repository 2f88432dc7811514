// Change streams: the aggregate command's $changeStream path. Reads the oplog, turns entries into
// change events as mongod documents them, and serves them through a tailable-await cursor.
#pragma once

#include <bson/bson.h>

#include "server/command.h"

namespace tmd {

// Runs `aggregate` when its pipeline starts with $changeStream: validates the stage and its
// options, opens the change stream cursor and appends the {cursor: {firstBatch, id, ns,
// postBatchResumeToken}} reply. Returns false, appending nothing, when the pipeline has no
// $changeStream (the caller runs an ordinary aggregation); throws 40602 when $changeStream is not
// the first stage, and MongoError as mongod would for every other invalid request.
bool run_change_stream_aggregate(const CommandRequest& request, bson_t* reply);

}  // namespace tmd
