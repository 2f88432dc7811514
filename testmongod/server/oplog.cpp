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
           size_of(post_image) + size_of(delta) + size_of(details);
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

ClusterTime Oplog::append(OplogEntry entry) {
    std::lock_guard lock(mutex_);
    entry.time = next_time();
    entry.wall_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    bytes_ += entry.approximate_bytes();
    entries_.push_back(std::move(entry));
    while (bytes_ > max_bytes_ && entries_.size() > 1) {
        bytes_ -= entries_.front().approximate_bytes();
        dropped_up_to_ = entries_.front().time;
        entries_.pop_front();
    }
    grown_.notify_all();
    return last_;
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

}  // namespace tmd
