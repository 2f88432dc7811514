// Unit test of the retry delay shared by the copy and the replicator (mongo/retry.h): capped
// exponential backoff with full jitter, and the retry counter /metrics exposes.
#include "mongo/retry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "status/progress.h"
#include "status/report.h"

namespace {

using namespace std::chrono_literals;
using tributary::mongo::retry_delay;

TEST(RetryBackoffTest, DelayStaysUnderTheExponentialCeilingAndTheCap) {
    for (int attempt = 0; attempt < 40; ++attempt) {
        auto ceiling = std::min<std::chrono::milliseconds>(
            100ms * (int64_t{1} << std::min(attempt, 20)), 5000ms);
        for (int draw = 0; draw < 50; ++draw) {
            auto delay = retry_delay(attempt, 100ms, 5000ms);
            EXPECT_GE(delay, 0ms);
            EXPECT_LE(delay, ceiling) << "attempt " << attempt;
        }
    }
}

// Jitter: clients that failed together do not all retry at the same moment.
TEST(RetryBackoffTest, DelaysAreSpreadOut) {
    std::set<int64_t> seen;
    for (int draw = 0; draw < 50; ++draw)
        seen.insert(retry_delay(6, 100ms, 5000ms).count());
    EXPECT_GT(seen.size(), 10u);
}

TEST(RetryBackoffTest, RetriesAreExposedAsAMetric) {
    tributary::status::Counters counters;
    counters.retries = 3;
    EXPECT_NE(
        tributary::status::prometheus_text(counters.snapshot(), std::chrono::steady_clock::now())
            .find("tributary_retries_total 3"),
        std::string::npos);
}

}  // namespace
