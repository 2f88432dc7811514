// Change streams: the aggregate command's $changeStream path (see change_stream.h).
// Validates the request, builds events from the oplog and serves them through a cursor.
#include "server/change_stream.h"

#include <cstring>

#include "engine/error.h"

namespace tmd {
namespace {

// True when the command's pipeline is an array whose first stage is {$changeStream: ...}.
bool pipeline_starts_with_change_stream(const bson_t* body) {
    bson_iter_t iter, stages;
    if (!bson_iter_init_find(&iter, body, "pipeline") || !BSON_ITER_HOLDS_ARRAY(&iter)) return false;
    if (!bson_iter_recurse(&iter, &stages) || !bson_iter_next(&stages)) return false;
    if (!BSON_ITER_HOLDS_DOCUMENT(&stages)) return false;
    bson_iter_t stage;
    return bson_iter_recurse(&stages, &stage) && bson_iter_next(&stage) &&
           std::strcmp(bson_iter_key(&stage), "$changeStream") == 0;
}

}  // namespace

bool run_change_stream_aggregate(const CommandRequest& request, bson_t* /*reply*/) {
    if (!pipeline_starts_with_change_stream(request.body)) return false;
    // Interim until the change stream cursor lands (within this helper's session).
    throw MongoError(code::CommandNotFound, "$changeStream is not implemented yet");
}

}  // namespace tmd
