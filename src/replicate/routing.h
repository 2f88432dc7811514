// Routing of a batch of writes to parallel lanes: every write of one document goes to the same
// lane, in event order, so documents stay ordered while different documents apply concurrently.
#pragma once

#include <cstdint>
#include <vector>

#include "replicate/change_event.h"
#include "replicate/write_model.h"

namespace tributary::replicate {

// A write waiting to be applied; `sequence` is its position in the change stream (event order).
struct QueuedWrite {
    uint64_t sequence = 0;
    Namespace ns;
    WriteOp op;
    // The namespace's writes keep their event order across documents (a capped collection,
    // whose natural order is its insertion order): routed by namespace alone, to one lane.
    bool in_namespace_order = false;
};

// The writes of one lane to one namespace: executed as one ordered bulk write. Each document's
// writes are in event order; writes of different documents are grouped by command (inserts,
// updates, deletes) so the bulk goes out in few commands, except in a namespace whose writes
// keep their event order across documents.
struct WriteGroup {
    Namespace ns;
    std::vector<const QueuedWrite*> writes;
};

// Lane of a document: a hash of its namespace and _id (of the namespace alone when `id_filter`
// is null), stable for the life of the process.
size_t lane_of(const Namespace& ns, const bson_t* id_filter, size_t lanes);

// Splits `batch` (in event order) into `lanes` lists of per-namespace groups (WriteGroup).
// Pointers refer into `batch`, which must outlive the result.
std::vector<std::vector<WriteGroup>> route(const std::vector<QueuedWrite>& batch, size_t lanes);

// After ordered groups stopped at their first failure (`failed_at[g]` = index of the failed
// write in group g, or groups[g].writes.size() when it completed), the writes not yet applied,
// in event order: they are retried one at a time by the conflict resolver.
std::vector<const QueuedWrite*> unapplied_in_event_order(const std::vector<WriteGroup>& groups,
                                                         const std::vector<size_t>& failed_at);

}  // namespace tributary::replicate
