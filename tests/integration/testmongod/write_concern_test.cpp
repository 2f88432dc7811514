// Integration tests of write concern on testmongod's one-node replica set (manual, "Write
// Concern"; mongod: src/mongo/db/write_concern.cpp): the write is applied, and a write concern no
// member set can satisfy is reported in a writeConcernError of an otherwise ok reply.
#include <chrono>

#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class WriteConcernTest : public StorageTest {};

TEST_F(WriteConcernTest, MoreNodesThanTheSetHasIsUnsatisfiableAfterTheWrite) {
    Bson reply = ok(R"({"insert": "c", "documents": [{"_id": 1}], "writeConcern": {"w": 30}})");
    EXPECT_EQ(reply.number("n"), 1);
    EXPECT_EQ(reply.number("writeConcernError.code"), 100) << reply.json();
    EXPECT_EQ(reply.string("writeConcernError.codeName"), "UnsatisfiableWriteConcern");
    EXPECT_EQ(reply.string("writeConcernError.errmsg"), "Not enough data-bearing nodes");
    EXPECT_EQ(find("c").size(), 1u);
}

TEST_F(WriteConcernTest, UnknownTagIsReportedAsUnknownReplWriteConcern) {
    Bson reply =
        ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"a": 1}, "upsert": true}],
                        "writeConcern": {"w": "noSuchTag"}})");
    EXPECT_EQ(reply.number("n"), 1);
    EXPECT_EQ(reply.number("writeConcernError.code"), 79) << reply.json();
    EXPECT_EQ(reply.string("writeConcernError.errmsg"),
              "No write concern mode named 'noSuchTag' found in replica set configuration");
}

TEST_F(WriteConcernTest, WtimeoutDoesNotDelayAnUnsatisfiableWriteConcern) {
    auto start = std::chrono::steady_clock::now();
    Bson reply = ok(R"({"delete": "c", "deletes": [{"q": {}, "limit": 0}],
                        "writeConcern": {"w": 30, "wtimeout": 60000}})");
    EXPECT_EQ(reply.number("writeConcernError.code"), 100);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(WriteConcernTest, SatisfiableWriteConcernsAreAcknowledgedWithoutError) {
    for (const char* concern : {R"({"w": 1})", R"({"w": "majority", "wtimeout": 1})",
                                R"({"w": 1, "j": true})", R"({"j": false})"}) {
        Bson reply = ok(std::string(R"({"insert": "c", "documents": [{}], "writeConcern": )") +
                        concern + "}");
        EXPECT_FALSE(reply.has("writeConcernError")) << concern << " -> " << reply.json();
    }
    Bson created = ok(R"({"create": "d", "writeConcern": {"w": "majority"}})");
    EXPECT_FALSE(created.has("writeConcernError"));
    Bson dropped = ok(R"({"drop": "d", "writeConcern": {"w": 30}})");
    EXPECT_EQ(dropped.number("writeConcernError.code"), 100);
}

// mongod's validateWriteConcern on a standalone: "cannot use 'w' > 1 on a standalone".
TEST(WriteConcernStandaloneTest, MoreThanOneNodeFailsTheCommandOnAStandalone) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "needs a testmongod standalone";
    auto server = testsupport::ServerProcess::start({"--replset", ""});
    testsupport::Client client("mongodb://127.0.0.1:" + std::to_string(server.port()) + "/");
    auto result = client.run_command(
        "wc", R"({"insert": "c", "documents": [{"_id": 1}], "writeConcern": {"w": 2}})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 2) << result.error;
}

}  // namespace
}  // namespace storagetest
