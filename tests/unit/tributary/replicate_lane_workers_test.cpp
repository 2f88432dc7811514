// Unit tests: the Applier's persistent lane threads run every lane once per batch, on distinct
// threads that outlive the batch, and hand a lane's exception back to the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "replicate/lane_workers.h"

namespace tributary::replicate {
namespace {

TEST(LaneWorkersTest, EveryLaneRunsOncePerRound) {
    LaneWorkers workers(4);
    for (int round = 0; round < 1000; ++round) {
        std::vector<std::atomic<int>> runs(4);
        workers.run([&](size_t lane) { ++runs[lane]; });
        for (size_t lane = 0; lane < 4; ++lane)
            ASSERT_EQ(runs[lane].load(), 1) << round;
    }
}

TEST(LaneWorkersTest, LanesKeepTheirThreadsAcrossRounds) {
    LaneWorkers workers(3);
    std::mutex mutex;
    std::set<std::thread::id> threads;
    for (int round = 0; round < 50; ++round) {
        workers.run([&](size_t) {
            std::lock_guard lock(mutex);
            threads.insert(std::this_thread::get_id());
        });
    }
    EXPECT_EQ(threads.size(), 3u);
    EXPECT_TRUE(threads.count(std::this_thread::get_id()));
}

TEST(LaneWorkersTest, ALaneFailureReachesTheCallerAfterEveryLaneFinished) {
    LaneWorkers workers(3);
    std::atomic<int> finished = 0;
    EXPECT_THROW(workers.run([&](size_t lane) {
        if (lane == 2) throw std::runtime_error("lane 2");
        ++finished;
    }),
                 std::runtime_error);
    EXPECT_EQ(finished.load(), 2);
    std::atomic<int> after = 0;
    workers.run([&](size_t) { ++after; });
    EXPECT_EQ(after.load(), 3);
}

TEST(LaneWorkersTest, OneLaneRunsOnTheCaller) {
    LaneWorkers workers(1);
    std::thread::id ran_on;
    workers.run([&](size_t) { ran_on = std::this_thread::get_id(); });
    EXPECT_EQ(ran_on, std::this_thread::get_id());
}

}  // namespace
}  // namespace tributary::replicate
