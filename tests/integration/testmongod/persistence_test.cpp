// Integration test of --dbpath: collections, options, indexes, UUIDs and documents survive a
// clean restart of testmongod, and acknowledged writes survive kill -9 (the journal). Runs
// against testmongod only (it restarts the server).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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

// Every acknowledged change before a SIGKILL is there after the restart: inserts, updates,
// deletes, collection creation with options, indexes, drops and an $out (temporary collection
// renamed over its target).
TEST(PersistenceTest, KillNineKeepsAcknowledgedWrites) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "kills testmongod itself";
    auto dir = std::filesystem::temp_directory_path() / testsupport::unique_name("tmd_journal");
    std::filesystem::create_directories(dir);
    auto must = [](Client& client, const std::string& json) {
        auto result = client.run_command("j", json);
        ASSERT_TRUE(result.ok) << json << " -> " << result.error;
    };
    {
        ServerProcess server = ServerProcess::start({"--dbpath", dir.string()});
        Client client(server.uri());
        must(client, R"({"create": "v", "validator": {"x": {"$type": "int"}}})");
        must(client, R"({"insert": "c", "documents": [{"_id": 1, "x": 1}, {"_id": 2, "x": 2},
                                                     {"_id": 3, "x": 3}]})");
        must(client,
             R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$set": {"x": 20}}}]})");
        must(client, R"({"delete": "c", "deletes": [{"q": {"_id": 3}, "limit": 1}]})");
        must(client, R"({"createIndexes": "c", "indexes": [{"key": {"x": 1}, "name": "x_1",
                                                           "unique": true}]})");
        must(client, R"({"insert": "gone", "documents": [{"_id": 1}]})");
        must(client, R"({"drop": "gone"})");
        must(client, R"({"aggregate": "c", "pipeline": [{"$out": "out"}], "cursor": {}})");
        server.kill();
    }
    ServerProcess server = ServerProcess::start({"--dbpath", dir.string()});
    Client client(server.uri());
    auto docs = client.run_command("j", R"({"find": "c", "sort": {"_id": 1}})");
    ASSERT_TRUE(docs.ok) << docs.error;
    EXPECT_EQ(docs.reply.number("cursor.firstBatch.0.x"), 1);
    EXPECT_EQ(docs.reply.number("cursor.firstBatch.1.x"), 20);
    EXPECT_FALSE(docs.reply.has("cursor.firstBatch.2"));
    auto dup = client.run_command("j", R"({"insert": "c", "documents": [{"x": 20}]})");
    EXPECT_EQ(dup.reply.number("writeErrors.0.code"), 11000);
    auto validator = client.run_command("j", R"({"insert": "v", "documents": [{"x": "s"}]})");
    EXPECT_EQ(validator.reply.number("writeErrors.0.code"), 121);
    auto names = client.run_command("j", R"({"listCollections": 1, "nameOnly": true,
                                             "filter": {"name": "gone"}})");
    EXPECT_FALSE(names.reply.has("cursor.firstBatch.0"));
    auto out = client.run_command("j", R"({"count": "out"})");
    EXPECT_EQ(out.reply.number("n"), 2);
    auto out_indexes = client.run_command("j", R"({"listIndexes": "out"})");
    EXPECT_TRUE(out_indexes.ok) << out_indexes.error;
    server.stop();
    std::filesystem::remove_all(dir);
}

// A record cut short by the kill (never acknowledged) is dropped; the ones before it are kept.
TEST(PersistenceTest, TruncatedJournalRecordIsIgnored) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "kills testmongod itself";
    auto dir = std::filesystem::temp_directory_path() / testsupport::unique_name("tmd_journal");
    std::filesystem::create_directories(dir);
    {
        ServerProcess server = ServerProcess::start({"--dbpath", dir.string()});
        Client client(server.uri());
        ASSERT_TRUE(client.run_command("t", R"({"insert": "c", "documents": [{"_id": 1}]})").ok);
        server.kill();
    }
    {
        std::ofstream journal(dir / "journal", std::ios::binary | std::ios::app);
        const char partial[] = {100, 0, 0, 0, 16, 'k', 0};  // declares 100 bytes, holds 7
        journal.write(partial, sizeof partial);
    }
    ServerProcess server = ServerProcess::start({"--dbpath", dir.string()});
    Client client(server.uri());
    auto count = client.run_command("t", R"({"count": "c"})");
    ASSERT_TRUE(count.ok) << count.error;
    EXPECT_EQ(count.reply.number("n"), 1);
    server.stop();
    std::filesystem::remove_all(dir);
}

}  // namespace
