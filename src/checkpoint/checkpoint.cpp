// The thread-safe Checkpoint: every update changes the in-memory State and persists the part it
// changed; copy progress (ranges fixed or copied, collections complete or forgotten) is
// collected and saved at a bounded rate.
#include "checkpoint/checkpoint.h"

#include <random>
#include <utility>

#include "fmt/format.h"
#include "status/progress.h"

namespace tributary::checkpoint {

void Changes::add(const Changes& other) {
    run = run || other.run;
    collections.insert(other.collections.begin(), other.collections.end());
}

Changes Changes::everything(const State& state) {
    Changes all{true, {}};
    for (const auto& [ns, copy] : state.collections)
        all.collections.insert(ns);
    return all;
}

Checkpoint::Checkpoint(std::unique_ptr<Store> store, State state)
    : store_(std::move(store)),
      state_(std::move(state)),
      last_save_(std::chrono::steady_clock::now()),
      flusher_([this] { flush_in_background(); }) {}

// Unsaved progress is dropped, as a crash would drop it (a clean stop calls flush() first).
Checkpoint::~Checkpoint() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    wake_.notify_all();
    flusher_.join();
}

void Checkpoint::flush_in_background() {
    std::unique_lock lock(mutex_);
    while (!closing_) {
        if (pending_.empty() || background_failure_) {
            wake_.wait_for(lock, kProgressInterval);
        } else {
            wake_.wait_until(lock, last_save_ + kProgressInterval);
        }
        if (closing_ || pending_.empty() || background_failure_) continue;
        if (std::chrono::steady_clock::now() - last_save_ < kProgressInterval) continue;
        try {
            persist_locked({});
        } catch (...) {
            background_failure_ = std::current_exception();
        }
    }
}

State Checkpoint::snapshot() const {
    std::lock_guard lock(mutex_);
    State copy;
    copy.run_id = state_.run_id;
    copy.identity = state_.identity;
    copy.start.resume_token = state_.start.resume_token.copy();
    copy.start.operation_time = state_.start.operation_time;
    for (const auto& [ns, collection] : state_.collections)
        copy.collections.emplace(ns, collection.copy());
    copy.copy_complete = state_.copy_complete;
    copy.resume_token = state_.resume_token.copy();
    copy.resume_start_after = state_.resume_start_after;
    copy.applied_cluster_time = state_.applied_cluster_time;
    copy.unique_conversion_at = state_.unique_conversion_at;
    copy.finalized = state_.finalized;
    copy.incarnations = state_.incarnations;
    copy.copy_generation = state_.copy_generation;
    copy.spool = state_.spool.copy();
    return copy;
}

CollectionCopy Checkpoint::collection(const std::string& ns) const {
    std::lock_guard lock(mutex_);
    auto found = state_.collections.find(ns);
    return found == state_.collections.end() ? CollectionCopy{} : found->second.copy();
}

bool Checkpoint::knows(const std::string& ns) const {
    std::lock_guard lock(mutex_);
    return state_.collections.contains(ns);
}

void Checkpoint::persist_locked(const Changes& changes) {
    pending_.add(changes);  // first: a save that follows the reported failure must write it
    if (background_failure_) std::rethrow_exception(std::exchange(background_failure_, nullptr));
    if (pending_.empty()) return;
    store_->save(state_, pending_);
    status::counters().checkpoint_saved();
    pending_ = Changes{};
    last_save_ = std::chrono::steady_clock::now();
}

void Checkpoint::progress_locked(const std::string& ns) {
    pending_.collections.insert(ns);
    if (std::chrono::steady_clock::now() - last_save_ >= kProgressInterval) persist_locked({});
}

void Checkpoint::flush() {
    std::lock_guard lock(mutex_);
    persist_locked({});
}

void Checkpoint::set_start_point(StartPoint start) {
    std::lock_guard lock(mutex_);
    state_.start = std::move(start);
    persist_locked({true, {}});
}

void Checkpoint::intend_collections(const std::vector<Intent>& intents) {
    std::lock_guard lock(mutex_);
    Changes changes;
    for (const Intent& intent : intents) {
        CollectionCopy& copy = state_.collections[intent.ns];
        copy = CollectionCopy{};
        copy.phase = CopyPhase::kCreating;
        copy.uuid = intent.uuid;
        copy.listed_at = intent.listed_at;
        copy.generation = state_.copy_generation;
        changes.collections.insert(intent.ns);
        // The copy's incarnation is the one the name holds now.
        if (state_.incarnations.erase(intent.ns) > 0) changes.run = true;
        staged_incarnations_.erase(intent.ns);
    }
    persist_locked(changes);
}

void Checkpoint::begin_collection(const std::string& ns, bson::Document split_points) {
    std::lock_guard lock(mutex_);
    CollectionCopy& copy = state_.collections[ns];
    if (!copy.starting()) return;  // resuming: keep the stored ranges
    copy.phase = CopyPhase::kInProgress;
    copy.ranges_done.assign(bson_count_keys(split_points.view()) + 1, false);
    copy.split_points = std::move(split_points);
    copy.documents_copied = 0;
    progress_locked(ns);
}

void Checkpoint::mark_range_done(const std::string& ns, size_t range, int64_t documents) {
    std::lock_guard lock(mutex_);
    CollectionCopy& copy = state_.collections.at(ns);
    copy.ranges_done.at(range) = true;
    copy.documents_copied += documents;
    progress_locked(ns);
}

void Checkpoint::mark_collection_complete(const std::string& ns) {
    std::lock_guard lock(mutex_);
    state_.collections[ns].phase = CopyPhase::kComplete;
    progress_locked(ns);
}

void Checkpoint::forget_collection(const std::string& ns) {
    std::lock_guard lock(mutex_);
    if (state_.collections.erase(ns) > 0) progress_locked(ns);
}

// One write of the run's fields: the new generation makes every copy stale when read back.
void Checkpoint::begin_recopy(StartPoint start) {
    std::lock_guard lock(mutex_);
    for (auto& [ns, copy] : state_.collections)
        copy.phase = CopyPhase::kStale;
    state_.copy_generation += 1;
    state_.start = std::move(start);
    state_.copy_complete = false;
    state_.resume_token = bson::Document();
    state_.resume_start_after = false;
    state_.applied_cluster_time = {};
    state_.incarnations.clear();
    staged_incarnations_.clear();
    state_.spool = SpoolState{};
    persist_locked({true, {}});
}

bool Checkpoint::copied_after(const std::string& ns, bson::Timestamp time) const {
    std::lock_guard lock(mutex_);
    auto found = state_.collections.find(ns);
    if (found == state_.collections.end() || found->second.phase == CopyPhase::kStale) return false;
    return !found->second.listed_at.is_null() && time <= found->second.listed_at;
}

std::string Checkpoint::incarnation_of(const std::string& ns) const {
    std::lock_guard lock(mutex_);
    if (auto staged = staged_incarnations_.find(ns); staged != staged_incarnations_.end()) {
        return staged->second;
    }
    if (auto recorded = state_.incarnations.find(ns); recorded != state_.incarnations.end()) {
        return recorded->second;
    }
    return copy_uuid_locked(ns);
}

std::string Checkpoint::copy_uuid_locked(const std::string& ns) const {
    auto copied = state_.collections.find(ns);
    return copied == state_.collections.end() ? std::string() : copied->second.uuid;
}

void Checkpoint::stage_incarnation(const std::string& ns, std::string uuid) {
    std::lock_guard lock(mutex_);
    staged_incarnations_[ns] = std::move(uuid);
}

void Checkpoint::discard_staged_incarnations() {
    std::lock_guard lock(mutex_);
    staged_incarnations_.clear();
}

void Checkpoint::mark_copy_complete() {
    std::lock_guard lock(mutex_);
    state_.copy_complete = true;
    persist_locked({true, {}});
}

void Checkpoint::save_spool_position(const bson_t* token, bool start_after, int64_t appended,
                                     int64_t bytes) {
    std::lock_guard lock(mutex_);
    state_.spool.token = bson::Document::copy_of(token);
    state_.spool.start_after = start_after;
    state_.spool.appended = appended;
    state_.spool.bytes = bytes;
    persist_locked({true, {}});
}

void Checkpoint::finish_spool(bool from_reader) {
    std::lock_guard lock(mutex_);
    if (from_reader) {
        state_.resume_token = std::move(state_.spool.token);
        state_.resume_start_after = state_.spool.start_after;
    }
    state_.spool = SpoolState{};
    persist_locked({true, {}});
}

void Checkpoint::save_resume_token(const bson_t* token, bson::Timestamp cluster_time,
                                   bool start_after, std::optional<int64_t> spool_applied) {
    std::lock_guard lock(mutex_);
    if (spool_applied) state_.spool.applied = *spool_applied;
    state_.resume_token = bson::Document::copy_of(token);
    state_.resume_start_after = start_after;
    if (!cluster_time.is_null()) state_.applied_cluster_time = cluster_time;
    // Recorded only where it differs from the copy's (an absent entry answers that), so that
    // names that came and went do not stay in the run's fields for good.
    for (auto& [ns, uuid] : staged_incarnations_) {
        if (uuid == copy_uuid_locked(ns)) {
            state_.incarnations.erase(ns);
        } else {
            state_.incarnations[ns] = std::move(uuid);
        }
    }
    staged_incarnations_.clear();
    persist_locked({true, {}});
}

void Checkpoint::schedule_unique_conversion(bson::Timestamp at) {
    std::lock_guard lock(mutex_);
    if (at <= state_.unique_conversion_at) return;
    state_.unique_conversion_at = at;
    persist_locked({true, {}});
}

void Checkpoint::clear_unique_conversion(bson::Timestamp done_for) {
    std::lock_guard lock(mutex_);
    if (state_.unique_conversion_at != done_for) return;  // scheduled again meanwhile
    state_.unique_conversion_at = bson::Timestamp{};
    persist_locked({true, {}});
}

void Checkpoint::mark_finalized() {
    std::lock_guard lock(mutex_);
    state_.finalized = true;
    persist_locked({true, {}});
}

std::optional<bson::Document> Checkpoint::load_request() {
    std::lock_guard lock(mutex_);
    return store_->load_request();
}

void Checkpoint::save_request(const bson_t* request) {
    std::lock_guard lock(mutex_);
    store_->save_request(request);
}

std::string new_run_id() {
    std::random_device device;
    std::mt19937_64 generator((static_cast<uint64_t>(device()) << 32) ^ device());
    return fmt::format("{:016x}", generator());
}

}  // namespace tributary::checkpoint
