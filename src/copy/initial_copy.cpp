// Orchestrates the initial copy: start point first, then per collection create → split → copy
// ranges on a worker pool → build indexes → mark complete. A collection is marked complete only
// after its last range and its indexes, so a crash never leaves it looking finished.
#include "copy/initial_copy.h"

#include <spdlog/spdlog.h>

#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "checkpoint/crash_point.h"
#include "cli/exit_codes.h"
#include "copy/range_copy.h"
#include "copy/ranges.h"
#include "copy/retrying.h"
#include "mongo/change_stream.h"
#include "mongo/collection.h"
#include "mongo/server_info.h"
#include "status/progress.h"

namespace tributary::copy {

checkpoint::StartPoint capture_start_point(mongo::ClientPool& source,
                                           const catalog::NamespaceFilter& filter) {
    checkpoint::StartPoint start;
    {
        mongo::ClientLease client = source.lease();
        start.operation_time = mongo::fetch_operation_time(client.get());
    }
    mongo::WatchScope scope{filter.single_database().value_or(""), ""};
    mongo::ChangeStream stream(source.lease(), scope, mongo::ChangeStreamOptions{});
    // An empty first batch leaves the postBatchResumeToken as the cached resume token.
    start.resume_token = stream.resume_token();
    return start;
}

std::string display_name(const catalog::NamespaceFilter& filter, const std::string& db,
                         const std::string& coll) {
    return filter.single_database() ? coll : db + "." + coll;
}

InitialCopy::InitialCopy(CopyConfig config, mongo::ClientPool& source,
                         mongo::ClientPool& destination, const catalog::NamespaceFilter& filter,
                         checkpoint::Checkpoint& checkpoint, const std::atomic<bool>& stop)
    : config_(config),
      source_(source),
      destination_(destination),
      filter_(filter),
      checkpoint_(checkpoint),
      stop_(stop) {}

std::string InitialCopy::name_of(const catalog::CollectionInfo& info) const {
    return display_name(filter_, info.db, info.name);
}

namespace {

bool has_start_point(const checkpoint::State& state) {
    return !state.start.resume_token.empty() || !state.start.operation_time.is_null();
}

// The checkpoint's copy of a namespace is of the collection the source now holds there (a
// checkpoint without uuids, from an older version, is trusted).
bool same_incarnation(const checkpoint::CollectionCopy& copy, const catalog::CollectionInfo& info) {
    return copy.phase != checkpoint::CopyPhase::kStale &&
           (copy.uuid.empty() || copy.uuid == info.uuid);
}

// A read ended because its collection was dropped or renamed under it.
bool left_its_name(const mongo::Error& error) {
    return error.code() == mongo::codes::kQueryPlanKilled ||
           error.code() == mongo::codes::kNamespaceNotFound;
}

std::set<std::string> destination_names(mongoc_client_t* client, const std::string& db) {
    std::set<std::string> names;
    for (const bson::Document& entry : mongo::list_collections(client, db)) {
        names.insert(mongo::get_string(entry.view(), "name").value_or(""));
    }
    return names;
}

}  // namespace

void InitialCopy::ensure_start_point() {
    if (!has_start_point(checkpoint_.snapshot())) {
        checkpoint_.set_start_point(capture_start_point(source_, filter_));
    }
}

bool InitialCopy::run() {
    ensure_start_point();
    if (!copy_until_settled()) {
        checkpoint_.flush();  // the progress made, for the next run
        return false;
    }
    checkpoint_.mark_copy_complete();
    return true;
}

InitialCopy::Listing InitialCopy::list_source(const catalog::NamespaceFilter& filter) {
    mongo::ClientLease client = source_.lease();
    Listing listing;
    // Each collection's indexes are read when its copy is done (finish), by the copy workers.
    listing.collections =
        catalog::list_all(client.get(), filter, catalog::IndexListing::kWithoutIndexes);
    // Read after the listing: the copy reads every write before this time (see listed_at).
    listing.listed_at = mongo::fetch_operation_time(client.get());
    return listing;
}

bool InitialCopy::copy_until_settled() {
    while (true) {
        Listing listing = list_source(filter_);
        drop_vanished(listing);
        switch (copy_collections(select(std::move(listing.collections)), listing.listed_at)) {
            case Outcome::kDone:
                return true;
            case Outcome::kStopped:
                return false;
            case Outcome::kCatalogChanged:
                spdlog::info("Listing the source's collections again.");
        }
    }
}

void InitialCopy::drop_vanished(const Listing& listing) {
    std::set<std::string> listed;
    for (const catalog::CollectionInfo& info : listing.collections)
        listed.insert(info.ns());
    mongo::ClientLease destination = destination_.lease();
    for (const auto& [ns, copy] : checkpoint_.snapshot().collections) {
        // A complete copy is left to replication: the drop or rename events after its listing
        // say what became of it.
        if (copy.phase == checkpoint::CopyPhase::kComplete || listed.contains(ns)) continue;
        const size_t dot = ns.find('.');
        const std::string db = ns.substr(0, dot), coll = ns.substr(dot + 1);
        if (filter_.matches(db, coll)) {
            spdlog::info("Collection '{}' is no longer on the source; dropping tributary's copy.",
                         display_name(filter_, db, coll));
            mongo::Collection(destination.get(), db, coll).drop();
        }
        checkpoint_.forget_collection(ns);
    }
}

std::vector<catalog::CollectionInfo> InitialCopy::select(
    std::vector<catalog::CollectionInfo> collections) {
    checkpoint::State state = checkpoint_.snapshot();
    mongo::ClientLease destination = destination_.lease();
    mongo::ClientLease source = source_.lease();
    std::map<std::string, std::set<std::string>> existing;  // by database
    std::vector<catalog::CollectionInfo> selected;
    std::vector<std::string> conflicts;
    for (catalog::CollectionInfo& info : collections) {
        auto known = state.collections.find(info.ns());
        if (known != state.collections.end()) {
            if (same_incarnation(known->second, info)) {
                // Started by tributary: resume it, or nothing to do when complete.
                if (known->second.phase != checkpoint::CopyPhase::kComplete) {
                    selected.push_back(std::move(info));
                }
                continue;
            }
            // tributary's copy of what the name held before (renamed, dropped or recreated
            // since, or stale): replaced by a copy of the collection it holds now. Dropped
            // before it is forgotten, so a crash in between leaves it known.
            spdlog::info(
                "Collection '{}' is not the one tributary copied under that name; "
                "copying it again.",
                name_of(info));
            mongo::Collection(destination.get(), info.db, info.name).drop();
            checkpoint_.forget_collection(info.ns());
            selected.push_back(std::move(info));
            continue;
        }
        if (!existing.contains(info.db))
            existing[info.db] = destination_names(destination.get(), info.db);
        if (!existing[info.db].contains(info.name)) {
            selected.push_back(std::move(info));
            continue;
        }
        switch (config_.existing) {
            case ExistingMode::kSkip: {
                int64_t source_count =
                    info.is_view()
                        ? 0
                        : mongo::Collection(source.get(), info.db, info.name).count_documents();
                int64_t destination_count =
                    info.is_view() ? 0
                                   : mongo::Collection(destination.get(), info.db, info.name)
                                         .count_documents();
                spdlog::warn(
                    "Collection '{}' already exists in secondary database; not copying it "
                    "(source: {} documents, destination: {} documents). Use --existing drop to "
                    "recopy it (with --reset-state once the copy is complete).",
                    name_of(info), source_count, destination_count);
                break;
            }
            case ExistingMode::kDrop:
                spdlog::info("Dropping existing collection '{}' in secondary database...",
                             name_of(info));
                mongo::Collection(destination.get(), info.db, info.name).drop();
                selected.push_back(std::move(info));
                break;
            case ExistingMode::kFail:
                conflicts.push_back(info.ns());
                break;
        }
    }
    if (!conflicts.empty()) {
        std::string names;
        for (const std::string& ns : conflicts)
            names += (names.empty() ? "" : ", ") + ns;
        throw UserError(kExitUsage,
                        "the destination already has collection(s) " + names +
                            " that tributary did not copy; use --existing skip to keep them or "
                            "--existing drop to replace them with the source's");
    }
    return selected;
}

bson::Document InitialCopy::choose_split_points(const catalog::CollectionInfo& info) {
    mongo::ClientLease client = source_.lease();
    mongo::Collection coll(client.get(), info.db, info.name);
    // Sizing only: the metadata count is instant where countDocuments reads every document.
    const int64_t count = coll.estimated_count();
    const int64_t docs_per_range = config_.range_docs > 0
                                       ? config_.range_docs
                                       : range_size(count, config_.workers, kMinRangeDocuments);
    // Capped: one range, so that one reader and one ordered writer keep the insertion order.
    if (count <= docs_per_range || info.is_capped()) return bson::Document();  // one range
    Split split = split_collection(coll, count, docs_per_range);
    if (split.mixed_types) {
        spdlog::info("Collection '{}' has _ids of several types; copying it as one range.",
                     name_of(info));
    }
    return std::move(split.points);
}

void InitialCopy::intend(const std::vector<catalog::CollectionInfo>& collections,
                         bson::Timestamp listed_at) {
    std::vector<checkpoint::Intent> intents;
    for (const catalog::CollectionInfo& info : collections) {
        if (!checkpoint_.knows(info.ns())) intents.push_back({info.ns(), info.uuid, listed_at});
    }
    if (!intents.empty()) checkpoint_.intend_collections(intents);
}

std::vector<size_t> InitialCopy::prepare(const catalog::CollectionInfo& info) {
    spdlog::info("Copying collection '{}' to secondary database...", name_of(info));
    {
        mongo::ClientLease client = destination_.lease();
        catalog::create_collection(client.get(), info);
    }
    checkpoint::crash_point("collection-created");
    if (info.is_view()) return {};
    if (checkpoint_.collection(info.ns()).starting()) {
        checkpoint_.begin_collection(info.ns(), choose_split_points(info));
    }
    const checkpoint::CollectionCopy progress = checkpoint_.collection(info.ns());
    {
        mongo::ClientLease client = source_.lease();
        status::counters().start_collection(
            info.ns(), mongo::Collection(client.get(), info.db, info.name).estimated_count(),
            progress.documents_copied);
    }
    std::vector<size_t> remaining;
    for (size_t range = 0; range < progress.ranges_done.size(); ++range) {
        if (!progress.ranges_done[range]) remaining.push_back(range);
    }
    spdlog::debug("Collection '{}': {} _id range(s), {} to copy.", name_of(info),
                  progress.ranges_done.size(), remaining.size());
    return remaining;
}

bool InitialCopy::finish(const catalog::CollectionInfo& info) {
    if (!info.is_view()) {
        std::vector<bson::Document> indexes;
        {
            mongo::ClientLease source = source_.lease();
            indexes = mongo::Collection(source.get(), info.db, info.name).list_indexes();
            // Ranges read after a rename or drop read nothing: the copy is of a name, not of the
            // collection, unless the collection is still there (and so are the indexes just
            // read).
            if (catalog::collection_uuid(source.get(), info.db, info.name) != info.uuid) {
                spdlog::info("Collection '{}' was renamed or dropped during its copy.",
                             name_of(info));
                return false;
            }
        }
        // Neutralized (catalog/neutralized_indexes.h): a copy that is not a snapshot can hold
        // transient duplicates; uniqueness is restored once replication has caught up.
        mongo::ClientLease client = destination_.lease();
        catalog::create_indexes(client.get(), info.db, info.name, indexes);
    }
    checkpoint_.mark_collection_complete(info.ns());
    status::counters().finish_collection(info.ns());
    spdlog::info("Collection '{}' copied successfully.", name_of(info));
    return true;
}

InitialCopy::Outcome InitialCopy::copy_collections(
    const std::vector<catalog::CollectionInfo>& collections, bson::Timestamp listed_at) {
    // A task without a range prepares its collection (create, split points), which queues the
    // collection's ranges first in line: collections are prepared by the workers in parallel,
    // and a prepared collection's ranges are copied before more collections are prepared.
    struct Task {
        const catalog::CollectionInfo* info;
        std::optional<size_t> range;
    };
    std::deque<Task> tasks;
    std::map<std::string, size_t> ranges_left;
    std::map<std::string, bson::Document> split_points;
    bool changed = false;        // a collection left its name during its copy
    std::set<std::string> left;  // namespaces whose collection left during their copy
    intend(collections, listed_at);
    // Views after the workers: the collections they are defined on are created first.
    std::vector<const catalog::CollectionInfo*> views;
    for (const catalog::CollectionInfo& info : collections) {
        if (info.is_view()) {
            views.push_back(&info);
        } else {
            tasks.push_back({&info, std::nullopt});
        }
    }

    std::mutex mutex;
    std::exception_ptr failure;
    std::atomic<bool> abort{false};
    // Both steps are idempotent (retrying.h): a collection that exists is not created again, an
    // index that exists is not built again.
    auto finish_collection = [&](const catalog::CollectionInfo& info) {
        bool finished = true;
        if (!retry_transient("Finishing the copy of '" + name_of(info) + "'", stop_,
                             [&] { finished = finish(info); })) {
            return;  // stopped: the restart finishes it (prepare finds no range left)
        }
        if (!finished) {
            std::lock_guard lock(mutex);
            changed = true;
        }
    };
    auto prepare_collection = [&](const catalog::CollectionInfo& info) {
        std::vector<size_t> remaining;
        if (!retry_transient("Preparing the copy of '" + name_of(info) + "'", stop_,
                             [&] { remaining = prepare(info); })) {
            return;  // stopped
        }
        if (remaining.empty()) return finish_collection(info);
        std::lock_guard lock(mutex);
        ranges_left[info.ns()] = remaining.size();
        split_points[info.ns()] = checkpoint_.collection(info.ns()).split_points.copy();
        for (auto range = remaining.rbegin(); range != remaining.rend(); ++range)
            tasks.push_front({&info, *range});
    };
    // Returns false when stopped before the end of the range.
    auto copy_one_range = [&](const catalog::CollectionInfo& info, size_t range) {
        const std::string ns = info.ns();
        bson::Document filter;
        {
            std::lock_guard lock(mutex);
            filter = range_filter(split_points.at(ns).view(), range);
        }
        RangeResult result = copy_range(
            source_, destination_, info.db, info.name, filter.view(), config_.read_batch_size,
            info.is_capped() ? ReadOrder::kNatural : ReadOrder::kById, stop_);
        if (!result.complete) return false;
        checkpoint_.mark_range_done(ns, range, result.documents);
        bool last = false;
        {
            std::lock_guard lock(mutex);
            last = --ranges_left[ns] == 0;
        }
        if (last) finish_collection(info);
        return true;
    };
    auto work = [&] {
        while (true) {
            Task task;
            {
                std::lock_guard lock(mutex);
                do {
                    if (tasks.empty() || abort.load() || stop_.load()) return;
                    task = tasks.front();
                    tasks.pop_front();
                } while (left.contains(task.info->ns()));
            }
            try {
                if (!task.range) {
                    prepare_collection(*task.info);
                } else if (!copy_one_range(*task.info, *task.range)) {
                    return;  // stopped
                }
            } catch (const mongo::Error& error) {
                std::lock_guard lock(mutex);
                if (left_its_name(error)) {
                    spdlog::info("Collection '{}' was renamed or dropped during its copy ({}).",
                                 name_of(*task.info), error.what());
                    left.insert(task.info->ns());  // its other ranges are not read
                    changed = true;
                    continue;
                }
                if (!failure) failure = std::current_exception();
                abort = true;
                return;
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!failure) failure = std::current_exception();
                abort = true;
                return;
            }
        }
    };
    std::vector<std::thread> workers;
    for (int i = 0; i < config_.workers; ++i)
        workers.emplace_back(work);
    for (std::thread& worker : workers)
        worker.join();
    if (failure) std::rethrow_exception(failure);
    if (stop_.load()) return Outcome::kStopped;
    for (const catalog::CollectionInfo* view : views) {
        if (stop_.load()) return Outcome::kStopped;
        prepare_collection(*view);
    }
    // A stop during the last view's retry wait left it uncreated: not a complete copy.
    if (stop_.load()) return Outcome::kStopped;
    return changed ? Outcome::kCatalogChanged : Outcome::kDone;
}

bool InitialCopy::copy_renamed_in(const std::string& db, const std::string& coll,
                                  bson::Timestamp renamed_at) {
    const std::string ns = db + "." + coll;
    const catalog::NamespaceFilter only(std::vector<std::string>{db}, {ns}, {}, filter_.state_db());
    while (true) {
        const checkpoint::CollectionCopy known = checkpoint_.collection(ns);
        const bool copied_since = checkpoint_.copied_after(ns, renamed_at);
        if (copied_since && known.phase == checkpoint::CopyPhase::kComplete) return true;
        Listing listing = list_source(only);
        if (listing.collections.empty()) {
            // What the rename brought was renamed on or dropped since: nothing is copied under
            // the name, which is recorded as copied (empty) at the listing, so its events older
            // than the listing are skipped and its replayed rename copies the rename's target.
            drop_copy(db, coll);
            checkpoint_.intend_collections({{ns, "", listing.listed_at}});
            checkpoint_.mark_collection_complete(ns);
            return true;
        }
        const catalog::CollectionInfo& info = listing.collections.front();
        // Anything else under the name on the destination is what the source's rename replaced.
        if (!copied_since || !same_incarnation(known, info)) drop_copy(db, coll);
        switch (copy_collections(listing.collections, listing.listed_at)) {
            case Outcome::kDone:
                return true;
            case Outcome::kStopped:
                return false;
            case Outcome::kCatalogChanged:
                spdlog::info("Listing collection '{}' again.", name_of(info));
        }
    }
}

void InitialCopy::drop_copy(const std::string& db, const std::string& coll) {
    mongo::ClientLease destination = destination_.lease();
    mongo::Collection(destination.get(), db, coll).drop();
    checkpoint_.forget_collection(db + "." + coll);
}

void InitialCopy::begin_resync() {
    checkpoint_.begin_recopy(capture_start_point(source_, filter_));
}

}  // namespace tributary::copy
