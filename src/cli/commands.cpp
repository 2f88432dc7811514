// sync, verify and status: connect and check inputs (session.h), then hand over to the copy,
// the replicator, the verifier or the checkpoint. Nothing here moves documents itself.
#include "cli/commands.h"

#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/exit_codes.h"
#include "cli/session.h"
#include "copy/initial_copy.h"
#include "replicate/replicator.h"
#include "status/progress.h"
#include "status/stop.h"
#include "verify/verify.h"

namespace tributary {

namespace {

// The saved state of this run (after --reset-state: none), refused when it belongs to a run
// with other arguments.
std::optional<checkpoint::State> load_saved_state(checkpoint::Store& store,
                                                  const checkpoint::Identity& identity,
                                                  bool reset) {
    if (reset) {
        spdlog::warn("Discarding the checkpoint in {} (--reset-state)", store.describe());
        store.clear();
    }
    std::optional<checkpoint::State> saved;
    try {
        saved = store.load();
    } catch (const std::runtime_error& error) {
        throw UserError(kExitUsage, std::string(error.what()) +
                                        "; remove it or pass --reset-state to start over");
    }
    if (saved && saved->identity != identity) {
        throw UserError(kExitUsage, "the checkpoint in " + store.describe() +
                                        " belongs to a run with other arguments (" +
                                        saved->identity.describe() +
                                        "); rerun with those arguments, or pass --reset-state to "
                                        "discard it and start over");
    }
    return saved;
}

// A new run: a fresh state, saved before anything is copied.
checkpoint::State new_state(checkpoint::Store& store, const checkpoint::Identity& identity) {
    checkpoint::State fresh;
    fresh.run_id = checkpoint::new_run_id();
    fresh.identity = identity;
    store.save(fresh);
    return fresh;
}

checkpoint::StartPoint replication_start(const checkpoint::State& state) {
    if (state.resume_token.empty()) {
        return {state.start.resume_token.copy(), state.start.operation_time};
    }
    return {state.resume_token.copy(), state.applied_cluster_time, state.resume_start_after};
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

int run_sync(const Config& config) {
    require_endpoints(config);
    catalog::NamespaceFilter filter = make_filter(config);
    Deployment source = open_deployment("source", config.source, config);
    Deployment destination = open_deployment("destination", config.destination, config);
    refuse_same_deployment(source, destination);  // by hosts, before any connection attempt
    check_reachable(source);
    check_reachable(destination);
    refuse_same_deployment(source, destination);  // by replica set member, now known
    if (!source.info.supports_change_streams()) {
        throw UserError(kExitUsage, "the source (" + source.uri.redacted() +
                                        ") is a standalone server without change streams; "
                                        "tributary needs a replica set or sharded cluster source");
    }
    std::unique_ptr<checkpoint::Store> store = open_store(config, destination);
    const checkpoint::Identity identity = make_identity(config, source, destination);
    std::optional<checkpoint::State> saved = load_saved_state(*store, identity, config.reset_state);
    // A database that is missing is an error only before the run starts: a started run follows
    // its drop (and its return) like any other change.
    if (!saved) require_databases(source, config);
    spdlog::info("Syncing {} (MongoDB {}) into {} (MongoDB {})", source.uri.redacted(),
                 source.info.version_family(), destination.uri.redacted(),
                 destination.info.version_family());
    if (saved) {
        spdlog::info("Resuming run {} from the checkpoint in {}", saved->run_id, store->describe());
    }
    checkpoint::State state = saved ? std::move(*saved) : new_state(*store, identity);
    checkpoint::Checkpoint checkpoint(std::move(store), std::move(state));
    status::ProgressReporter progress(std::chrono::seconds(10));

    copy::InitialCopy initial_copy(copy_config(config), *source.pool, *destination.pool, filter,
                                   checkpoint, stop_requested());
    if (!checkpoint.snapshot().copy_complete && !initial_copy.run()) {
        spdlog::info("Stopped during the initial copy; the next run resumes it");
        return kExitOk;
    }

    replicate::ReplicateConfig replicate_config;
    replicate_config.resync_on_history_lost = config.on_history_lost == HistoryLostMode::kResync;
    replicate_config.expanded_events = source.info.has_expanded_events();
    replicate_config.catalog_poll_interval = std::chrono::seconds(config.catalog_poll_interval_s);
    replicate::Replicator replicator(replicate_config, *source.pool, *destination.pool, filter,
                                     checkpoint, [&](const std::vector<std::string>& namespaces) {
                                         return initial_copy.resync(namespaces);
                                     });
    return replicator.run(replication_start(checkpoint.snapshot()), stop_requested());
}

int run_verify(const Config& config) {
    require_endpoints(config);
    catalog::NamespaceFilter filter = make_filter(config);
    Deployment source = connect("source", config.source, config);
    Deployment destination = connect("destination", config.destination, config);
    mongo::ClientLease source_client = source.pool->lease();
    mongo::ClientLease destination_client = destination.pool->lease();
    verify::Report report = verify::compare(source_client.get(), destination_client.get(), filter);
    std::cout << report.table() << std::flush;
    return report.equal() ? kExitOk : kExitVerifyDiffers;
}

int run_status(const Config& config) {
    std::optional<Deployment> destination;
    if (config.state_file.empty()) {
        if (config.destination.empty()) {
            throw UserError(kExitUsage,
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
    std::cout << "run:            " << state->run_id << "\n"
              << "arguments:      " << state->identity.describe() << "\n"
              << "start point:    " << state->start.resume_token.to_json() << " at "
              << state->start.operation_time.t << "." << state->start.operation_time.i << "\n"
              << "copy complete:  " << (state->copy_complete ? "yes" : "no") << "\n";
    for (const auto& [ns, copy] : state->collections) {
        std::cout << "  " << ns << ": " << checkpoint::to_string(copy.phase) << ", "
                  << copy.ranges_done.size() - copy.ranges_remaining() << "/"
                  << copy.ranges_done.size() << " ranges, " << copy.documents_copied
                  << " documents\n";
    }
    std::cout << "resume token:   " << state->resume_token.to_json() << "\n"
              << "applied up to:  " << state->applied_cluster_time.t << "."
              << state->applied_cluster_time.i << "\n";
    return kExitOk;
}

}  // namespace tributary
