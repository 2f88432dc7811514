// Run-wide counters (documents copied, events applied, replication lag), what the status API
// reports (phase, per-collection progress, events by type and namespace, warnings) and the
// periodic progress output: an INFO line every interval, or a redrawn line on a terminal.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <bson/bson.h>

namespace tributary::status {

enum class Phase { kStarting, kCatalog, kCopying, kCatchingUp, kLive, kFinalizing };

// "starting", "catalog", "copying", "catching up", "live", "finalizing".
const char* phase_name(Phase phase);

struct CollectionProgress {
    int64_t documents_total = -1;  // the source's estimated count; -1: unknown
    int64_t documents_done = 0;
    int64_t bytes_done = 0;
    bool complete = false;
    std::chrono::steady_clock::time_point started;
    int64_t documents_at_start = 0;  // copied by an earlier run (resumed)
};

// What the status API shows, copied under the lock at one moment.
struct Snapshot {
    Phase phase = Phase::kStarting;
    std::map<std::string, CollectionProgress> collections;
    std::map<std::string, int64_t> events_by_type;
    std::map<std::string, int64_t> events_by_namespace;
    std::deque<std::string> warnings;
    int64_t documents_copied = 0;
    int64_t collections_copied = 0;
    int64_t events_applied = 0;
    int64_t lag_seconds = 0;  // wall clock minus the last applied event's cluster time
    int64_t retries = 0;
    int64_t errors = 0;
    bool last_batch_failed = false;
    uint32_t newest_read_time = 0;     // source cluster time (seconds) of the newest event read
    uint32_t applied_time = 0;         // ... of the last applied one
    uint32_t catch_up_start_time = 0;  // applied_time when catching up began
    std::chrono::steady_clock::time_point catch_up_started;
    // Last batch copied, event read or stream drained.
    std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
    std::optional<std::chrono::system_clock::time_point> checkpoint_saved;
    int64_t spool_events = 0;
    int64_t spool_bytes = 0;
    std::optional<std::chrono::steady_clock::time_point> spool_started;  // first event spooled
};

class Counters {
  public:
    // Read by /metrics and the progress line as they are (the copy and the replicator add).
    std::atomic<int64_t> documents_copied{0};
    std::atomic<int64_t> collections_copied{0};
    std::atomic<int64_t> events_applied{0};
    std::atomic<int64_t> lag_seconds{0};
    // Operations retried after a transient failure (copy ranges, stream resumes, batches).
    std::atomic<int64_t> retries{0};
    // Failures seen: each retried one and the last one.
    std::atomic<int64_t> errors{0};

    void set_phase(Phase phase);
    // The copy of `ns` begins (or resumes with `done` documents already copied).
    void start_collection(const std::string& ns, int64_t estimated_documents, int64_t done);
    void add_copied(const std::string& ns, int64_t documents, int64_t bytes);
    void finish_collection(const std::string& ns);
    // An event read by the replicator, counted when its batch is applied.
    void event_read(std::string_view type, const std::string& ns, uint32_t cluster_time);
    // A catalog event, applied on its own.
    void event_applied(std::string_view type, const std::string& ns, uint32_t cluster_time);
    // The events read since the last batch are applied, through `cluster_time`.
    void batch_applied(uint32_t cluster_time);
    void batch_failed();
    // The stream is (re)opened: events read but not applied are read again.
    void stream_opened();
    // The stream is drained: replication is live, applied up to its high-water mark `token`.
    void caught_up(const bson_t* token);
    // The follower of the copy read an event of this cluster time / spooled this much.
    void source_read(uint32_t cluster_time);
    void spooled(int64_t events, int64_t bytes);
    void checkpoint_saved();
    void warn(std::string message);

    Snapshot snapshot() const;

  private:
    void beat_locked() { state_.last_activity = std::chrono::steady_clock::now(); }
    mutable std::mutex mutex_;
    Snapshot state_;
    std::map<std::string, int64_t> staged_by_type_;
    std::map<std::string, int64_t> staged_by_namespace_;
};

// The process's counters (the copy and the replicator add to them; the status API reads them).
Counters& counters();

// Lag in seconds: the newest event read versus the last applied (0 before replication).
int64_t replication_lag(const Snapshot& snapshot);
// Seconds until the applied events reach the newest read at the rate since catching up began;
// nullopt when not catching up or not gaining.
std::optional<double> catch_up_eta(const Snapshot& snapshot,
                                   std::chrono::steady_clock::time_point now);
// Documents per second of a collection's copy in this run.
double copy_rate(const CollectionProgress& progress, std::chrono::steady_clock::time_point now);

// Every `interval`, logs "Progress: N documents copied (R/s), M events applied (R/s), lag S s"
// when something moved; with `terminal`, redraws one progress line on stderr every second
// instead (phase, documents with total and ETA, events, lag).
class ProgressReporter {
  public:
    explicit ProgressReporter(std::chrono::seconds interval, bool terminal = false);
    ~ProgressReporter();
    ProgressReporter(const ProgressReporter&) = delete;
    ProgressReporter& operator=(const ProgressReporter&) = delete;

  private:
    void loop();
    void log_line();
    void draw_line();
    std::chrono::seconds interval_;
    bool terminal_;
    int64_t copied_ = 0;
    int64_t applied_ = 0;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace tributary::status
