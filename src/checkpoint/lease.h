// One sync per checkpoint: the store holds a lease naming its holder, taken when a sync starts,
// renewed while it runs and released when it stops. A lease not renewed for kLeaseDuration
// (the holder crashed) is taken over.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "checkpoint/checkpoint.h"

namespace tributary::checkpoint {

inline constexpr std::chrono::seconds kLeaseDuration{30};

// This process, as a lease holder.
LeaseHolder this_process();

// Renews `me`'s lease every third of kLeaseDuration; if another process took it over meanwhile,
// logs it and sets `stop`. Releases the lease when destroyed.
class LeaseKeeper {
  public:
    // `store` is this keeper's own (a second store on the same checkpoint), `me` holds its lease.
    LeaseKeeper(std::unique_ptr<Store> store, LeaseHolder me, std::atomic<bool>& stop);
    ~LeaseKeeper();
    LeaseKeeper(const LeaseKeeper&) = delete;
    LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  private:
    void renew(std::atomic<bool>& stop);

    std::unique_ptr<Store> store_;
    LeaseHolder me_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::thread thread_;
};

}  // namespace tributary::checkpoint
