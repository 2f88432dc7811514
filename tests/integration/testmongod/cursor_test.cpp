// Integration: cursors opened by find survive across client connections; getMore batches,
// killCursors results, and getMore errors (CursorNotFound, wrong namespace, maxTimeMS on a
// non-awaitData cursor) are as mongod replies.
#include <gtest/gtest.h>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using testsupport::Bson;
using testsupport::Client;

class CursorTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string insert = R"({"insert": "items", "documents": [)";
        for (int i = 0; i < 10; ++i)
            insert += (i ? "," : "") + std::string(R"({"_id": )") + std::to_string(i) + "}";
        auto result = first_.run_command(db_, insert + "]}");
        ASSERT_TRUE(result.ok) << result.error;
    }
    void TearDown() override { first_.run_command(db_, R"({"dropDatabase": 1})"); }

    // Opens a find cursor with batchSize 3 on the first connection; returns its id.
    int64_t open_cursor() {
        auto result =
            first_.run_command(db_, R"({"find": "items", "batchSize": 3, "sort": {"_id": 1}})");
        EXPECT_TRUE(result.ok) << result.error;
        EXPECT_TRUE(result.reply.has("cursor.firstBatch.2"));
        EXPECT_FALSE(result.reply.has("cursor.firstBatch.3"));
        return result.reply.number("cursor.id");
    }

    std::string get_more(int64_t id, const std::string& collection, const std::string& extra = "") {
        return R"({"getMore": {"$numberLong": ")" + std::to_string(id) + R"("}, "collection": ")" +
               collection + "\"" + extra + "}";
    }

    testsupport::TestServer server_ = testsupport::source_uri_or_start();
    std::string db_ = testsupport::unique_name("cursor");
    Client first_{server_.uri};
    Client second_{server_.uri};
};

TEST_F(CursorTest, GetMoreFromAnotherConnectionContinuesTheCursor) {
    int64_t id = open_cursor();
    ASSERT_NE(id, 0);
    auto result = second_.run_command(db_, get_more(id, "items", R"(, "batchSize": 4)"));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.reply.number("cursor.nextBatch.0._id"), 3);
    EXPECT_TRUE(result.reply.has("cursor.nextBatch.3"));
    EXPECT_FALSE(result.reply.has("cursor.nextBatch.4"));
    EXPECT_EQ(result.reply.number("cursor.id"), id);
    EXPECT_EQ(result.reply.string("cursor.ns"), db_ + ".items");
}

TEST_F(CursorTest, ExhaustedCursorReportsIdZeroAndIsGone) {
    int64_t id = open_cursor();
    auto result = second_.run_command(db_, get_more(id, "items"));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.reply.number("cursor.id"), 0);
    EXPECT_EQ(result.reply.number("cursor.nextBatch.6._id"), 9);
    auto again = first_.run_command(db_, get_more(id, "items"));
    EXPECT_EQ(again.code, 43);
}

TEST_F(CursorTest, KillCursorsReportsKilledAndNotFound) {
    int64_t id = open_cursor();
    std::string ids =
        R"([{"$numberLong": ")" + std::to_string(id) + R"("}, {"$numberLong": "12345"}])";
    auto result = second_.run_command(db_, R"({"killCursors": "items", "cursors": )" + ids + "}");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.reply.number("cursorsKilled.0"), id);
    EXPECT_EQ(result.reply.number("cursorsNotFound.0"), 12345);
    EXPECT_TRUE(result.reply.has("cursorsAlive"));
    EXPECT_TRUE(result.reply.has("cursorsUnknown"));
    auto after = first_.run_command(db_, get_more(id, "items"));
    EXPECT_EQ(after.code, 43);
    EXPECT_NE(after.error.find("cursor id " + std::to_string(id) + " not found"), std::string::npos)
        << after.error;
}

TEST_F(CursorTest, GetMoreOnAnotherCollectionIsUnauthorized) {
    int64_t id = open_cursor();
    auto result = second_.run_command(db_, get_more(id, "other"));
    EXPECT_EQ(result.code, 13);
}

TEST_F(CursorTest, MaxTimeMsOnANonAwaitDataCursorIsBadValue) {
    int64_t id = open_cursor();
    auto result = second_.run_command(db_, get_more(id, "items", R"(, "maxTimeMS": 100)"));
    EXPECT_EQ(result.code, 2);
}

TEST_F(CursorTest, GetMoreWithoutCollectionFailsToParse) {
    auto result = first_.run_command(db_, R"({"getMore": {"$numberLong": "1"}})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 40414);
}

TEST_F(CursorTest, FindWithBatchSizeZeroReturnsAnEmptyFirstBatchAndAnOpenCursor) {
    auto result = first_.run_command(db_, R"({"find": "items", "batchSize": 0})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_FALSE(result.reply.has("cursor.firstBatch.0"));
    EXPECT_NE(result.reply.number("cursor.id"), 0);
}

}  // namespace
