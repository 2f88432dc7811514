// Run-wide counters (documents copied, events applied, replication lag), what the status API
// reports (phase, per-collection progress, events by type and namespace, warnings) and the
// periodic progress output: an INFO line every interval, or a redrawn display on a terminal.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <bson/bson.h>

#include "status/ticker.h"

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
    int64_t read_queue_entries = 0;  // events and drained markers read, not yet taken to apply
    int64_t read_queue_events = 0;   // the events among them
    int64_t read_queue_bytes = 0;
    bool last_batch_failed = false;
    uint32_t newest_read_time = 0;     // source cluster time (seconds) of the newest event read
    uint32_t applied_time = 0;         // ... of the last applied one
    uint32_t source_time = 0;          // ... of the source's latest operation (polled)
    uint32_t catch_up_start_time = 0;  // applied_time when catching up began
    uint32_t catch_up_start_head = 0;  // source_head() then (or when first known)
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
    // The stream reader's queue (replicate/stream_reader.h): entries and their bytes.
    std::atomic<int64_t> read_queue_entries{0};
    std::atomic<int64_t> read_queue_events{0};
    std::atomic<int64_t> read_queue_bytes{0};

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
    // Replication starts from this cluster time (the checkpoint's last applied, or the copy's
    // start point).
    void replication_starts_at(uint32_t cluster_time);
    // The source's latest operation time, polled while replicating.
    void source_time(uint32_t cluster_time);
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

// The newest source cluster time known: the newest event read or, while catching up, the
// source's latest operation time if later.
uint32_t source_head(const Snapshot& snapshot);
// Lag in seconds: source_head() versus the last applied (0 before replication).
int64_t replication_lag(const Snapshot& snapshot);
// While catching up: the lag divided by the speed it shrinks at since catching up began (source
// seconds applied per second minus source seconds the head moved on per second); nullopt when not
// catching up or not gaining (yet: cluster times count whole seconds).
std::optional<double> catch_up_eta(const Snapshot& snapshot,
                                   std::chrono::steady_clock::time_point now);
// Documents per second of a collection's copy in this run.
double copy_rate(const CollectionProgress& progress, std::chrono::steady_clock::time_point now);

// Every `interval`, logs "Progress: N documents copied (R/s), M events applied (R/s), lag S s"
// when something moved; with `terminal`, redraws the progress display on stderr every second
// instead (terminal.h, progress_lines).
class ProgressReporter {
  public:
    explicit ProgressReporter(std::chrono::seconds interval, bool terminal = false);
    ~ProgressReporter();
    ProgressReporter(const ProgressReporter&) = delete;
    ProgressReporter& operator=(const ProgressReporter&) = delete;

  private:
    void log_line();
    std::chrono::seconds interval_;
    bool terminal_;
    int64_t copied_ = 0;
    int64_t applied_ = 0;
    std::unique_ptr<Ticker> ticker_;
};

}  // namespace tributary::status
