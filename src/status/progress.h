// Run-wide counters (documents copied, events applied, replication lag) and the periodic INFO
// progress line, written by a reporter thread only when something moved since the last line.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace tributary::status {

struct Counters {
    std::atomic<int64_t> documents_copied{0};
    std::atomic<int64_t> collections_copied{0};
    std::atomic<int64_t> events_applied{0};
    std::atomic<int64_t> lag_seconds{0};
    // Operations retried after a transient failure (copy ranges, stream resumes, batches).
    std::atomic<int64_t> retries{0};
};

// The process's counters (the copy and the replicator add to them; metrics read them).
Counters& counters();

// Logs "Progress: N documents copied (R/s), M events applied (R/s), lag S s" every `interval`.
class ProgressReporter {
  public:
    explicit ProgressReporter(std::chrono::seconds interval);
    ~ProgressReporter();
    ProgressReporter(const ProgressReporter&) = delete;
    ProgressReporter& operator=(const ProgressReporter&) = delete;

  private:
    void loop();
    std::chrono::seconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

// The counters in Prometheus text exposition format.
std::string prometheus_text(const Counters& counters);

}  // namespace tributary::status
