// Integration test of --dbpath: collections, options, indexes, UUIDs and documents survive a
// clean restart of testmongod. Runs against testmongod only (it restarts the server).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using testsupport::Client;
using testsupport::ServerProcess;

std::string uuid_of(Client& client, const std::string& db, const std::string& coll) {
    auto result =
        client.run_command(db, R"({"listCollections": 1, "filter": {"name": ")" + coll + "\"}}");
    EXPECT_TRUE(result.ok) << result.error;
    return result.reply.document("cursor.firstBatch.0.info").json();
}

TEST(PersistenceTest, DataSurvivesCleanRestart) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "restarts testmongod itself";
    auto dir = std::filesystem::temp_directory_path() / testsupport::unique_name("tmd_dbpath");
    std::filesystem::create_directories(dir);
    std::string uuid;
    {
        ServerProcess server = ServerProcess::start({"--dbpath", dir.string()});
        {
            Client client(server.uri());
            ASSERT_TRUE(
                client.run_command("p", R"({"create": "capped", "capped": true, "size": 4096})")
                    .ok);
            ASSERT_TRUE(
                client
                    .run_command(
                        "p", R"({"insert": "c", "documents": [{"_id": 1, "a": "x"}, {"_id": 2}]})")
                    .ok);
            ASSERT_TRUE(
                client
                    .run_command(
                        "p",
                        R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "unique": true}]})")
                    .ok);
            uuid = uuid_of(client, "p", "c");
        }
        EXPECT_EQ(server.stop(), 0);
    }
    ServerProcess server = ServerProcess::start({"--dbpath", dir.string()});
    {
        Client client(server.uri());
        auto count = client.run_command("p", R"({"count": "c"})");
        ASSERT_TRUE(count.ok) << count.error;
        EXPECT_EQ(count.reply.number("n"), 2);
        EXPECT_EQ(uuid_of(client, "p", "c"), uuid);
        auto indexes = client.run_command("p", R"({"listIndexes": "c"})");
        EXPECT_EQ(indexes.reply.string("cursor.firstBatch.1.name"), "a_1");
        auto dup = client.run_command("p", R"({"insert": "c", "documents": [{"a": "x"}]})");
        EXPECT_EQ(dup.reply.number("writeErrors.0.code"), 11000);
        auto capped =
            client.run_command("p", R"({"listCollections": 1, "filter": {"name": "capped"}})");
        EXPECT_TRUE(capped.reply.boolean("cursor.firstBatch.0.options.capped"));
    }
    server.stop();
    std::filesystem::remove_all(dir);
}

}  // namespace
