// Preflight of the initial copy: the source's oplog window (how far back its change history
// reaches) against the copy's estimated duration, measured over the copy's first seconds. When
// the copy would outlast the window and the change stream is not followed during it
// (--spool-max-mb 0), replication could not start after it: that is logged as a WARNING.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "catalog/namespace_filter.h"
#include "mongo/client.h"

namespace tributary::copy {

// Seconds between the first and the last entry of the source's oplog (local.oplog.rs, as
// db.getReplicationInfo() computes its "log length start to end":
// https://www.mongodb.com/docs/manual/reference/method/db.getReplicationInfo/); nullopt when the
// source does not let it be read.
std::optional<int64_t> oplog_window_seconds(mongoc_client_t* source);

// Seconds to copy `remaining` documents at `per_second`; nullopt when no rate is known.
std::optional<int64_t> copy_seconds(int64_t remaining, double per_second);

// The copy would need the change history longer than the oplog keeps it.
bool outlasts(std::optional<int64_t> copy_seconds, std::optional<int64_t> window_seconds);

class Preflight {
  public:
    // Logs the window now and, after `sample` of copying, the estimate (in a thread of its own).
    Preflight(mongo::ClientPool& source, const catalog::NamespaceFilter& filter, bool following,
              std::chrono::seconds sample = std::chrono::seconds(5));
    ~Preflight();
    Preflight(const Preflight&) = delete;
    Preflight& operator=(const Preflight&) = delete;

  private:
    void estimate(int64_t to_copy, std::optional<int64_t> window);

    bool following_;
    std::chrono::seconds sample_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::thread thread_;
};

}  // namespace tributary::copy
