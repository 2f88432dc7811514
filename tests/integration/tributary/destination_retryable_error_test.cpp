// End to end through `tributary sync`: destination writes failing with transient server errors
// (NotWritablePrimary, labelled RetryableWriteError, as during an election) are retried with
// backoff and the destination ends equal (the independent comparator judges). The faults come
// from the destination's failCommand fail point.
#include <gtest/gtest.h>

#include <string>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class DestinationRetryableErrorTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        if (dest_) {
            dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
        }
        ReplicateSyncTest::TearDown();
    }
};

TEST_F(DestinationRetryableErrorTest, NotWritablePrimaryOnBatchWritesIsRetried) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint on the destination");
    start_servers("7.0");
    insert_range("c", 0, 10);
    auto sync = start_sync();
    // More failures than the driver's single retry absorbs.
    fail_destination_writes(4);
    insert_range("c", 100, 50);
    source_command(
        R"({"update": "c", "updates": [{"q": {}, "u": {"$inc": {"n": 1}}, "multi": true}]})");
    source_command(R"({"delete": "c", "deletes": [{"q": {"_id": 3}, "limit": 1}]})");
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << sync->output();
    EXPECT_TRUE(sync->output_contains("retrying")) << sync->output();
    EXPECT_FALSE(sync->exit_code().has_value()) << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

}  // namespace
