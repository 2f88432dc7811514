// Starting over after a gap in the change history ends with the destination equal to the source:
// `--reset-state` and `--on-history-lost resync` both recopy every namespace tributary copied and
// remove the destination's copies of collections the source dropped or renamed meanwhile.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

class HistoryLostRecoveryTest : public ReplicateSyncTest {
  protected:
    // A first run copies users, gone and old, then stops.
    void sync_then_stop() {
        insert_range("users", 0, 20);
        insert_range("gone", 0, 5);
        insert_range("old", 0, 5);
        auto first = start_sync();
        std::string report;
        ASSERT_TRUE(converges(&report)) << report << first->output();
        ASSERT_EQ(first->terminate(), 0) << first->output();
    }
    // Changes while tributary is down: updates, a drop and a rename.
    void change_while_down() {
        source_command(R"({"update": "users", "updates": [{"q": {}, "u": {"$inc": {"n": 1}},
                                                            "multi": true}]})");
        source_command(R"({"drop": "gone"})");
        rename_collection("old", "renamed");
    }
};

TEST_F(HistoryLostRecoveryTest, ResetStateRecopiesWhatTributaryCopied) {
    start_servers("4.4");
    sync_then_stop();
    change_while_down();
    auto restart = start_sync({"--reset-state"});
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << restart->output();
    EXPECT_EQ(restart->terminate(), 0) << restart->output();
}

TEST_F(HistoryLostRecoveryTest, ResyncAfterLostHistoryRemovesWhatTheSourceDroppedOrRenamed) {
    start_servers("4.4", {"--oplog-size-mb", "1"});
    if (source_server_.external()) GTEST_SKIP() << "needs a source started with a 1 MB oplog";
    sync_then_stop();
    change_while_down();
    // The 1 MB oplog rolls over past the checkpoint.
    const std::string pad(100 * 1024, 'x');
    for (int i = 0; i < 40; ++i)
        source_command(R"({"insert": "fill", "documents": [{"pad": ")" + pad + R"("}]})");
    std::string output;
    ASSERT_EQ(TributaryProcess::run(sync_args(), &output), 4) << output;
    auto resync = start_sync({"--on-history-lost", "resync"});
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(40))) << report << resync->output();
    EXPECT_EQ(resync->terminate(), 0) << resync->output();
}

}  // namespace
