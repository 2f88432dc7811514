// End to end through `tributary sync`: the initial copy survives transient source failures (a
// connection closed under a getMore, which the driver does not retry), each range being retried
// with backoff instead of the whole copy aborting; a source failure that is not transient stops
// it as a source failure, not as the destination rejecting writes.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class CopyRetrySyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        source_fail_command_off();
        if (dest_)
            dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
        if (sync_) {
            EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
        }
        ReplicateSyncTest::TearDown();
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_F(CopyRetrySyncTest, ClosedConnectionsDuringTheCopyAreRetriedPerRange) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers("7.0");
    if (source_server_.external()) GTEST_SKIP() << "configures testmongod's failCommand";
    insert_range("c", 0, 300);
    admin_command(R"({"configureFailPoint": "failCommand", "mode": {"times": 3},
        "data": {"failCommands": ["getMore"], "closeConnection": true, "appName": "tributary"}})");
    // Not followed during the copy: the spool reader's getMores would take the closures meant
    // for the copy's (the reader's own reopening is covered by spool_follow_test.cpp).
    sync_ = start_sync({"--batch-size", "10", "--range-docs", "100", "--spool-max-mb", "0"});
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_FALSE(sync_->exit_code()) << sync_->output();
    EXPECT_TRUE(sync_->output_contains("retrying in")) << sync_->output();
}

// The steps of a collection's copy around its ranges (creating it on the destination before
// them, building its indexes after them) are retried like the ranges: a connection cut during
// them (CI once cut the one of a count) must not end the sync. Neither command is a retryable
// write, so the driver gives each closed connection to tributary.
class CollectionStepRetryTest : public CopyRetrySyncTest,
                                public testing::WithParamInterface<const char*> {};

TEST_P(CollectionStepRetryTest, AClosedConnectionIsRetried) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers("7.0");
    if (dest_server_.external()) GTEST_SKIP() << "configures testmongod's failCommand";
    insert_range("c", 0, 300);
    source_->run_command(
        db_, R"({"createIndexes": "c", "indexes": [{"key": {"n": 1}, "name": "n_1"}]})");
    auto armed = dest_->run_command(
        "admin", std::string(R"({"configureFailPoint": "failCommand", "mode": {"times": 2},
        "data": {"failCommands": [")") +
                     GetParam() + R"("], "closeConnection": true, "appName": "tributary"}})");
    ASSERT_TRUE(armed.ok) << armed.error;
    sync_ = start_sync({"--range-docs", "100"});
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_FALSE(sync_->exit_code()) << sync_->output();
    EXPECT_TRUE(sync_->output_contains("retrying")) << sync_->output();
}

INSTANTIATE_TEST_SUITE_P(Steps, CollectionStepRetryTest,
                         testing::Values("create", "createIndexes"));

TEST_F(CopyRetrySyncTest, ASourceReadErrorIsNotReportedAsRejectedWrites) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers("7.0");
    if (source_server_.external()) GTEST_SKIP() << "configures testmongod's failCommand";
    insert_range("c", 0, 10);
    // Interrupted (11601): neither a retryable read nor transient, so the copy stops on it. The
    // preflight's read of local.oplog.rs, a find before the copy's, takes the first.
    admin_command(R"({"configureFailPoint": "failCommand", "mode": {"times": 2},
        "data": {"failCommands": ["find"], "errorCode": 11601, "appName": "tributary"}})");
    std::string output;
    EXPECT_EQ(tributary_test::TributaryProcess::run(sync_args(), &output), 1) << output;
    EXPECT_NE(output.find("reading from the source failed (error 11601)"), std::string::npos)
        << output;
}

}  // namespace
