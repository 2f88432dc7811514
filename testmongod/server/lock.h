// SharedMutex: the reader-writer lock behind testmongod's catalog and collection locks (see
// catalog.h, "Locking"). Unlike std::shared_mutex (glibc's rwlock prefers readers, so a steady
// stream of overlapping readers can starve a writer) it is fair in mongod's sense: once an
// exclusive request waits, later shared requests queue behind it (manual, "FAQ: Concurrency":
// "Locks are fair, with lock requests for reads and writes queued in order"). Usable with
// std::unique_lock and std::shared_lock. Not recursive: a thread holding it shared must not ask
// for it again.
#pragma once

#include <condition_variable>
#include <mutex>

namespace tmd {

class SharedMutex {
  public:
    SharedMutex() = default;
    SharedMutex(const SharedMutex&) = delete;
    SharedMutex& operator=(const SharedMutex&) = delete;

    void lock() {
        std::unique_lock guard(mutex_);
        ++writers_waiting_;
        changed_.wait(guard, [this] { return !writer_ && readers_ == 0; });
        --writers_waiting_;
        writer_ = true;
    }
    void unlock() {
        {
            std::lock_guard guard(mutex_);
            writer_ = false;
        }
        changed_.notify_all();
    }
    void lock_shared() {
        std::unique_lock guard(mutex_);
        changed_.wait(guard, [this] { return !writer_ && writers_waiting_ == 0; });
        ++readers_;
    }
    void unlock_shared() {
        bool last = false;
        {
            std::lock_guard guard(mutex_);
            last = --readers_ == 0;
        }
        if (last) changed_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int readers_ = 0;
    int writers_waiting_ = 0;
    bool writer_ = false;
};

}  // namespace tmd
