// End to end: a stop that comes while a step of the copy waits to be retried (here a view's
// create, prepared after the workers) leaves the copy incomplete, so the restart creates the
// view; before the fix the copy was marked complete without it.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class CopyStopDuringRetryTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        if (dest_)
            dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
        if (sync_) sync_->terminate();
        ReplicateSyncTest::TearDown();
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_F(CopyStopDuringRetryTest, AStopWhileAViewsCreateIsRetriedLeavesTheCopyIncomplete) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers("7.0");
    if (dest_server_.external()) GTEST_SKIP() << "configures testmongod's failCommand";
    insert_range("c", 0, 10);
    source_command(R"({"create": "v", "viewOn": "c", "pipeline": [{"$match": {"n": 0}}]})");
    // Every create of the view on the destination has its connection closed (transient).
    auto armed =
        dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "alwaysOn",
        "data": {"failCommands": ["create"], "closeConnection": true, "appName": "tributary",
                 "namespace": ")" + db_ +
                                        R"(.v"}})");
    ASSERT_TRUE(armed.ok) << armed.error;
    sync_ = std::make_unique<tributary_test::TributaryProcess>(sync_args());
    ASSERT_TRUE(tributary_test::eventually(
        [&] { return sync_->output_contains("Preparing the copy of"); }, std::chrono::seconds(30)))
        << sync_->output();
    // Stopped while the retry waits.
    const int first = sync_->terminate();
    const std::string first_output = sync_->output();
    auto off =
        dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
    ASSERT_TRUE(off.ok) << off.error;
    EXPECT_EQ(first, 0) << first_output;
    // The next run must create the view (finish the copy it did not finish).
    sync_ = start_sync();
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << first_output << "\n--- second run ---\n"
                                    << sync_->output();
    EXPECT_NE(collections(*dest_).find("\"v\""), std::string::npos)
        << collections(*dest_) << first_output << "\n--- second run ---\n"
        << sync_->output();
}

}  // namespace
