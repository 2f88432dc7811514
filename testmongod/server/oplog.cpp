#include "server/oplog.h"

#include <algorithm>
#include <ctime>

namespace tmd {
namespace {
size_t size_of(const StoredDoc& doc) {
    return doc ? doc->size() : 0;
}
}  // namespace

size_t OplogEntry::approximate_bytes() const {
    return 64 + db.size() + coll.size() + size_of(document_key) + size_of(pre_image) +
           size_of(post_image) + size_of(delta) + size_of(details) + size_of(lsid);
}

// The second before startup counts as dropped, so that any time this server has reported (an
// operationTime, a resume token) is still readable while a time from before it is not.
Oplog::Oplog(size_t max_bytes)
    : max_bytes_(max_bytes), dropped_up_to_{static_cast<uint32_t>(std::time(nullptr)) - 1, 0} {}

ClusterTime Oplog::next_time() {
    // Like mongod's logical clock: seconds from the wall clock, an increment within a second.
    auto seconds = static_cast<uint32_t>(std::time(nullptr));
    last_ = seconds > last_.t ? ClusterTime{seconds, 1} : ClusterTime{last_.t, last_.i + 1};
    return last_;
}

ClusterTime Oplog::append(OplogEntry entry, const Persist& persist) {
    std::vector<OplogEntry> one;
    one.push_back(std::move(entry));
    return append_transaction(std::move(one), persist);
}

ClusterTime Oplog::append_transaction(std::vector<OplogEntry> entries, const Persist& persist) {
    std::lock_guard lock(mutex_);
    ClusterTime time = next_time();
    int64_t wall_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    for (auto& entry : entries) {
        entry.time = time;
        entry.wall_time_ms = wall_time_ms;
        if (persist) persist(entry);
        store(std::move(entry));
    }
    grown_.notify_all();
    return time;
}

void Oplog::store(OplogEntry entry) {
    bytes_ += entry.approximate_bytes();
    entries_.push_back(std::move(entry));
    while (bytes_ > max_bytes_ && entries_.size() > 1) {
        bytes_ -= entries_.front().approximate_bytes();
        dropped_up_to_ = entries_.front().time;
        entries_.pop_front();
    }
}

ClusterTime Oplog::now() const {
    std::lock_guard lock(mutex_);
    if (last_.t == 0) return ClusterTime{static_cast<uint32_t>(std::time(nullptr)), 0};
    return last_;
}

std::vector<OplogEntry> Oplog::read_after(ClusterTime after, size_t limit,
                                          bool* history_lost) const {
    std::lock_guard lock(mutex_);
    *history_lost = after < dropped_up_to_;
    std::vector<OplogEntry> result;
    if (*history_lost) return result;
    auto first = std::upper_bound(entries_.begin(), entries_.end(), after,
                                  [](ClusterTime t, const OplogEntry& e) { return t < e.time; });
    for (auto it = first; it != entries_.end() && result.size() < limit; ++it)
        result.push_back(*it);
    return result;
}

void Oplog::wait_for_newer(ClusterTime after,
                           std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    grown_.wait_until(lock, deadline, [&] { return after < last_; });
}

std::optional<ClusterTime> Oplog::oldest() const {
    std::lock_guard lock(mutex_);
    if (entries_.empty()) return std::nullopt;
    return entries_.front().time;
}

ClusterTime Oplog::dropped_up_to() const {
    std::lock_guard lock(mutex_);
    return dropped_up_to_;
}

void Oplog::restore_dropped_up_to(ClusterTime time) {
    std::lock_guard lock(mutex_);
    dropped_up_to_ = time;
}

void Oplog::restore(OplogEntry entry) {
    std::lock_guard lock(mutex_);
    last_ = std::max(last_, entry.time);
    store(std::move(entry));
}

void Oplog::for_each(const std::function<void(const OplogEntry&)>& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& entry : entries_)
        visit(entry);
}

}  // namespace tmd
