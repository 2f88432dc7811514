// Resolution of unique-index conflicts that exist only transiently during catch-up, e.g. two
// documents swapping a unique value: the destination holds a mix of older and newer states.
// The strategy is described in docs/replication.md ("Unique-index conflicts").
#pragma once

#include <mongoc/mongoc.h>

#include <optional>
#include <vector>

#include "bson/document.h"
#include "replicate/routing.h"
#include "replicate/source_lookup.h"

namespace tributary::replicate {

class ConflictResolver {
  public:
    // `intents` is the destination collection where blockers moved aside are recorded; source
    // documents are read through `lookup` (by incarnation).
    ConflictResolver(mongoc_client_t* source, mongoc_client_t* destination, Namespace intents,
                     SourceLookup& lookup)
        : source_(source),
          destination_(destination),
          intents_(std::move(intents)),
          lookup_(lookup) {}

    // Applies `writes` (event order) one at a time. A write that hits a duplicate key:
    //  1. first applies the pending writes of the documents holding the conflicting values
    //     (their later events usually move the value away: the swap case), then retries;
    //  2. otherwise re-reads every blocking document from the source, then rewrites each as its
    //     current source state (or deletes it when the source no longer has it); a blocker that
    //     cannot take its state yet (a cycle: a swap) is recorded in `intents`, deleted, and
    //     written back after the write, applied as the document's current source state.
    // An update that does not fit the destination's state of its document (WriteOutcome::
    // kStaleState) makes the document its current source state, or deletes it when the source
    // no longer has it. A document whose collection is gone from the source (SourceDocument::
    // collection_gone) is left as it is: its drop or rename still to be replayed decides.
    // Later events of the documents touched re-apply idempotently, so the result converges.
    void apply_in_order(const std::vector<const QueuedWrite*>& writes);
    // Writes back, as their current source state, the blockers recorded in `intents` by a run
    // that stopped before writing them back, and removes their records.
    void restore_recorded();

  private:
    void apply_pending(size_t index);
    // The write as a replacement with a known document: replaces stay; updates become the
    // document's current source state; nullopt when the document no longer exists on the source.
    std::optional<WriteOp> with_known_document(const Namespace& ns, const WriteOp& op);
    // _id filters of destination documents other than `document` holding one of its unique keys.
    std::vector<bson::Document> find_blockers(const Namespace& ns, const bson_t* document);
    void force_write(const Namespace& ns, const WriteOp& op, int depth);
    void resolve_from_source(const Namespace& ns, const bson_t* id_filter);
    // Writes the document back as its current source state and removes its intent record.
    void restore(const Namespace& ns, const bson_t* id_filter, int depth);
    SourceDocument fetch_source(const Namespace& ns, const bson_t* id_filter);

    struct Blocker {
        bson::Document id;  // {_id: ...}
        SourceDocument current;
    };

    mongoc_client_t* source_;
    mongoc_client_t* destination_;
    Namespace intents_;
    SourceLookup& lookup_;
    std::vector<const QueuedWrite*> writes_;
    std::vector<bool> done_;
};

}  // namespace tributary::replicate
