// Threads that live as long as the Applier and run one task per lane of each batch, so a batch
// costs a wake-up per lane instead of a thread creation per lane.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tributary::replicate {

class LaneWorkers {
  public:
    // `lanes` - 1 threads: lane 0 of every batch runs on the caller's thread.
    explicit LaneWorkers(size_t lanes);
    ~LaneWorkers();
    LaneWorkers(const LaneWorkers&) = delete;
    LaneWorkers& operator=(const LaneWorkers&) = delete;

    // Runs task(lane) for every lane in [0, lanes) at once and returns when all are done,
    // rethrowing the first lane's exception (by lane number) if any threw.
    void run(const std::function<void(size_t)>& task);

  private:
    void work(size_t lane);

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(size_t)>* task_ = nullptr;
    uint64_t round_ = 0;  // incremented per run(): a worker runs each round once
    size_t running_ = 0;  // workers still on the current round
    bool stopping_ = false;
    std::vector<std::exception_ptr> failures_;
    std::vector<std::jthread> threads_;
};

}  // namespace tributary::replicate
