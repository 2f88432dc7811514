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
// Split points come from a random sample of _ids: this many per range, at most kMaxSampleSize.
inline constexpr int64_t kSamplesPerRange = 32;
inline constexpr int64_t kMaxSampleSize = 10000;

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
    // collection whose copy is not complete. Returns false when stopped before the end.
    // Throws UserError for --existing fail conflicts and rejected writes, mongo::Error otherwise.
    bool run();

    // Recopies `namespaces` ("db.coll") from scratch (dropped on the destination first) and
    // returns the start point captured before that copy (after history loss on the source).
    checkpoint::StartPoint resync(const std::vector<std::string>& namespaces);

  private:
    // Decides what to do with each collection (copy, resume, skip) per checkpoint and --existing.
    std::vector<catalog::CollectionInfo> select(std::vector<catalog::CollectionInfo> collections);
    bool copy_collections(const std::vector<catalog::CollectionInfo>& collections);
    // Creates the collection and fixes its ranges; returns the ranges still to copy.
    std::vector<size_t> prepare(const catalog::CollectionInfo& info);
    bson::Document choose_split_points(const catalog::CollectionInfo& info);
    void finish(const catalog::CollectionInfo& info);
    std::string name_of(const catalog::CollectionInfo& info) const;

    CopyConfig config_;
    mongo::ClientPool& source_;
    mongo::ClientPool& destination_;
    const catalog::NamespaceFilter& filter_;
    checkpoint::Checkpoint& checkpoint_;
    const std::atomic<bool>& stop_;
};

}  // namespace tributary::copy
