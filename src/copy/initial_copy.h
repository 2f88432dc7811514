// The initial copy: capture the change-stream start point, create the destination's collections
// with their options, copy documents in parallel _id ranges (reader and writer pipelined through
// a bounded queue), then build indexes. Progress is checkpointed per range.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/namespace_filter.h"
#include "checkpoint/checkpoint.h"
#include "cli/config.h"
#include "mongo/client.h"

namespace tributary::copy {

struct CopyConfig {
    int workers = 4;              // ranges copied at the same time
    int read_batch_size = 10000;  // find batchSize
    ExistingMode existing = ExistingMode::kSkip;
    int64_t range_docs = 0;  // documents per range; 0: automatic (range_size)
};

// Write batches: unordered bulk inserts of at most 16 MiB and 100,000 documents.
inline constexpr size_t kMaxBatchBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxBatchDocuments = 100000;
// Automatic ranges hold at least this many documents: smaller ones cost more than they save.
inline constexpr int64_t kMinRangeDocuments = 100000;

// Opens a change stream on the source at the run's scope (the database when the run covers one,
// else the cluster) and returns its resume token and the cluster time read just before it.
checkpoint::StartPoint capture_start_point(mongo::ClientPool& source,
                                           const catalog::NamespaceFilter& filter);

// "users" when the run covers one database (the original script's log lines), else "shop.users".
std::string display_name(const catalog::NamespaceFilter& filter, const std::string& db,
                         const std::string& coll);

class InitialCopy {
  public:
    InitialCopy(CopyConfig config, mongo::ClientPool& source, mongo::ClientPool& destination,
                const catalog::NamespaceFilter& filter, checkpoint::Checkpoint& checkpoint,
                const std::atomic<bool>& stop);

    // Captures the start point unless the checkpoint holds one, then copies every selected
    // collection whose copy is not complete, listing the source again whenever a collection was
    // renamed or dropped under its copy. Returns false when stopped before the end.
    // Throws UserError for --existing fail conflicts and rejected writes, mongo::Error otherwise.
    bool run();
    // Captures the start point unless the checkpoint holds one (run() does it first).
    void ensure_start_point();

    // Starts over after history loss on the source: a new start point, and every copy marked
    // stale, so that the next run() copies each synced namespace again when the source has it
    // and drops tributary's copy otherwise.
    void begin_resync();
    // Copies the source's `db.coll` as it is now, during replication: the target of a rename at
    // `renamed_at` whose documents the destination does not hold (renamed in from outside the
    // synced namespaces, or from a name copied after the rename). Resumes a copy of it a crash
    // interrupted; nothing to do when a copy listed after the rename is complete. When the
    // source no longer has the name, the name is recorded as copied empty (later events say
    // where its documents went). Returns false when stopped before the end.
    bool copy_renamed_in(const std::string& db, const std::string& coll,
                         bson::Timestamp renamed_at);

  private:
    // The source's selected collections and its operation time read right after listing them.
    struct Listing {
        std::vector<catalog::CollectionInfo> collections;
        bson::Timestamp listed_at;
    };
    enum class Outcome { kDone, kStopped, kCatalogChanged };

    // Copies until a pass finds no collection renamed or dropped during its copy.
    bool copy_until_settled();
    Listing list_source(const catalog::NamespaceFilter& filter);
    // Drops the destination's copies that are unfinished or stale and whose source collection
    // is gone, and forgets them.
    void drop_vanished(const Listing& listing);
    // Drops the destination's `ns` and forgets its copy (which it no longer reflects).
    void drop_copy(const std::string& db, const std::string& coll);
    // Decides what to do with each collection (copy, resume, skip) per checkpoint and --existing.
    std::vector<catalog::CollectionInfo> select(std::vector<catalog::CollectionInfo> collections);
    Outcome copy_collections(const std::vector<catalog::CollectionInfo>& collections,
                             bson::Timestamp listed_at);
    // Write-ahead, in one checkpoint save: records the collections the checkpoint does not know
    // yet before any of them is created, so a crash after a create leaves a collection the
    // checkpoint calls tributary's.
    void intend(const std::vector<catalog::CollectionInfo>& collections, bson::Timestamp listed_at);
    // Creates the collection (intended first) and fixes its ranges; returns the ranges still to
    // copy.
    std::vector<size_t> prepare(const catalog::CollectionInfo& info);
    bson::Document choose_split_points(const catalog::CollectionInfo& info);
    // Builds the indexes and marks the copy complete; false (nothing done) when the collection
    // is no longer the incarnation copied (renamed or dropped meanwhile).
    bool finish(const catalog::CollectionInfo& info);
    std::string name_of(const catalog::CollectionInfo& info) const;

    CopyConfig config_;
    mongo::ClientPool& source_;
    mongo::ClientPool& destination_;
    const catalog::NamespaceFilter& filter_;
    checkpoint::Checkpoint& checkpoint_;
    const std::atomic<bool>& stop_;
};

}  // namespace tributary::copy
