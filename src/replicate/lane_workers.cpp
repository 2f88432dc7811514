#include "replicate/lane_workers.h"

#include <algorithm>

namespace tributary::replicate {

LaneWorkers::LaneWorkers(size_t lanes) : failures_(lanes == 0 ? 1 : lanes) {
    for (size_t lane = 1; lane < failures_.size(); ++lane) {
        threads_.emplace_back([this, lane] { work(lane); });
    }
}

LaneWorkers::~LaneWorkers() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
}

void LaneWorkers::run(const std::function<void(size_t)>& task) {
    {
        std::lock_guard lock(mutex_);
        task_ = &task;
        running_ = threads_.size();
        ++round_;
        std::fill(failures_.begin(), failures_.end(), nullptr);
    }
    wake_.notify_all();
    try {
        task(0);
    } catch (...) {
        failures_[0] = std::current_exception();
    }
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return running_ == 0; });
    task_ = nullptr;
    for (const auto& failure : failures_) {
        if (failure) std::rethrow_exception(failure);
    }
}

void LaneWorkers::work(size_t lane) {
    uint64_t seen = 0;
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [&] { return stopping_ || round_ != seen; });
        if (stopping_) return;
        seen = round_;
        const auto* task = task_;
        lock.unlock();
        std::exception_ptr failure;
        try {
            (*task)(lane);
        } catch (...) {
            failure = std::current_exception();
        }
        lock.lock();
        failures_[lane] = failure;
        if (--running_ == 0) done_.notify_one();
    }
}

}  // namespace tributary::replicate
