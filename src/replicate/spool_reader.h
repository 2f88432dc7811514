// Follows the change stream while the initial copy runs: a thread reads every event from the
// run's start point (or from its own saved position after a restart) and appends it, in order and
// in large batches, to the durable spool (checkpoint/spool.h), saving its position in the
// checkpoint after each append. The replicator applies the spool after the copy, then continues
// live from the reader's position, so the copy may outlast the source's oplog.
//
//   SpoolReader reader(config, source, filter, checkpoint, spool, stop_requested());
//   reader.start();
//   reader.stop_on_failure(&stop_requested());  // a failure stops the copy too
//   bool done = copy.run();
//   reader.stop_on_failure(nullptr);
//   reader.finish();                        // rethrows SpoolFull or the stream's mongo::Error
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <thread>
#include <vector>

#include "catalog/namespace_filter.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/spool.h"
#include "mongo/change_stream.h"
#include "mongo/client.h"
#include "replicate/source_stream.h"

namespace tributary::replicate {

struct SpoolConfig {
    int64_t max_bytes = 0;         // --spool-max-mb
    bool expanded_events = false;  // 6.0+ source (the replicator's stream asks the same)
    size_t batch_events = 1000;    // events per append at most
    size_t batch_bytes = 8 << 20;  // bytes per append at most
    std::chrono::milliseconds max_batch_delay{500};  // a partial batch waits no longer
    std::chrono::seconds report_interval{10};
};

// The spool would exceed its bound: nothing past the last append was lost, but the reader stops.
class SpoolFull : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class SpoolReader {
  public:
    SpoolReader(SpoolConfig config, mongo::ClientPool& source,
                const catalog::NamespaceFilter& filter, checkpoint::Checkpoint& checkpoint,
                checkpoint::Spool& spool, const std::atomic<bool>& stop);
    ~SpoolReader();
    SpoolReader(const SpoolReader&) = delete;
    SpoolReader& operator=(const SpoolReader&) = delete;

    void start();
    // While set, a failure of the reader also sets `*flag` (the stop the copy polls), so that
    // the copy does not go on without the events it needs.
    void stop_on_failure(std::atomic<bool>* flag) { stop_on_failure_ = flag; }
    // The reader failed: finish() throws why.
    bool failed() const { return failed_; }
    // Appends what was read, ends the thread and rethrows its failure (SpoolFull, mongo::Error).
    void finish();
    // finish() was called: the reader no longer appends.
    bool finished() const { return finishing_; }

  private:
    void run();
    // Reopens the stream after transient failures and invalidates until finish() or stop.
    void follow();
    // Reads events into batches and appends them until finish(), stop, or an invalidate
    // (returns with `position` past it); throws the stream's failure.
    void read(mongo::ChangeStream& stream, StreamPosition& position);
    // Appends the pending events and saves `token` as the reader's position.
    void append(bson::Document token, bool start_after, StreamPosition& position);
    void report(const StreamPosition& position);

    SpoolConfig config_;
    mongo::ClientPool& source_;
    const catalog::NamespaceFilter& filter_;
    checkpoint::Checkpoint& checkpoint_;
    checkpoint::Spool& spool_;
    const std::atomic<bool>& stop_;
    std::atomic<std::atomic<bool>*> stop_on_failure_{nullptr};
    std::atomic<bool> failed_{false};
    std::atomic<bool> finishing_{false};
    std::thread thread_;
    std::exception_ptr failure_;

    std::vector<bson::Document> pending_;
    size_t pending_bytes_ = 0;
    std::chrono::steady_clock::time_point pending_since_;
    int64_t appended_ = 0;
    int64_t bytes_ = 0;
    int64_t appended_at_last_report_ = 0;
    std::chrono::steady_clock::time_point last_report_ = std::chrono::steady_clock::now();
};

}  // namespace tributary::replicate
