// A blocking FIFO of fixed capacity: the hand-off between a range's reader and its writer, and
// between replication's stream reader and the replicator (replicate/stream_reader.h), so memory
// stays bounded whatever the source's size or rate and neither side waits while the other works.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace tributary::copy {

template <typename T>
class BoundedQueue {
  public:
    // At most `capacity` items, and at most `max_bytes` of them by the sizes given to push (an
    // item larger than `max_bytes` still passes, alone).
    explicit BoundedQueue(size_t capacity, size_t max_bytes = SIZE_MAX)
        : capacity_(capacity), max_bytes_(max_bytes) {}

    // Blocks while full; returns false (dropping `item`) once the queue is closed.
    bool push(T item, size_t bytes = 0) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return closed_ || fits_locked(bytes); });
        if (closed_) return false;
        items_.emplace_back(std::move(item), bytes);
        bytes_ += bytes;
        not_empty_.notify_one();
        return true;
    }

    // Blocks while empty; std::nullopt once closed and drained.
    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
        return take_locked();
    }

    // Like pop(), also std::nullopt when nothing came within `timeout`.
    std::optional<T> pop_for(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
        return take_locked();
    }

    // No more pushes; pop() drains what is queued, then returns std::nullopt.
    void close() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

    // The items queued and the sum of their sizes.
    std::pair<size_t, size_t> depth() const {
        std::lock_guard lock(mutex_);
        return {items_.size(), bytes_};
    }

  private:
    bool fits_locked(size_t bytes) const {
        if (items_.empty()) return true;
        return items_.size() < capacity_ && bytes <= max_bytes_ && bytes_ <= max_bytes_ - bytes;
    }
    std::optional<T> take_locked() {
        if (items_.empty()) return std::nullopt;
        std::optional<T> item(std::move(items_.front().first));
        bytes_ -= items_.front().second;
        items_.pop_front();
        not_full_.notify_one();
        return item;
    }

    size_t capacity_;
    size_t max_bytes_;
    mutable std::mutex mutex_;
    std::condition_variable not_full_;
    std::condition_variable not_empty_;
    std::deque<std::pair<T, size_t>> items_;
    size_t bytes_ = 0;
    bool closed_ = false;
};

}  // namespace tributary::copy
