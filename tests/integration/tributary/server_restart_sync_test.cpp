// End to end through `tributary sync`: the source or the destination (testmongod --dbpath)
// killed with SIGKILL and restarted on the same port under a running sync. The restarted source
// keeps its oplog, so tributary resumes its change stream from the saved token; the restarted
// destination keeps every acknowledged write. The destination ends equal to the source (the
// independent comparator judges), with nothing lost or applied twice.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "replicate_sync_fixture.h"

namespace {

using testsupport::ServerProcess;
using tributary_test::ReplicateSyncTest;

class ServerRestartSyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        ReplicateSyncTest::TearDown();
        for (const auto& dir : {source_dbpath_, dest_dbpath_})
            if (!dir.empty()) std::filesystem::remove_all(dir);
    }
    static std::filesystem::path new_dbpath() {
        auto dir = std::filesystem::temp_directory_path() / testsupport::unique_name("dbpath");
        std::filesystem::create_directories(dir);
        return dir;
    }
    // Both servers with --dbpath (the destination restarted so, on its port, before any write).
    void start_persistent_servers() {
        source_dbpath_ = new_dbpath();
        dest_dbpath_ = new_dbpath();
        start_servers("7.0", {"--dbpath", source_dbpath_.string()});
        dest_server_.process->stop();
        restart(dest_server_, dest_, dest_dbpath_);
    }
    // The server (7.0, `dbpath`) started again on its port; the test's own client starts
    // afresh (its pooled connection died with the server).
    static void restart(testsupport::TestServer& server,
                        std::unique_ptr<testsupport::Client>& client,
                        const std::filesystem::path& dbpath) {
        int port = server.process->port();
        server.process =
            ServerProcess::start({"--version-profile", "7.0", "--dbpath", dbpath.string()}, port);
        client = std::make_unique<testsupport::Client>(server.uri);
    }
    void kill_and_restart_source() {
        source_server_.process->kill();
        restart(source_server_, source_, source_dbpath_);
    }
    void kill_and_restart_destination() {
        dest_server_.process->kill();
        restart(dest_server_, dest_, dest_dbpath_);
    }
    // Inserts, updates and deletes in db_.c, for ids first..first+count-1.
    void mixed_writes(int first, int count) {
        insert_range("c", first, count);
        source_command(R"({"update": "c", "updates": [{"q": {"_id": )" + std::to_string(first) +
                       R"(}, "u": {"$inc": {"n": 1}}}]})");
        source_command(R"({"delete": "c", "deletes": [{"q": {"_id": )" + std::to_string(first + 1) +
                       R"(}, "limit": 1}]})");
    }

    // Syncs mixed writes, `restart`s a server with writes the sync has not read yet (they must
    // come from the restarted server's oplog, or be written again), writes more, and expects the
    // running sync to converge without exiting.
    std::unique_ptr<tributary_test::TributaryProcess> sync_across_a_restart(
        const std::function<void()>& restart) {
        start_persistent_servers();
        mixed_writes(0, 20);
        auto sync = start_sync();
        mixed_writes(100, 20);
        std::string report;
        EXPECT_TRUE(converges(&report)) << report << sync->output();
        mixed_writes(200, 20);
        restart();
        mixed_writes(300, 20);
        EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << sync->output();
        EXPECT_FALSE(sync->exit_code().has_value()) << sync->output();
        return sync;
    }

    std::filesystem::path source_dbpath_;
    std::filesystem::path dest_dbpath_;
};

TEST_F(ServerRestartSyncTest, SyncContinuesAfterTheSourceIsKilledAndRestarted) {
    SKIP_UNLESS_OWN_SERVERS("kills and restarts the source");
    auto sync = sync_across_a_restart([this] { kill_and_restart_source(); });
    EXPECT_TRUE(sync->output_contains("Change stream interrupted")) << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

TEST_F(ServerRestartSyncTest, SyncContinuesAfterTheDestinationIsKilledAndRestarted) {
    SKIP_UNLESS_OWN_SERVERS("kills and restarts the destination");
    auto sync = sync_across_a_restart([this] { kill_and_restart_destination(); });
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

}  // namespace
