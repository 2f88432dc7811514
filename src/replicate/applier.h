// Applies a batch of writes to the destination: lanes in parallel, each lane's writes to one
// namespace as one ordered bulk write; writes left over by a unique-key conflict or by an update
// that does not fit the destination's (later) state of the document are handed, in event order,
// to the ConflictResolver.
#pragma once

#include <cstddef>
#include <vector>

#include "mongo/bulk.h"
#include "mongo/client.h"
#include "replicate/lane_workers.h"
#include "replicate/routing.h"
#include "replicate/source_lookup.h"

namespace tributary::replicate {

// Adds `op` to `bulk` as replaceOne / updateOne / deleteOne.
void add_write(mongo::BulkWrite& bulk, const WriteOp& op);
enum class WriteOutcome {
    kApplied,
    kDuplicateKey,
    // An update failed because the destination holds another state of the document than the
    // one its event was made for (see is_stale_state in applier.cpp).
    kStaleState,
};

// Applies one write on its own; write errors other than the two outcomes throw mongo::Error.
WriteOutcome apply_single(mongoc_client_t* destination, const Namespace& ns, const WriteOp& op);

class Applier {
  public:
    // `source` is read only to resolve conflicts (current documents by _id, through `lookup`);
    // `intents` is the destination collection of the ConflictResolver's records.
    Applier(mongo::ClientPool& source, mongo::ClientPool& destination, size_t lanes,
            Namespace intents, SourceLookup& lookup);

    // Applies every write of `batch` (given in event order) before returning. Throws
    // mongo::Error for failures other than duplicate keys and stale states (network,
    // validation, ...); all writes are idempotent, so the caller may simply apply the same
    // batch again.
    void apply(const std::vector<QueuedWrite>& batch);
    // Applies `batch`, the writes of one source transaction in event order, in one destination
    // transaction, so a reader sees all of it or none: each run of writes to one namespace as an
    // ordered bulk, inserts as upserting replacements (a duplicate key, from a replay after a
    // crash, would abort the transaction). Returns false, nothing applied, when a write fails
    // with a write error (a unique conflict, a later state): the caller then uses apply().
    // Throws mongo::Error as apply() does.
    bool apply_transaction(const std::vector<QueuedWrite>& batch);

  private:
    // Restores what a conflict resolution that stopped midway left recorded, once.
    void restore_recorded();
    // Applies the lane's groups; returns, per group, the index where its ordered bulk stopped on
    // a duplicate key or a stale state (the group's size when it completed).
    std::vector<size_t> apply_lane(const std::vector<WriteGroup>& groups);

    mongo::ClientPool& source_;
    mongo::ClientPool& destination_;
    size_t lanes_;
    Namespace intents_;
    SourceLookup& lookup_;
    // Set until the conflict resolver completed: a run that stopped inside it (this process or
    // an earlier one) may have left blockers recorded, restored before the next batch.
    bool restore_recorded_ = true;
    LaneWorkers workers_;
};

}  // namespace tributary::replicate
