// finalize's side of the cutover handoff. Only the holder of the checkpoint's lease
// (checkpoint/lease.h) writes to the destination and the checkpoint: while a sync holds it,
// finalize only waits for that sync to answer its request, however long the sync takes to
// reach it (a slow batch, a long catalog change); once the lease is free (no sync runs, or it
// stopped without finishing the cutover), finalize takes it and catches up itself.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

#include "bson/document.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/lease.h"

namespace tributary::cutover {

struct Handoff {
    // The request as the running sync left it, state kDone with its outcome; or nullopt when
    // finalize holds `lease` and must catch up itself, or was stopped (neither is set).
    std::optional<bson::Document> done;
    std::unique_ptr<checkpoint::LeaseKeeper> lease;  // held while finalize catches up
};

// Waits, after finalize wrote its request, until a running sync reports the cutover done, or
// the lease is free and taken through `lease_store` (a store of the same checkpoint). Throws
// std::runtime_error when the sync holding the lease does not finish within `timeout`.
Handoff await_handoff(checkpoint::Checkpoint& checkpoint,
                      std::unique_ptr<checkpoint::Store> lease_store, std::atomic<bool>& stop,
                      std::chrono::seconds timeout);

}  // namespace tributary::cutover
