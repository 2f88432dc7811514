// The thread-safe Checkpoint: every progress update (range copied, collection complete, batch
// applied) changes the in-memory State and persists it before returning.
#include "checkpoint/checkpoint.h"

#include <random>

#include "fmt/format.h"

namespace tributary::checkpoint {

Checkpoint::Checkpoint(std::unique_ptr<Store> store, State state)
    : store_(std::move(store)), state_(std::move(state)) {}

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

void Checkpoint::persist_locked() {
    store_->save(state_);
}

void Checkpoint::set_start_point(StartPoint start) {
    std::lock_guard lock(mutex_);
    state_.start = std::move(start);
    persist_locked();
}

void Checkpoint::intend_collection(const std::string& ns, std::string uuid,
                                   bson::Timestamp listed_at) {
    std::lock_guard lock(mutex_);
    CollectionCopy& copy = state_.collections[ns];
    copy = CollectionCopy{};
    copy.phase = CopyPhase::kCreating;
    copy.uuid = std::move(uuid);
    copy.listed_at = listed_at;
    // The copy's incarnation is the one the name holds now.
    state_.incarnations.erase(ns);
    staged_incarnations_.erase(ns);
    persist_locked();
}

void Checkpoint::begin_collection(const std::string& ns, bson::Document split_points) {
    std::lock_guard lock(mutex_);
    CollectionCopy& copy = state_.collections[ns];
    if (!copy.starting()) return;  // resuming: keep the stored ranges
    copy.phase = CopyPhase::kInProgress;
    copy.ranges_done.assign(bson_count_keys(split_points.view()) + 1, false);
    copy.split_points = std::move(split_points);
    copy.documents_copied = 0;
    persist_locked();
}

void Checkpoint::mark_range_done(const std::string& ns, size_t range, int64_t documents) {
    std::lock_guard lock(mutex_);
    CollectionCopy& copy = state_.collections.at(ns);
    copy.ranges_done.at(range) = true;
    copy.documents_copied += documents;
    persist_locked();
}

void Checkpoint::mark_collection_complete(const std::string& ns) {
    std::lock_guard lock(mutex_);
    state_.collections[ns].phase = CopyPhase::kComplete;
    persist_locked();
}

void Checkpoint::forget_collection(const std::string& ns) {
    std::lock_guard lock(mutex_);
    if (state_.collections.erase(ns) > 0) persist_locked();
}

void Checkpoint::begin_recopy(StartPoint start) {
    std::lock_guard lock(mutex_);
    for (auto& [ns, copy] : state_.collections)
        copy.phase = CopyPhase::kStale;
    state_.start = std::move(start);
    state_.copy_complete = false;
    state_.resume_token = bson::Document();
    state_.resume_start_after = false;
    state_.applied_cluster_time = {};
    state_.incarnations.clear();
    staged_incarnations_.clear();
    persist_locked();
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
    persist_locked();
}

void Checkpoint::save_resume_token(const bson_t* token, bson::Timestamp cluster_time,
                                   bool start_after) {
    std::lock_guard lock(mutex_);
    state_.resume_token = bson::Document::copy_of(token);
    state_.resume_start_after = start_after;
    if (!cluster_time.is_null()) state_.applied_cluster_time = cluster_time;
    for (auto& [ns, uuid] : staged_incarnations_)
        state_.incarnations[ns] = std::move(uuid);
    staged_incarnations_.clear();
    persist_locked();
}

void Checkpoint::schedule_unique_conversion(bson::Timestamp at) {
    std::lock_guard lock(mutex_);
    if (at <= state_.unique_conversion_at) return;
    state_.unique_conversion_at = at;
    persist_locked();
}

void Checkpoint::clear_unique_conversion(bson::Timestamp done_for) {
    std::lock_guard lock(mutex_);
    if (state_.unique_conversion_at != done_for) return;  // scheduled again meanwhile
    state_.unique_conversion_at = bson::Timestamp{};
    persist_locked();
}

void Checkpoint::mark_finalized() {
    std::lock_guard lock(mutex_);
    state_.finalized = true;
    persist_locked();
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
