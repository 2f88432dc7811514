// What a sync leaves neutralized on the destination, and how it is put back
// (catalog/neutralized_indexes.h): unique indexes are made unique once replication has caught
// up with the source's time at which they were created; everything else (TTL, and uniqueness
// still missing) is restored at cutover, `tributary finalize`, which asks the running sync
// through a request beside the checkpoint (Store::save_request), or catches up itself.
#pragma once

#include <optional>
#include <string>

#include "catalog/namespace_filter.h"
#include "checkpoint/checkpoint.h"
#include "mongo/client.h"

namespace tributary::cutover {

// The request document's states: finalize writes kRequested with the target time; a running
// sync answers kAccepted, then kDone with the outcome.
inline constexpr const char* kRequested = "requested";
inline constexpr const char* kAccepted = "accepted";
inline constexpr const char* kDone = "done";

struct Outcome {
    bool equal = false;   // verify found the destination equal to the source
    std::string summary;  // one line
};

class Cutover {
  public:
    Cutover(mongo::ClientPool& source, mongo::ClientPool& destination,
            int32_t destination_wire_version, const catalog::NamespaceFilter& filter,
            checkpoint::Checkpoint& checkpoint);

    // Unique conversions become due at the source's current time (after a copy, after a
    // catalog change); persisted in the checkpoint, so a restart finishes them.
    void schedule_unique_conversion();
    // The replicator's progress callback: converts the unique indexes that are due, takes a
    // pending finalize request (when `answer_requests`), and returns true once the target of
    // the cutover has been applied.
    bool on_progress(bson::Timestamp applied_through);
    // Catch up to `target` (the finalize command's own catch-up when no sync runs).
    void set_target(bson::Timestamp target) { target_ = target; }
    void answer_requests() { answer_requests_ = true; }
    bool target_reached() const { return reached_; }
    // Restores every neutralized index (uniqueness and TTL), verifies, and records that the
    // destination is finalized; with `answer_requests`, reports the outcome in the request.
    Outcome finalize();

  private:
    void convert_unique_indexes(bson::Timestamp due);
    void take_request();

    mongo::ClientPool& source_;
    mongo::ClientPool& destination_;
    int32_t destination_wire_version_;
    const catalog::NamespaceFilter& filter_;
    checkpoint::Checkpoint& checkpoint_;
    std::optional<bson::Timestamp> target_;
    bool answer_requests_ = false;
    bool reached_ = false;
};

}  // namespace tributary::cutover
