// sync, finalize, verify and status: connect and check inputs (session.h), then hand over to the
// copy, the replicator, the verifier or the checkpoint. Nothing here moves documents itself.
#include "cli/commands.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <limits>
#include <thread>

#include "checkpoint/lease.h"
#include "cli/exit_codes.h"
#include "cli/session.h"
#include "copy/initial_copy.h"
#include "copy/preflight.h"
#include "cutover/cutover.h"
#include "cutover/handoff.h"
#include "mongo/server_info.h"
#include "replicate/replicator.h"
#include "replicate/spool_reader.h"
#include "status/client.h"
#include "status/progress.h"
#include "status/report.h"
#include "status/stop.h"
#include "status/ticker.h"
#include "verify/verify.h"

namespace tributary {

namespace {

// The saved checkpoint, or nullopt when there is none.
std::optional<checkpoint::State> load_saved(checkpoint::Store& store) {
    try {
        return store.load();
    } catch (const std::runtime_error& error) {
        throw UserError(kExitUsage, std::string(error.what()) +
                                        "; remove it or pass --reset-state to start over");
    }
}

// What a run starts from: the checkpoint it resumes (refused when it was written for other
// arguments), or none, with the one --reset-state discards.
struct SavedRun {
    std::optional<checkpoint::State> resumed;
    std::optional<checkpoint::State> discarded;
};

SavedRun load_saved_run(checkpoint::Store& store, const checkpoint::Identity& identity,
                        bool reset) {
    if (reset) {
        spdlog::warn("Discarding the checkpoint in {} (--reset-state)", store.describe());
        SavedRun run;
        try {
            run.discarded = store.load();
        } catch (const std::runtime_error&) {
            // Unreadable: nothing to inherit.
        }
        return run;
    }
    std::optional<checkpoint::State> saved = load_saved(store);
    if (saved && saved->identity != identity) {
        throw UserError(kExitUsage, "the checkpoint in " + store.describe() +
                                        " belongs to a run with other arguments (" +
                                        saved->identity.describe() +
                                        "); rerun with those arguments, or pass --reset-state to "
                                        "discard it and start over");
    }
    return {std::move(saved), std::nullopt};
}

// A new run. After --reset-state it inherits the namespaces the discarded checkpoint had
// copied, as stale: they are tributary's, so the new copy replaces them (or drops them when the
// source no longer has them) instead of taking them for the destination's own.
checkpoint::State fresh_state(const checkpoint::Identity& identity,
                              std::optional<checkpoint::State> discarded) {
    checkpoint::State fresh;
    fresh.run_id = checkpoint::new_run_id();
    fresh.identity = identity;
    if (discarded) {
        for (auto& [ns, copy] : discarded->collections) {
            copy.phase = checkpoint::CopyPhase::kStale;
            fresh.collections.emplace(ns, std::move(copy));
        }
    }
    return fresh;
}

// The state the run continues from, or a new one saved before anything is copied.
checkpoint::State start_state(checkpoint::Store& store, SavedRun saved,
                              const checkpoint::Identity& identity) {
    if (saved.resumed) {
        spdlog::info("Resuming run {} from the checkpoint in {}", saved.resumed->run_id,
                     store.describe());
        return std::move(*saved.resumed);
    }
    checkpoint::State fresh = fresh_state(identity, std::move(saved.discarded));
    store.clear();
    store.save(fresh, checkpoint::Changes::everything(fresh));
    return fresh;
}

copy::CopyConfig copy_config(const Config& config) {
    copy::CopyConfig result;
    result.workers = config.copy_workers;
    result.read_batch_size = config.batch_size;
    result.existing = config.existing;
    result.range_docs = config.range_docs;
    return result;
}

}  // namespace

namespace {

// What sync and finalize work on: both deployments, checked, and the run's checkpoint.
struct Run {
    catalog::NamespaceFilter filter;
    Deployment source;
    Deployment destination;
    std::unique_ptr<checkpoint::Checkpoint> checkpoint;
    std::unique_ptr<checkpoint::LeaseKeeper> lease;  // sync only: one sync per checkpoint

    ~Run() {
        lease.reset();  // both write to the destination
        checkpoint.reset();
        close_together(source, destination);
    }
};

// Refuses a checkpoint another sync is using (exit 2); else keeps its lease while sync runs.
std::unique_ptr<checkpoint::LeaseKeeper> hold_lease(std::unique_ptr<checkpoint::Store> store) {
    checkpoint::LeaseHolder me = checkpoint::this_process();
    if (auto other = store->take_lease(me, checkpoint::kLeaseDuration)) {
        throw UserError(
            kExitUsage,
            "the checkpoint in " + store->describe() + " is in use by another tributary sync (" +
                other->describe() + "); stop it first (the lease of one that crashed expires " +
                std::to_string(checkpoint::kLeaseDuration.count()) + " s after its last renewal)");
    }
    return std::make_unique<checkpoint::LeaseKeeper>(std::move(store), me, stop_requested());
}

std::unique_ptr<Run> open_run(const Config& config) {
    require_endpoints(config);
    auto run = std::unique_ptr<Run>(
        new Run{make_filter(config), open_deployment("source", config.source, config),
                open_deployment("destination", config.destination, config), nullptr, nullptr});
    refuse_same_deployment(run->source, run->destination);  // by hosts, before connecting
    check_reachable(run->source);
    check_reachable(run->destination);
    refuse_same_deployment(run->source, run->destination);  // by replica set member, now known
    if (!run->source.info.supports_change_streams()) {
        throw UserError(kExitUsage, "the source (" + run->source.uri.redacted() +
                                        ") is a standalone server without change streams; "
                                        "tributary needs a replica set or sharded cluster source");
    }
    return run;
}

// Loads the run's checkpoint (or, with `create`, starts a new one) and logs what it syncs.
void open_checkpoint(const Config& config, Run& run, bool reset, bool create) {
    std::unique_ptr<checkpoint::Store> store = open_store(config, run.destination);
    const checkpoint::Identity identity = make_identity(config, run.source, run.destination);
    SavedRun saved = load_saved_run(*store, identity, reset);
    if (!saved.resumed && !create) {
        throw UserError(kExitUsage, "no checkpoint of a sync with these arguments in " +
                                        store->describe() + ": run tributary sync first");
    }
    // A database that is missing is an error only before the run starts: a started run follows
    // its drop (and its return) like any other change.
    if (!saved.resumed) require_databases(run.source, config);
    spdlog::info("Syncing {} (MongoDB {}) into {} (MongoDB {})", run.source.uri.redacted(),
                 run.source.info.version_family(), run.destination.uri.redacted(),
                 run.destination.info.version_family());
    checkpoint::State state = start_state(*store, std::move(saved), identity);
    run.checkpoint = std::make_unique<checkpoint::Checkpoint>(std::move(store), std::move(state));
}

cutover::Cutover make_cutover(Run& run) {
    return cutover::Cutover(*run.source.pool, *run.destination.pool,
                            run.destination.info.max_wire_version, run.filter, *run.checkpoint);
}

// --transactions atomic needs a destination that runs transactions: a replica set of 4.0+ (wire
// version 7) or a sharded cluster of 4.2+ (wire version 8).
bool atomic_transactions(const Config& config, const mongo::ServerInfo& destination) {
    if (config.transactions != TransactionMode::kAtomic) return false;
    const bool supported = destination.is_mongos
                               ? destination.max_wire_version >= 8
                               : !destination.set_name.empty() && destination.max_wire_version >= 7;
    if (!supported) {
        spdlog::warn(
            "The destination does not run multi-document transactions: source transactions are "
            "applied write by write (--transactions split).");
    }
    return supported;
}

// Where the events followed during the copy are kept: beside the checkpoint.
std::unique_ptr<checkpoint::Spool> open_spool(const Config& config, Run& run) {
    if (!config.state_file.empty()) return checkpoint::open_file_spool(config.state_file);
    return checkpoint::open_destination_spool(*run.destination.pool, config.state_db);
}

// The spool beside the checkpoint and, while the change stream is followed into it (the copy
// runs, or its spool is not applied yet), its reader.
struct Follower {
    std::unique_ptr<checkpoint::Spool> spool;
    std::unique_ptr<replicate::SpoolReader> reader;
    bool resynced = false;  // the first copy was redone after its reader lost the history
};

// Starts the reader when the copy is to be followed (not complete, --spool-max-mb not 0; the
// start point must be captured) or a spool is still to be applied; null otherwise.
std::unique_ptr<replicate::SpoolReader> start_reader(const Config& config, Run& run,
                                                     checkpoint::Spool& spool) {
    const checkpoint::State state = run.checkpoint->snapshot();
    if (!state.spool.active() && (state.copy_complete || config.spool_max_mb == 0)) {
        return nullptr;
    }
    replicate::SpoolConfig spool_config;
    // A spool begun before --spool-max-mb 0 is still followed until applied, unbounded.
    spool_config.max_bytes = config.spool_max_mb > 0 ? int64_t(config.spool_max_mb) << 20
                                                     : std::numeric_limits<int64_t>::max();
    spool_config.expanded_events = run.source.info.has_expanded_events();
    auto reader = std::make_unique<replicate::SpoolReader>(
        spool_config, *run.source.pool, run.filter, *run.checkpoint, spool, stop_requested());
    reader->start();
    return reader;
}

Follower start_following(const Config& config, Run& run) {
    Follower follower{open_spool(config, run), nullptr};
    follower.reader = start_reader(config, run, *follower.spool);
    return follower;
}

// The initial copy, stopped when the reader following it fails (its failure is thrown:
// SpoolFull as exit 7). False when stopped before the end.
bool copy_following(Run& run, copy::InitialCopy& copy, replicate::SpoolReader* reader) {
    status::counters().set_phase(status::Phase::kCopying);
    copy::Preflight preflight(*run.source.pool, run.filter, reader != nullptr);
    if (reader == nullptr) return copy.run();
    reader->stop_on_failure(&stop_requested());
    const bool done = copy.run();
    reader->stop_on_failure(nullptr);
    if (done) return true;
    try {
        reader->finish();
    } catch (const replicate::SpoolFull& full) {
        throw UserError(kExitSpoolFull, full.what());
    } catch (const checkpoint::SpoolDamaged& damaged) {
        throw UserError(kExitUsage, damaged.what());
    }
    return false;
}

// Recopies every synced collection from a fresh start point, followed like the first copy. False
// when stopped (the next run resumes it).
bool recopy_following(const Config& config, Run& run, copy::InitialCopy& copy, Follower& follower) {
    copy.begin_resync();
    follower.reader.reset();
    follower.reader = start_reader(config, run, *follower.spool);
    return copy_following(run, copy, follower.reader.get());
}

// The copy of a run; with --on-history-lost resync, one whose reader loses the history (the
// oplog overtook it, or its saved position is gone on a restart) starts again from a fresh start
// point, once: lost again, it gives up (exit 4) rather than recopy forever.
bool first_copy(const Config& config, Run& run, copy::InitialCopy& copy, Follower& follower) {
    try {
        return copy_following(run, copy, follower.reader.get());
    } catch (const mongo::Error& lost) {
        if (!lost.is_history_lost() || config.on_history_lost != HistoryLostMode::kResync) throw;
        spdlog::warn(
            "The source no longer holds the change history the copy's spool reader needs ({}); "
            "recopying every synced collection from a new start point (--on-history-lost "
            "resync).",
            lost.what());
        stop_requested() = false;  // set by the reader's failure (stop_on_failure) to stop the copy
        follower.resynced = true;  // lost again before a live change applied: twice in a row
    }
    try {
        return recopy_following(config, run, copy, follower);
    } catch (const mongo::Error& again) {
        if (!again.is_history_lost()) throw;
        throw UserError(kExitHistoryLost, replicate::resync_given_up(again));
    }
}

// The source's latest operation time, for the lag and the catch-up estimate of the status API
// (a failure is the replicator's to report).
void poll_source_time(Run& run) {
    try {
        mongo::ClientLease client = run.source.pool->lease();
        status::counters().source_time(mongo::fetch_operation_time(client.get()).t);
    } catch (const mongo::Error&) {
    }
}

// Replicates from the checkpoint until stopped, or until `cutover` reports its target reached;
// the spool of a copy that followed the stream is applied first.
int run_replication(const Config& config, Run& run, cutover::Cutover& cutover, Follower& follower,
                    replicate::ResyncFunction resync) {
    replicate::ReplicateConfig replicate_config;
    replicate_config.spool = follower.spool.get();
    replicate_config.lanes = static_cast<size_t>(config.apply_workers);
    replicate_config.spool_reader = [&follower] { return follower.reader.get(); };
    replicate_config.resync_on_history_lost = config.on_history_lost == HistoryLostMode::kResync;
    replicate_config.resynced_before_start = follower.resynced;
    replicate_config.expanded_events = run.source.info.has_expanded_events();
    replicate_config.atomic_transactions = atomic_transactions(config, run.destination.info);
    replicate_config.catalog_poll_interval = std::chrono::seconds(config.catalog_poll_interval_s);
    replicate_config.on_progress = [&](bson::Timestamp through) {
        return cutover.on_progress(through);
    };
    replicate_config.on_catalog_change = [&] { cutover.schedule_unique_conversion(); };
    copy::InitialCopy renamed_in(copy_config(config), *run.source.pool, *run.destination.pool,
                                 run.filter, *run.checkpoint, stop_requested());
    replicate_config.copy_renamed_in = [&](const std::string& db, const std::string& coll,
                                           bson::Timestamp renamed_at) {
        return renamed_in.copy_renamed_in(db, coll, renamed_at);
    };
    replicate::Replicator replicator(replicate_config, *run.source.pool, *run.destination.pool,
                                     run.filter, *run.checkpoint, std::move(resync));
    checkpoint::StartPoint start = run.checkpoint->snapshot().replication_start();
    status::counters().replication_starts_at(start.operation_time.t);
    status::Ticker source_clock(std::chrono::seconds(1), [&run] { poll_source_time(run); });
    return replicator.run(start, stop_requested());
}

// verify's settings; the checkpoint (when readable) tells how far a running sync has applied.
verify::Options verify_options(const Config& config, Deployment& destination) {
    verify::Options options;
    options.workers = config.copy_workers;
    if (config.range_docs > 0) options.range_docs = config.range_docs;
    options.max_differences = static_cast<size_t>(config.max_differences);
    options.settle_timeout = std::chrono::seconds(config.settle_timeout_s);
    std::shared_ptr<checkpoint::Store> store = open_store(config, destination);
    options.applied_time = [store]() -> std::optional<bson::Timestamp> {
        std::optional<checkpoint::State> state = store->load();
        if (!state) return std::nullopt;
        return state->applied_cluster_time;
    };
    return options;
}

// --verify-after-copy: the comparison right after the copy, before replication applies the
// writes made during it (which show as differences until then).
void verify_after_copy(const Config& config, Run& run) {
    verify::Options options = verify_options(config, run.destination);
    options.settle_timeout = std::chrono::seconds(0);
    verify::Report report =
        verify::compare(*run.source.pool, *run.destination.pool, run.filter, options);
    std::cout << report.table() << std::flush;
    spdlog::info(
        "Verify after the copy: {} difference(s); replication applies the writes made "
        "during the copy next",
        report.total_differences);
}

void refuse_finalized(const checkpoint::Checkpoint& checkpoint) {
    if (!checkpoint.snapshot().finalized) return;
    throw UserError(kExitUsage,
                    "the destination was finalized (tributary finalize): its indexes "
                    "are restored and it no longer follows the source; pass "
                    "--reset-state to start a new sync");
}

}  // namespace

int run_sync(const Config& config) {
    status::counters().set_phase(status::Phase::kCatalog);
    std::unique_ptr<Run> run = open_run(config);
    refuse_read_only_destination(run->destination);
    {
        mongo::ClientLease client = run->source.pool->lease();
        refuse_time_series(
            catalog::list_all(client.get(), run->filter, catalog::IndexListing::kWithoutIndexes));
    }
    run->lease = hold_lease(open_store(config, run->destination));
    open_checkpoint(config, *run, config.reset_state, true);
    refuse_finalized(*run->checkpoint);
    status::ProgressReporter progress(std::chrono::seconds(10),
                                      config.progress && isatty(STDERR_FILENO));

    copy::InitialCopy initial_copy(copy_config(config), *run->source.pool, *run->destination.pool,
                                   run->filter, *run->checkpoint, stop_requested());
    initial_copy.ensure_start_point();
    Follower follower = start_following(config, *run);
    const bool copying = !run->checkpoint->snapshot().copy_complete;
    if (copying && !first_copy(config, *run, initial_copy, follower)) {
        spdlog::info("Stopped during the initial copy; the next run resumes it");
        return kExitOk;
    }
    if (copying && config.verify_after_copy) verify_after_copy(config, *run);
    cutover::Cutover cutover = make_cutover(*run);
    cutover.answer_requests();
    // After the copy (or on a restart), the indexes it created are due for conversion once
    // replication reaches the source's present time.
    cutover.schedule_unique_conversion();
    int code = run_replication(config, *run, cutover, follower, [&] {
        // The recopy is followed like the first copy (its spool is applied next), so it may
        // outlast the oplog; a stopped one resumes on the next run.
        recopy_following(config, *run, initial_copy, follower);
        cutover.schedule_unique_conversion();
        return run->checkpoint->snapshot().start;
    });
    if (code != kExitOk || !cutover.target_reached()) return code;
    status::counters().set_phase(status::Phase::kFinalizing);
    spdlog::info("{}", cutover.finalize().summary);
    return kExitOk;
}

namespace {

// How long finalize waits for a running sync to finish the cutover.
constexpr auto kCutoverTimeout = std::chrono::seconds(600);

int finalize_exit(bool equal, const std::string& summary) {
    std::cout << summary << "\n" << std::flush;
    return equal ? kExitOk : kExitVerifyDiffers;
}

}  // namespace

int run_finalize(const Config& config) {
    std::unique_ptr<Run> run = open_run(config);
    open_checkpoint(config, *run, false, false);
    const checkpoint::State state = run->checkpoint->snapshot();
    if (state.finalized) {
        std::cout << "Already finalized (" << run->checkpoint->describe_store() << ")\n";
        return kExitOk;
    }
    if (!state.copy_complete) {
        throw UserError(kExitUsage,
                        "the initial copy is not complete: run tributary sync until "
                        "it replicates, then finalize");
    }
    bson::Timestamp target;
    {
        mongo::ClientLease client = run->source.pool->lease();
        target = mongo::fetch_operation_time(client.get());
    }
    bson::Document request(BCON_NEW("state", BCON_UTF8(cutover::kRequested), "target",
                                    BCON_TIMESTAMP(target.t, target.i)));
    run->checkpoint->save_request(request.view());
    cutover::Handoff handoff = cutover::await_handoff(
        *run->checkpoint, open_store(config, run->destination), stop_requested(), kCutoverTimeout);
    if (handoff.done) {
        return finalize_exit(mongo::get_bool(handoff.done->view(), "equal").value_or(false),
                             mongo::get_string(handoff.done->view(), "summary").value_or(""));
    }
    if (!handoff.lease) return kExitOk;  // stopped while waiting
    run->lease = std::move(handoff.lease);
    spdlog::info("No sync is running; catching up to the source's present time here");
    // A sync that ran until now advanced the checkpoint: continue from where it stopped.
    open_checkpoint(config, *run, false, false);
    bson::Document taken(
        BCON_NEW("state", BCON_UTF8("catchingUp"), "target", BCON_TIMESTAMP(target.t, target.i)));
    run->checkpoint->save_request(taken.view());
    cutover::Cutover cutover = make_cutover(*run);
    cutover.set_target(target);
    Follower follower = start_following(config, *run);
    int code = run_replication(config, *run, cutover, follower, {});
    if (code != kExitOk) return code;
    if (!cutover.target_reached()) {
        spdlog::info("Stopped before catching up; the destination is not finalized");
        return kExitOk;
    }
    status::counters().set_phase(status::Phase::kFinalizing);
    cutover::Outcome outcome = cutover.finalize();
    return finalize_exit(outcome.equal, outcome.summary);
}

int run_verify(const Config& config) {
    require_endpoints(config);
    catalog::NamespaceFilter filter = make_filter(config);
    Deployment source = connect("source", config.source, config);
    Deployment destination = connect("destination", config.destination, config);
    const bool equal = [&] {
        verify::Options options = verify_options(config, destination);
        verify::Report report = verify::compare(*source.pool, *destination.pool, filter, options);
        std::cout << (config.verify_json ? report.json() + "\n" : report.table()) << std::flush;
        return report.equal();
    }();
    close_together(source, destination);
    return equal ? kExitOk : kExitVerifyDiffers;
}

namespace {

std::string timestamp_text(bson::Timestamp time) {
    if (time.t == 0) return "none";
    return status::time_and_age(time.t, std::chrono::system_clock::now()) + " [" +
           std::to_string(time.t) + "." + std::to_string(time.i) + "]";
}

void print_checkpoint(const checkpoint::State& state) {
    std::cout << "run:            " << state.run_id << "\n"
              << "arguments:      " << state.identity.describe() << "\n"
              << "start point:    " << state.start.resume_token.to_json() << " at "
              << timestamp_text(state.start.operation_time) << "\n"
              << "copy complete:  " << (state.copy_complete ? "yes" : "no") << "\n";
    for (const auto& [ns, copy] : state.collections) {
        std::cout << "  " << ns << ": " << checkpoint::to_string(copy.phase) << ", "
                  << copy.ranges_done.size() - copy.ranges_remaining() << "/"
                  << copy.ranges_done.size() << " ranges, " << copy.documents_copied
                  << " documents\n";
    }
    std::cout << "resume token:   " << state.resume_token.to_json() << "\n"
              << "spool:          "
              << (state.spool.active()
                      ? std::to_string(state.spool.applied) + "/" +
                            std::to_string(state.spool.appended) + " events applied, " +
                            std::to_string(state.spool.bytes >> 20) + " MB"
                      : std::string("none"))
              << "\n"
              << "applied up to:  " << timestamp_text(state.applied_cluster_time) << "\n"
              << "unique due at:  " << timestamp_text(state.unique_conversion_at) << "\n"
              << "finalized:      " << (state.finalized ? "yes" : "no") << "\n";
}

// The running sync's own account, when its status API answers; false (and why, logged) if not.
bool print_live_status(const Config& config) {
    status::Fetched fetched =
        status::fetch_status(config.status_host, config.status_port, config.status_token);
    if (!fetched.body) {
        spdlog::warn("No running sync answers at {}:{} ({}); showing the checkpoint",
                     config.status_host, config.status_port, fetched.error);
        return false;
    }
    std::cout << "live status of the sync at " << config.status_host << ":" << config.status_port
              << "\n"
              << status::describe_status(*fetched.body);
    return true;
}

}  // namespace

int run_status(const Config& config) {
    const bool asked_live = config.status_port > 0;
    if (asked_live && print_live_status(config)) return kExitOk;
    std::optional<Deployment> destination;
    if (config.state_file.empty()) {
        if (config.destination.empty()) {
            throw UserError(asked_live ? kExitConnect : kExitUsage,
                            "no checkpoint location: pass --destination URI (or set "
                            "SECONDARY_MONGO_URI) or --state-file PATH");
        }
        destination.emplace(connect("destination", config.destination, config));
    }
    std::unique_ptr<checkpoint::Store> store =
        config.state_file.empty()
            ? checkpoint::open_destination_store(*destination->pool, config.state_db)
            : checkpoint::open_file_store(config.state_file);
    std::optional<checkpoint::State> state = store->load();
    if (!state) {
        std::cout << "No checkpoint in " << store->describe() << "\n";
        return kExitOk;
    }
    print_checkpoint(*state);
    return kExitOk;
}

}  // namespace tributary
