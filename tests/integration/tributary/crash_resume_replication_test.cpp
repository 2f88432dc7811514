// `tributary sync` across interruptions, from a 4.4-profile source into a 7.0 destination: writes
// made while a large collection is copied, kill -9 mid-replication and a restart with the same
// arguments, SIGTERM (checkpoint written, exit 0), and a source that lost the history (exit 4).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "replicate_sync_fixture.h"

namespace {

using testsupport::Bson;
using tributary_test::eventually;
using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

class CrashResumeReplicationTest : public ReplicateSyncTest {
  protected:
    // The checkpoint file's resume token, or an empty document before the first save.
    Bson saved_token() const {
        std::ifstream in(state_file_);
        std::stringstream text;
        text << in.rdbuf();
        if (text.str().empty()) return Bson();
        Bson state = Bson::from_json(text.str());
        return state.has("resumeToken._data") ? state.document("resumeToken") : Bson();
    }
    // One round of every CRUD operation type on `coll`, touching ids around `round`.
    void churn(const std::string& coll, int round) {
        const std::string id = std::to_string(round);
        source_command(R"({"update": ")" + coll + R"(", "updates": [{"q": {"_id": )" + id +
                       R"(}, "u": {"$inc": {"n": 1}, "$set": {"touched": true}}}]})");
        source_command(R"({"update": ")" + coll + R"(", "updates": [{"q": {"_id": )" +
                       std::to_string(round + 1) + R"(}, "u": {"replaced": )" + id + "}}]}");
        source_command(R"({"delete": ")" + coll + R"(", "deletes": [{"q": {"_id": )" +
                       std::to_string(round + 2) + R"(}, "limit": 1}]})");
        insert_range(coll, 1000000 + round, 1);
    }
};

TEST_F(CrashResumeReplicationTest, WritesDuringTheCopyOfALargeCollectionAreNotLost) {
    start_servers("4.4");
    for (int first = 0; first < 20000; first += 2000)
        insert_range("large", first, 2000);
    TributaryProcess sync(
        sync_args({"--range-docs", "500", "--copy-workers", "1", "--batch-size", "100"}));
    ASSERT_TRUE(eventually([&] { return sync.output_contains("Copying collection 'large'"); }))
        << sync.output();
    int round = 0;
    // Writes spread over the whole _id space, so some hit ranges already copied and some not.
    for (; !sync.output_contains("copied successfully.") && round < 2000; round += 3)
        churn("large", (round * 37) % 20000);
    EXPECT_GE(round, 30) << "the copy finished before writes were made during it";
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(40))) << report << sync.output();
    EXPECT_EQ(sync.terminate(), 0) << sync.output();
}

TEST_F(CrashResumeReplicationTest, KillDuringReplicationThenRestartConverges) {
    start_servers("4.4");
    insert_range("users", 0, 3000);
    {
        auto first = start_sync();
        for (int round = 0; round < 300; round += 3)
            churn("users", round);
        ASSERT_TRUE(eventually([&] { return saved_token().has("_data"); })) << first->output();
        first->kill_hard();
    }
    for (int round = 300; round < 600; round += 3)
        churn("users", round);
    auto second = start_sync();
    EXPECT_TRUE(second->output_contains("Database change stream started..."));
    EXPECT_FALSE(second->output_contains("Copying collection")) << second->output();
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << second->output();
    EXPECT_EQ(second->terminate(), 0) << second->output();
}

TEST_F(CrashResumeReplicationTest, SigtermSavesTheCheckpointAndExitsZero) {
    start_servers("4.4");
    insert_range("users", 0, 10);
    auto sync = start_sync();
    const Bson before = saved_token();
    churn("users", 0);
    std::string report;
    ASSERT_TRUE(converges(&report)) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
    EXPECT_TRUE(sync->output_contains("checkpoint saved")) << sync->output();
    const Bson after = saved_token();
    ASSERT_TRUE(after.has("_data")) << sync->output();
    EXPECT_NE(after.json(), before.json());
}

TEST_F(CrashResumeReplicationTest, LostHistoryExitsWith4AndSaysHowToRecover) {
    SKIP_UNLESS_OWN_SERVERS("a 1 MiB oplog");
    start_servers("4.4", {"--oplog-size-mb", "1"});
    insert_range("users", 0, 10);
    {
        auto first = start_sync();
        churn("users", 0);
        ASSERT_TRUE(eventually([&] { return saved_token().has("_data"); })) << first->output();
        EXPECT_EQ(first->terminate(), 0) << first->output();
    }
    // While tributary is down the 1 MB oplog rolls over past the checkpoint.
    const std::string pad(100 * 1024, 'x');
    for (int i = 0; i < 40; ++i)
        source_command(R"({"insert": "fill", "documents": [{"pad": ")" + pad + R"("}]})");
    std::string output;
    EXPECT_EQ(TributaryProcess::run(sync_args(), &output), 4) << output;
    EXPECT_NE(output.find("no longer holds the change history"), std::string::npos) << output;
    EXPECT_NE(output.find("--on-history-lost resync"), std::string::npos) << output;

    // The recovery the message names: recopy, then replicate again.
    auto resync = start_sync({"--on-history-lost", "resync"});
    insert_range("users", 10, 5);
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << resync->output();
    EXPECT_TRUE(resync->output_contains("recopying")) << resync->output();
    EXPECT_EQ(resync->terminate(), 0) << resync->output();
}

}  // namespace
