// The run's change stream on the source, opened at a position: the replicator's and the spool
// reader's (replicate/spool_reader.h) streams are the same stream.
#pragma once

#include <cstdint>
#include <optional>

#include "bson/document.h"
#include "catalog/namespace_filter.h"
#include "mongo/change_stream.h"
#include "mongo/client.h"

namespace tributary::replicate {

// How long a getMore waits for events: also how quickly a stop request is noticed when idle.
inline constexpr int64_t kMaxAwaitTimeMs = 500;

// Where a change stream (re)opens: after `resume_token` when set (with startAfter past an
// invalidate), else at `operation_time`.
struct StreamPosition {
    bson::Document resume_token;  // last event applied (or high-water mark when idle)
    bool start_after = false;     // true after an invalidate
    bson::Timestamp operation_time;
};

// Opens the run's change stream on `source` at `position` (database-level for one database,
// else cluster-level with a $match on the synced databases); `expanded_events` for 6.0+.
void open_change_stream(std::optional<mongo::ChangeStream>& stream, mongo::ClientPool& source,
                        const catalog::NamespaceFilter& filter, const StreamPosition& position,
                        int32_t batch_size, bool expanded_events);

}  // namespace tributary::replicate
