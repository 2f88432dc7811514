// The replication loop: take the events the stream reader read ahead, queue their writes, flush
// at batch size, after a short delay, before every catalog barrier and on stop; checkpoint after
// each flush; resume from the last applied token after invalidate or a transient failure.
#include "replicate/replicator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "catalog/catalog.h"
#include "checkpoint/crash_point.h"
#include "mongo/collection.h"
#include "mongo/error.h"
#include "mongo/retry.h"
#include "mongo/transaction.h"
#include "replicate/write_model.h"
#include "status/progress.h"

namespace tributary::replicate {
namespace {

using Clock = std::chrono::steady_clock;

StreamPosition position_at(const checkpoint::StartPoint& point) {
    return {point.resume_token.copy(), point.start_after, point.operation_time};
}

// A batch whose writes fail transiently is retried this long after its first failure: enough to
// ride out a destination's primary election (about 10 s) or a short network outage.
constexpr auto kApplyRetryBudget = std::chrono::seconds(60);
constexpr int kMaxReconnectAttempts = 30;
constexpr auto kIdleCheckpointInterval = std::chrono::seconds(5);

// A destination write that retrying will not fix (validation, unresolvable conflict, ...).
class WriteFailure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Retry delays (mongo/retry.h): from 100 ms, doubling, capped at 5 s, with jitter.
std::chrono::milliseconds backoff_delay(int attempt) {
    return mongo::retry_delay(attempt, std::chrono::milliseconds(100),
                              std::chrono::milliseconds(5000));
}

// Seconds between now and the cluster time of the last applied event.
int64_t lag_seconds(bson::Timestamp applied) {
    const int64_t wall = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    return std::max<int64_t>(0, wall - int64_t(applied.t));
}

}  // namespace

Replicator::Replicator(ReplicateConfig config, mongo::ClientPool& source,
                       mongo::ClientPool& destination, const catalog::NamespaceFilter& filter,
                       checkpoint::Checkpoint& checkpoint, ResyncFunction resync)
    : config_(config),
      source_(source),
      destination_(destination),
      filter_(filter),
      checkpoint_(checkpoint),
      resync_(std::move(resync)),
      lookup_(checkpoint),
      applier_(source, destination, config.lanes, Namespace{filter.state_db(), "resolving"},
               lookup_),
      catalog_(filter, checkpoint, config.copy_renamed_in),
      resynced_without_progress_(config.resynced_before_start) {}

int Replicator::run(const checkpoint::StartPoint& from, const std::atomic<bool>& stop) {
    StreamPosition position = position_at(from);
    while (true) {
        try {
            return follow(position, stop);
        } catch (const mongo::Error& error) {
            if (error.is_history_lost()) {
                std::optional<checkpoint::StartPoint> restart = resync_after(error);
                if (!restart) return kExitHistoryLost;
                position =
                    StreamPosition{restart->resume_token.copy(), false, restart->operation_time};
                continue;
            }
            if ((error.is_transient() || error.is_connection_failure()) && !stop &&
                ++reconnects_ <= kMaxReconnectAttempts) {
                spdlog::warn(
                    "Change stream interrupted ({}); resuming from the last applied "
                    "event (attempt {}).",
                    error.what(), reconnects_);
                ++status::counters().retries;
                ++status::counters().errors;
                mongo::sleep_unless_stopped(backoff_delay(reconnects_), stop);
                continue;
            }
            if (stop) return kExitOk;
            spdlog::error("Replication stopped: {}", error.what());
            return error.is_connection_failure() ? kExitConnect : kExitInternal;
        } catch (const SpoolFull& full) {
            spdlog::error("{}", full.what());
            return kExitSpoolFull;
        } catch (const StoppedDuringCatalogEvent& stopped) {
            spdlog::info("Replication stopped ({}); the next run continues from there.",
                         stopped.what());
            return kExitOk;
        } catch (const checkpoint::SpoolDamaged& damaged) {
            spdlog::error("{}", damaged.what());
            return kExitUsage;
        } catch (const WriteFailure& failure) {
            spdlog::error("Replication stopped: cannot write to the destination: {}",
                          failure.what());
            return kExitWriteFailure;
        } catch (const std::exception& failure) {
            spdlog::error("Replication stopped: internal error: {}", failure.what());
            return kExitInternal;
        }
    }
}

std::optional<checkpoint::StartPoint> Replicator::resync_after(const mongo::Error& lost) {
    if (!config_.resync_on_history_lost || !resync_) {
        spdlog::error(
            "The source no longer holds the change history needed to resume replication (error "
            "286, ChangeStreamHistoryLost: the oplog rolled past the checkpoint). Recover by "
            "running sync again with --on-history-lost resync (recopies the synced collections), "
            "or with a larger oplog on the source. Details: {}",
            lost.what());
        return std::nullopt;
    }
    if (resynced_without_progress_) {
        give_up_resyncing(lost);
        return std::nullopt;
    }
    spdlog::warn(
        "The source no longer holds the change history needed to resume (error 286); recopying "
        "every synced collection and dropping tributary's copies of those the source no longer "
        "has (--on-history-lost resync).");
    resynced_without_progress_ = true;
    try {
        return resync_();
    } catch (const mongo::Error& again) {
        if (!again.is_history_lost()) throw;
        give_up_resyncing(again);  // the recopy's own reader lost it
        return std::nullopt;
    }
}

std::string resync_given_up(const mongo::Error& lost) {
    return fmt::format(
        "The source lost the change history again after a resync, before replication applied "
        "any live change (twice in a row: {}); giving up rather than recopying forever. The "
        "source's oplog does not cover a copy and the application of its spool: enlarge it "
        "(replSetResizeOplog), lower the write load or raise --spool-max-mb, then rerun with "
        "--on-history-lost resync.",
        lost.what());
}

void Replicator::give_up_resyncing(const mongo::Error& lost) {
    spdlog::error("{}", resync_given_up(lost));
}

void Replicator::open_stream(const StreamPosition& position, std::optional<StreamReader>& reader) {
    reader.reset();  // stopped, its queue dropped: those events are read again from `position`
    StreamReaderOptions options{static_cast<int32_t>(config_.batch_size), config_.expanded_events,
                                config_.read_queue_entries, config_.read_queue_bytes};
    reader.emplace(source_, filter_, position, options);
    spdlog::info("Database change stream started...");
}

int Replicator::follow(StreamPosition& position, const std::atomic<bool>& stop) {
    discard_pending();  // queued but unapplied events are read again from `position`
    status::counters().stream_opened();
    SpoolReader* spool_reader = config_.spool_reader ? config_.spool_reader() : nullptr;
    const bool following = spool_reader != nullptr && !spool_reader->finished();
    if (config_.spool && (following || checkpoint_.snapshot().spool.active()) &&
        !apply_spool(position, stop)) {
        spdlog::info("Replication stopped while applying the spool; the next run continues it.");
        return kExitOk;
    }
    std::optional<StreamReader> reader;
    open_stream(position, reader);
    advance(position.resume_token.view());
    while (!stop) {
        if (std::optional<StreamItem> item = reader->pop(pop_wait())) {
            handle_item(*item, position, reader);
        }
        if (batch_due()) flush(position);
        poll_catalog(position);
        log_rate();
        if (progress_says_stop()) break;
    }
    reader.reset();  // what it read past the last applied event is read again by the next run
    // Only part of it may have been read: nothing of it is applied, nor its token saved, so the
    // next run applies it whole.
    if (open_transaction_) discard_pending();
    flush(position);
    spdlog::info("Replication stopped; checkpoint saved to {}.", checkpoint_.describe_store());
    return kExitOk;
}

void Replicator::handle_item(StreamItem& item, StreamPosition& position,
                             std::optional<StreamReader>& reader) {
    switch (item.kind) {
        case StreamItem::Kind::kEvent:
            handle_event(std::move(*item.event), position);
            if (invalidated_) {
                invalidated_ = false;
                position.start_after = true;  // resumeAfter an invalidate token is an error
                open_stream(position, reader);
            }
            return;
        case StreamItem::Kind::kDrained:
            on_drained(item.token, position);
            return;
        case StreamItem::Kind::kFailed:
            std::rethrow_exception(item.failure);
    }
}

std::chrono::milliseconds Replicator::pop_wait() const {
    constexpr std::chrono::milliseconds kIdleWait(100);  // how often a stop is looked for
    if (!unsaved_ || open_transaction_) return kIdleWait;
    const auto due = batch_started_ + config_.max_batch_delay - Clock::now();
    return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(due),
                      std::chrono::milliseconds(0), kIdleWait);
}

bool Replicator::batch_due() const {
    return unsaved_ && !open_transaction_ &&
           (batch_events_ >= config_.batch_size ||
            Clock::now() - batch_started_ >= config_.max_batch_delay);
}

bool Replicator::apply_spool(StreamPosition& position, const std::atomic<bool>& stop) {
    SpoolReader* reader = config_.spool_reader ? config_.spool_reader() : nullptr;
    spool_read_ = checkpoint_.snapshot().spool.applied;
    spdlog::info("Applying the change events followed during the copy from {} ({} applied before).",
                 config_.spool->describe(), *spool_read_);
    bool reader_done = reader == nullptr;
    bool complete = false;
    while (!stop && !complete) {
        const int64_t end = checkpoint_.snapshot().spool.appended;
        // Caught up with the reader (or it failed: finish() throws why): it stops, and what it
        // spooled last is the final round.
        if (!reader_done &&
            (end - *spool_read_ < int64_t(config_.batch_size) || reader->failed())) {
            reader->finish();
            reader_done = true;
            continue;
        }
        apply_spooled(end, position, stop);
        complete = reader_done && *spool_read_ == end;
    }
    if (!reader_done) reader->finish();  // stopped: what it read is spooled (or it failed)
    // The spool ends inside a transaction (the reader stopped amid its events): nothing of it is
    // applied, and the live stream reads it whole from the last event applied before it.
    const bool ends_in_transaction = complete && open_transaction_.has_value();
    if (ends_in_transaction) discard_pending();
    if (complete) flush(position);
    spool_read_.reset();
    batch_spool_read_.reset();
    if (!complete) return false;
    // A reader that never saved a position (nothing read past the start point) leaves it.
    if (!checkpoint_.snapshot().spool.active()) return true;
    checkpoint_.finish_spool(!ends_in_transaction);
    checkpoint::crash_point("spool-applied");
    config_.spool->clear();
    position = position_at(checkpoint_.snapshot().replication_start());
    spdlog::info(ends_in_transaction
                     ? "Spool applied; continuing from before the transaction it ends in."
                     : "Spool applied; continuing from the reader's position.");
    return true;
}

void Replicator::discard_pending() {
    open_transaction_.reset();
    batch_.clear();
    batch_events_ = 0;
    unsaved_ = false;
    checkpoint_.discard_staged_incarnations();
}

void Replicator::apply_spooled(int64_t end, StreamPosition& position,
                               const std::atomic<bool>& stop) {
    config_.spool->read(*spool_read_, end, [&](const bson::Document& event) {
        ++*spool_read_;
        handle_event(ChangeEvent::parse(event.view()), position);
        invalidated_ = false;  // the spool holds the events after it, read with startAfter
        if (batch_events_ >= config_.batch_size && !open_transaction_) flush(position);
        log_rate();
        return !stop;
    });
    // Only a stop ends a read early: fewer entries mean the spool lost some since they were
    // counted, and waiting for them would wait forever.
    if (!stop && *spool_read_ < end) {
        throw checkpoint::SpoolDamaged(
            checkpoint::spool_damaged_message(*config_.spool, *spool_read_, end));
    }
    // A transaction the reader's append cut goes on in the next round: applied whole then.
    if (!open_transaction_) flush(position);
}

void Replicator::handle_event(ChangeEvent event, StreamPosition& position) {
    if (event.is_catalog_event()) {
        flush(position);
        apply_catalog_event(event);
        status::counters().event_applied(event.type_name(), event.ns().full(),
                                         event.cluster_time().t);
        invalidated_ = event.type() == OperationType::kInvalidate;
        position.resume_token = bson::Document::copy_of(event.resume_token());
        checkpoint_.save_resume_token(event.resume_token(), event.cluster_time(), invalidated_,
                                      spool_read_);
        advance(event.resume_token());
        return;
    }
    group_by_transaction(event, position);
    if (!unsaved_) batch_started_ = Clock::now();
    unsaved_ = true;
    ++batch_events_;
    batch_time_ = event.cluster_time();
    status::counters().event_read(event.type_name(), event.ns().full(), batch_time_.t);
    // An event older than the copy of its namespace is in that copy already, or concerns an
    // earlier collection of that name: applying it could only undo the copy.
    if (filter_.matches(event.ns().db, event.ns().coll) &&
        !checkpoint_.copied_after(event.ns().full(), event.cluster_time())) {
        queue_data_event(event);
    }
    batch_token_ = event.take_resume_token();
    batch_spool_read_ = spool_read_;
}

void Replicator::group_by_transaction(const ChangeEvent& event, StreamPosition& position) {
    if (!config_.atomic_transactions || event.transaction() == open_transaction_) return;
    flush(position);
    open_transaction_ = event.transaction();
}

void Replicator::queue_data_event(const ChangeEvent& event) {
    // 6.0+ events name their collection's incarnation: what source lookups for it follow.
    const std::string& uuid = event.collection_uuid();
    if (!uuid.empty() && checkpoint_.incarnation_of(event.ns().full()) != uuid) {
        checkpoint_.stage_incarnation(event.ns().full(), uuid);
    }
    Translation translation = translate(event);
    if (translation.needs_current_document) {
        // The event cannot be applied as it is (see is_ambiguous): what updateLookup would
        // return, fetched only for these events instead of for every update.
        if (auto current = current_source_document(event)) {
            translation.ops.push_back(replace_with_document(current->view()));
        }
    }
    log_write(event, translation);
    const bool in_order = capped_on_destination(event.ns());
    for (auto& op : translation.ops) {
        batch_.push_back(QueuedWrite{sequence_++, event.ns(), std::move(op), in_order});
    }
}

bool Replicator::capped_on_destination(const Namespace& ns) {
    if (auto known = capped_.find(ns); known != capped_.end()) return known->second;
    mongo::ClientLease client = destination_.lease();
    bson::Document by_name;
    BSON_APPEND_UTF8(by_name.get(), "name", ns.coll.c_str());
    auto listed = mongo::list_collections(client.get(), ns.db, by_name.view());
    const bool capped =
        !listed.empty() && mongo::get_bool(listed.front().view(), "options.capped").value_or(false);
    capped_.emplace(ns, capped);
    return capped;
}

std::optional<bson::Document> Replicator::current_source_document(const ChangeEvent& event) {
    mongo::ClientLease client = source_.lease();
    // Gone: the document was deleted since (its delete event follows in the stream), or its
    // collection was (its drop or rename follows).
    return lookup_.find(client.get(), event.ns(), id_filter(event.document_key()).view()).document;
}

void Replicator::apply_catalog_event(const ChangeEvent& event) {
    mongo::ClientLease source = source_.lease();
    mongo::ClientLease destination = destination_.lease();
    catalog_.apply_event(source.get(), destination.get(), event);
    capped_.clear();  // a collection may have been created, dropped or renamed capped
    // Without expanded events, index and option changes come with no event: a barrier is also
    // the moment to look for them on the namespaces it touches (the poll covers the others).
    if (!config_.expanded_events)
        catalog_.reconcile_touched(source.get(), destination.get(), event);
    if (config_.on_catalog_change) config_.on_catalog_change();
}

void Replicator::flush(StreamPosition& position) {
    const bool transaction = open_transaction_.has_value();
    open_transaction_.reset();
    if (!unsaved_) return;
    if (transaction) {
        apply_transaction();
        checkpoint::crash_point("transaction-applied");
    } else {
        apply_with_retry([&] { applier_.apply(batch_); });
    }
    checkpoint_.save_resume_token(batch_token_.view(), batch_time_, false, batch_spool_read_);
    if (batch_spool_read_) checkpoint::crash_point("spool-applying");
    advance(batch_token_.view());
    position.resume_token = batch_token_.copy();
    position.start_after = false;
    events_since_rate_log_ += batch_events_;
    last_applied_time_ = batch_time_;
    status::counters().events_applied += static_cast<int64_t>(batch_events_);
    status::counters().lag_seconds = lag_seconds(batch_time_);
    status::counters().batch_applied(batch_time_.t);
    batch_.clear();
    batch_events_ = 0;
    unsaved_ = false;
    reconnects_ = 0;
    if (!batch_spool_read_) resynced_without_progress_ = false;  // live changes applied
}

void Replicator::apply_transaction() {
    std::string refused;  // why the destination did not apply it as one transaction
    apply_with_retry([&] {
        try {
            if (!applier_.apply_transaction(batch_))
                refused = "a write conflicts with the destination's state";
        } catch (const mongo::Error& error) {
            // Aborted at every attempt run_transaction made (it outlasts the destination's
            // transactionLifetimeLimitSeconds, or other writers conflict with it): the same
            // transaction again, now or after a restart, would be aborted again.
            if (!error.has_label(mongo::kTransientTransactionError)) throw;
            refused = std::string("the destination aborted it at every attempt: ") + error.what();
        }
    });
    if (refused.empty()) return;
    // The split path applies any batch, repairing what conflicts, at the cost of atomicity.
    spdlog::warn(
        "A source transaction of {} write(s) cannot be applied as one destination transaction "
        "({}); applying it write by write.",
        batch_.size(), refused);
    apply_with_retry([&] { applier_.apply(batch_); });
}

void Replicator::apply_with_retry(const std::function<void()>& apply) {
    std::optional<Clock::time_point> first_failure;
    for (int attempt = 1;; ++attempt) {
        try {
            apply();
            return;
        } catch (const mongo::Error& error) {
            if (!first_failure) first_failure = Clock::now();
            // Every write is idempotent, so a batch interrupted midway is simply applied again.
            if (!(error.is_transient() || error.is_connection_failure()) ||
                Clock::now() - *first_failure >= kApplyRetryBudget) {
                // A failed source lookup (conflict resolution) is not the destination's refusal.
                if (error.side() == mongo::Side::kSource) throw;
                throw WriteFailure(error.what());
            }
            spdlog::warn("Applying a batch failed ({}); retrying (attempt {}).", error.what(),
                         attempt);
            ++status::counters().retries;
            status::counters().batch_failed();
            std::this_thread::sleep_for(backoff_delay(attempt));
        }
    }
}

void Replicator::on_drained(const bson::Document& token, StreamPosition& position) {
    // A drained stream holds no more events of an open transaction: the server shows a
    // committed transaction's events all at once, at its commit.
    flush(position);
    status::counters().caught_up(token.view());
    // Nothing is pending, and every event read before the marker is applied (the queue is in
    // stream order): the stream's high-water mark is a safe resume point, so an idle run does
    // not rescan a long stretch of unrelated oplog after a restart.
    if (Clock::now() - last_idle_save_ < kIdleCheckpointInterval) return;
    last_idle_save_ = Clock::now();
    if (token.empty() || bson::byte_equal(token.view(), position.resume_token.view())) return;
    checkpoint_.save_resume_token(token.view(), last_applied_time_, false);
    advance(token.view());
    position.resume_token = token.copy();
    position.start_after = false;
}

void Replicator::poll_catalog(StreamPosition& position) {
    if (open_transaction_ || config_.expanded_events ||
        config_.catalog_poll_interval.count() == 0 ||
        Clock::now() - last_catalog_poll_ < config_.catalog_poll_interval) {
        return;
    }
    flush(position);
    mongo::ClientLease source = source_.lease();
    mongo::ClientLease destination = destination_.lease();
    if (catalog_.reconcile(source.get(), destination.get()) > 0) {
        capped_.clear();
        if (config_.on_catalog_change) config_.on_catalog_change();
    }
    last_catalog_poll_ = Clock::now();
}

void Replicator::advance(const bson_t* token) {
    if (auto time = mongo::resume_token_time(token)) applied_through_ = *time;
}

bool Replicator::progress_says_stop() {
    if (!config_.on_progress || Clock::now() - last_progress_call_ < std::chrono::seconds(1)) {
        return false;
    }
    last_progress_call_ = Clock::now();
    return config_.on_progress(applied_through_);
}

void Replicator::log_rate() {
    const auto now = Clock::now();
    const auto elapsed = std::chrono::duration<double>(now - last_rate_log_).count();
    if (elapsed < std::chrono::duration<double>(config_.rate_log_interval).count()) return;
    const double rate = static_cast<double>(events_since_rate_log_) / elapsed;
    if (rate >= config_.rate_log_min_events_per_second) {
        spdlog::info("Applied {} change events in the last {:.0f}s ({:.0f} events/s), lag {}s.",
                     events_since_rate_log_, elapsed, rate, lag_seconds(last_applied_time_));
    }
    events_since_rate_log_ = 0;
    last_rate_log_ = now;
}

std::string Replicator::display_name(const Namespace& ns) const {
    // The original script's lines name the collection only; with several databases the
    // database is needed to tell them apart.
    return filter_.single_database() ? ns.coll : ns.full();
}

void Replicator::log_write(const ChangeEvent& event, const Translation& translation) const {
    if (!spdlog::should_log(spdlog::level::debug) || translation.ops.empty()) return;
    const std::string name = display_name(event.ns());
    const WriteOp& last = translation.ops.back();
    switch (event.type()) {
        case OperationType::kInsert:
            spdlog::debug("Inserted new document into '{}': {}", name,
                          bson::to_json(last.body.view()));
            break;
        case OperationType::kUpdate:
            if (last.kind == WriteKind::kUpdate) {
                spdlog::debug("Updated document in '{}': {} with changes: {}", name,
                              bson::to_json(last.filter.view()), bson::to_json(last.body.view()));
                break;
            }
            [[fallthrough]];
        case OperationType::kReplace:
            spdlog::debug("Replaced document in '{}': {}", name, bson::to_json(last.body.view()));
            break;
        default:
            spdlog::debug("Deleted document from '{}': {}", name,
                          bson::to_json(last.filter.view()));
    }
}

}  // namespace tributary::replicate
