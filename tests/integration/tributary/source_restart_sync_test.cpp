// End to end through `tributary sync`: the source (testmongod --dbpath) killed with SIGKILL and
// restarted on the same port under a running sync. The restarted server keeps its oplog, so
// tributary resumes its change stream from the saved token and the destination ends equal to the
// source (the independent comparator judges), with nothing lost or applied twice.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "replicate_sync_fixture.h"

namespace {

using testsupport::ServerProcess;
using tributary_test::ReplicateSyncTest;

class SourceRestartSyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        ReplicateSyncTest::TearDown();
        if (!dbpath_.empty()) std::filesystem::remove_all(dbpath_);
    }
    std::vector<std::string> source_args() const {
        return {"--version-profile", "7.0", "--dbpath", dbpath_.string()};
    }
    void start_with_persistent_source() {
        dbpath_ = std::filesystem::temp_directory_path() / testsupport::unique_name("src_dbpath");
        std::filesystem::create_directories(dbpath_);
        start_servers("7.0", {"--dbpath", dbpath_.string()});
    }
    // kill -9, then the same server (same dbpath, same port) again; the test's own client
    // starts afresh (its pooled connection died with the server).
    void kill_and_restart_source() {
        int port = source_server_.process->port();
        source_server_.process->kill();
        source_server_.process = ServerProcess::start(source_args(), port);
        source_ = std::make_unique<testsupport::Client>(source_server_.uri);
    }
    // Inserts, updates and deletes in db_.c, for ids first..first+count-1.
    void mixed_writes(int first, int count) {
        insert_range("c", first, count);
        source_command(R"({"update": "c", "updates": [{"q": {"_id": )" + std::to_string(first) +
                       R"(}, "u": {"$inc": {"n": 1}}}]})");
        source_command(R"({"delete": "c", "deletes": [{"q": {"_id": )" + std::to_string(first + 1) +
                       R"(}, "limit": 1}]})");
    }

    std::filesystem::path dbpath_;
};

TEST_F(SourceRestartSyncTest, SyncContinuesAfterTheSourceIsKilledAndRestarted) {
    SKIP_UNLESS_OWN_SERVERS("kills and restarts the source");
    start_with_persistent_source();
    mixed_writes(0, 20);
    auto sync = start_sync();
    mixed_writes(100, 20);
    std::string report;
    ASSERT_TRUE(converges(&report)) << report << sync->output();

    // Changes the sync has not read yet when the source dies must come from the restarted
    // server's oplog.
    mixed_writes(200, 20);
    kill_and_restart_source();
    mixed_writes(300, 20);
    EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << sync->output();
    EXPECT_FALSE(sync->exit_code().has_value()) << sync->output();
    EXPECT_TRUE(sync->output_contains("Change stream interrupted")) << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

}  // namespace
