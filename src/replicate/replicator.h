// Replication: one change stream on the source, read ahead by its own thread (StreamReader, a
// bounded queue), events batched between catalog barriers and applied to the destination, the
// resume token checkpointed after every applied batch.
//
// API for the CLI (tributary-core wires it in src/cli after the copy):
//   replicate::ReplicateConfig config;              // batch size, lanes, intervals, history-lost
//   replicate::Replicator replicator(config, source_pool, destination_pool, namespace_filter,
//                                    checkpoint, resync);  // resync may be empty
//   int exit_code = replicator.run(start_point, stop_flag);
// `start_point`: the checkpoint's replication resume token when it has one, else the copy's
// StartPoint (resume token captured before the copy, or its operation time). run() returns when
// `stop_flag` becomes true (after applying the batch in flight and saving the checkpoint: 0) or
// on a failure, with the exit code of docs/usage.md: 3 source unreachable, 4 history lost,
// 5 destination write failure, 1 internal error; the reason is logged at ERROR first.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/namespace_filter.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/spool.h"
#include "cli/exit_codes.h"
#include "mongo/change_stream.h"
#include "mongo/client.h"
#include "replicate/applier.h"
#include "replicate/catalog_events.h"
#include "replicate/change_event.h"
#include "replicate/source_lookup.h"
#include "replicate/source_stream.h"
#include "replicate/spool_reader.h"
#include "replicate/stream_reader.h"

namespace tributary::replicate {

struct ReplicateConfig {
    size_t batch_size = 1000;                        // events per applied batch at most
    std::chrono::milliseconds max_batch_delay{100};  // a partial batch waits no longer
    size_t lanes = 4;                                // parallel appliers (documents by _id hash)
    // The stream reader's queue of events read ahead of the applier, at most.
    size_t read_queue_entries = 2000;
    size_t read_queue_bytes = size_t(32) << 20;
    // The source reports create/createIndexes/dropIndexes/modify events (6.0+, showExpandedEvents).
    bool expanded_events = false;
    // Without those events, index and option changes are found by comparing catalogs at every
    // barrier and this often (0: only at barriers).
    std::chrono::milliseconds catalog_poll_interval{5000};
    std::chrono::seconds rate_log_interval{10};
    double rate_log_min_events_per_second = 1.0;  // quieter rates are not logged at INFO
    bool resync_on_history_lost = false;          // --on-history-lost resync
    bool resynced_before_start = false;  // the first copy was redone after its reader lost history
    // --transactions atomic: the writes of one source transaction are applied in one destination
    // transaction (all visible at once), else with the other writes, in batches.
    bool atomic_transactions = false;
    // Called about once a second with the source time up to which every change is applied
    // (from the last checkpointed resume token; null until known). Returning true ends run()
    // with 0 after saving the checkpoint: the caller's catch-up target is reached.
    std::function<bool(bson::Timestamp applied_through)> on_progress;
    // Called after each catalog change applied to the destination (DDL event or comparison).
    std::function<void()> on_catalog_change;
    // Copies a collection renamed into the synced namespaces from outside them (unset: such a
    // rename is only logged as a warning).
    RenamedInCopy copy_renamed_in;
    // The events followed during the copy (replicate/spool_reader.h): applied first, while the
    // checkpoint's spool is active; then the stream continues from the reader's position.
    checkpoint::Spool* spool = nullptr;
    // The reader still appending to it (null when none runs): the spool is applied until
    // replication catches up with it, then the reader stops.
    std::function<SpoolReader*()> spool_reader;
};

// Recopies the synced namespaces after the source lost the stream's history and returns the new
// start point, captured before that copy (tributary-core's copy).
using ResyncFunction = std::function<checkpoint::StartPoint()>;

// Why --on-history-lost resync stops: the history was lost again right after a recopy.
std::string resync_given_up(const mongo::Error& lost);

class Replicator {
  public:
    Replicator(ReplicateConfig config, mongo::ClientPool& source, mongo::ClientPool& destination,
               const catalog::NamespaceFilter& filter, checkpoint::Checkpoint& checkpoint,
               ResyncFunction resync = {});

    // Returns a tributary::ExitCode (cli/exit_codes.h).
    int run(const checkpoint::StartPoint& from, const std::atomic<bool>& stop);

  private:
    int follow(StreamPosition& position, const std::atomic<bool>& stop);
    // After lost history: the start point of the recopy (--on-history-lost resync), or nullopt
    // (logged) to exit 4: without resync, or when the history was lost again since the last
    // resync before any live change was applied.
    std::optional<checkpoint::StartPoint> resync_after(const mongo::Error& lost);
    void give_up_resyncing(const mongo::Error& lost);
    // Applies the spool's events not applied yet, in order, as if read from the stream, then
    // moves `position` to the reader's. False when stopped first.
    bool apply_spool(StreamPosition& position, const std::atomic<bool>& stop);
    // Forgets the queued writes not applied yet (a transaction read in part, the batch of a
    // stream being reopened): they are read again from the last applied position.
    void discard_pending();
    // Applies the spool's events from spool_read_ up to `end` (until stop).
    void apply_spooled(int64_t end, StreamPosition& position, const std::atomic<bool>& stop);
    // (Re)starts the stream reader at `position`, dropping what the previous one queued.
    void open_stream(const StreamPosition& position, std::optional<StreamReader>& reader);
    // An event, drained marker or failure from the reader (an invalidate reopens it).
    void handle_item(StreamItem& item, StreamPosition& position,
                     std::optional<StreamReader>& reader);
    // How long to wait for the reader's next item: until the pending batch is due, at most.
    std::chrono::milliseconds pop_wait() const;
    // The pending batch is full or waited max_batch_delay (and holds no open transaction).
    bool batch_due() const;
    void poll_catalog(StreamPosition& position);
    void handle_event(ChangeEvent event, StreamPosition& position);
    void queue_data_event(const ChangeEvent& event);
    void apply_catalog_event(const ChangeEvent& event);
    void flush(StreamPosition& position);
    // Applies the queued writes, applying again after transient failures (5 attempts).
    void apply_with_retry(const std::function<void()>& apply);
    void apply_transaction();
    // Ends the group of queued events when `event` does not belong to it: a source transaction
    // is applied whole, in a batch of its own.
    void group_by_transaction(const ChangeEvent& event, StreamPosition& position);
    // The reader found the stream drained at `token`: applies the pending batch, then saves
    // `token` (at most every kIdleCheckpointInterval).
    void on_drained(const bson::Document& token, StreamPosition& position);
    void log_rate();
    // Records the source time the checkpointed `token` stands for (applied_through_).
    void advance(const bson_t* token);
    // Calls on_progress at most once a second; true when it asks to stop.
    bool progress_says_stop();
    std::string display_name(const Namespace& ns) const;
    void log_write(const ChangeEvent& event, const Translation& translation) const;
    std::optional<bson::Document> current_source_document(const ChangeEvent& event);
    // The destination's `ns` is capped (its writes must keep their event order); known until
    // the next catalog change.
    bool capped_on_destination(const Namespace& ns);

    ReplicateConfig config_;
    mongo::ClientPool& source_;
    mongo::ClientPool& destination_;
    const catalog::NamespaceFilter& filter_;
    checkpoint::Checkpoint& checkpoint_;
    ResyncFunction resync_;
    SourceLookup lookup_;
    Applier applier_;
    CatalogSync catalog_;

    std::vector<QueuedWrite> batch_;
    std::map<Namespace, bool> capped_;
    bson::Document batch_token_;  // token of the newest event read (all before it are queued)
    bson::Timestamp batch_time_;
    // While the spool is applied: the number of its events read, and of those up to the
    // newest queued event (saved with the batch's token).
    std::optional<int64_t> spool_read_;
    std::optional<int64_t> batch_spool_read_;
    std::chrono::steady_clock::time_point batch_started_;
    uint64_t sequence_ = 0;
    bool invalidated_ = false;
    // The source transaction whose events the batch holds (atomic_transactions): no other
    // event joins the batch, and it is applied only once the transaction's last event is read.
    std::optional<TransactionId> open_transaction_;
    bool unsaved_ = false;  // events read since the last checkpoint
    uint64_t batch_events_ = 0;
    int reconnects_ = 0;  // consecutive failed resumes; reset by every applied batch
    // Since the last resync (this run's, or the first copy's: resynced_before_start), no live
    // batch applied: history lost now is lost twice in a row.
    bool resynced_without_progress_;

    uint64_t events_since_rate_log_ = 0;
    bson::Timestamp last_applied_time_;
    std::chrono::steady_clock::time_point last_rate_log_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_catalog_poll_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_idle_save_ = std::chrono::steady_clock::now();
    bson::Timestamp applied_through_;
    std::chrono::steady_clock::time_point last_progress_call_;
};

}  // namespace tributary::replicate
