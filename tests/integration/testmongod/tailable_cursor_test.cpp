// Integration tests of tailable cursors on capped collections (manual, "Tailable Cursors" and the
// find command's tailable/awaitData options): a tailable cursor stays open at the end of the
// collection and returns later inserts; with awaitData a getMore waits up to its maxTimeMS.
#include <thread>

#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class TailableCursorTest : public StorageTest {
  protected:
    void SetUp() override {
        StorageTest::SetUp();
        ok(R"({"create": "log", "capped": true, "size": 100000, "max": 3})");
        ok(R"({"insert": "log", "documents": [{"_id": 1}]})");
    }
    // Opens a tailable cursor on log; returns its id as extended JSON.
    std::string tail(const std::string& options) {
        Bson reply = ok(R"({"find": "log", "tailable": true)" + options + "}");
        EXPECT_EQ(first_batch(reply).size(), 1u) << reply.json();
        EXPECT_NE(reply.number("cursor.id"), 0);
        return R"({"$numberLong": ")" + std::to_string(reply.number("cursor.id")) + R"("})";
    }
    static std::string get_more(const std::string& id, const std::string& extra = "") {
        return R"({"getMore": )" + id + R"(, "collection": "log")" + extra + "}";
    }
    static std::vector<Bson> next_batch(const Bson& reply) {
        Bson wrapped = Bson::from_json(R"({"cursor": {"firstBatch": )" +
                                       reply.document("cursor.nextBatch").json() + "}}");
        return first_batch(wrapped);
    }
};

TEST_F(TailableCursorTest, TailableCursorStaysOpenAndReturnsLaterInserts) {
    std::string id = tail("");
    Bson empty = ok(get_more(id));
    EXPECT_TRUE(next_batch(empty).empty());
    EXPECT_NE(empty.number("cursor.id"), 0);
    ok(R"({"insert": "log", "documents": [{"_id": 2}, {"_id": 3}]})");
    auto docs = next_batch(ok(get_more(id)));
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0].number("_id"), 2);
    EXPECT_EQ(docs[1].number("_id"), 3);
}

TEST_F(TailableCursorTest, AwaitDataGetMoreReturnsAnInsertMadeWhileItWaits) {
    std::string id = tail(R"(, "awaitData": true)");
    testsupport::CommandResult waited;
    std::thread waiter([&] {
        testsupport::Client other(server_->uri);
        waited = other.run_command(db_, get_more(id, R"(, "maxTimeMS": 20000)"));
    });
    ok(R"({"insert": "log", "documents": [{"_id": 2}]})");
    waiter.join();
    ASSERT_TRUE(waited.ok) << waited.error;
    auto docs = next_batch(waited.reply);
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("_id"), 2);
    // Nothing new: the getMore returns an empty batch after maxTimeMS, the cursor stays open.
    Bson empty = ok(get_more(id, R"(, "maxTimeMS": 50)"));
    EXPECT_TRUE(next_batch(empty).empty());
    EXPECT_NE(empty.number("cursor.id"), 0);
}

TEST_F(TailableCursorTest, FilterAppliesToLaterInserts) {
    Bson reply = ok(R"({"find": "log", "tailable": true, "filter": {"keep": true}})");
    EXPECT_TRUE(first_batch(reply).empty());
    std::string id = R"({"$numberLong": ")" + std::to_string(reply.number("cursor.id")) + R"("})";
    ok(R"({"insert": "log", "documents": [{"_id": 2}, {"_id": 3, "keep": true}]})");
    auto docs = next_batch(ok(get_more(id)));
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("_id"), 3);
}

// mongod's collection scan loses its place when the capped collection deletes the next document
// it would read (CappedPositionLost).
TEST_F(TailableCursorTest, RolloverPastTheCursorIsCappedPositionLost) {
    std::string id = tail("");
    ok(R"({"insert": "log", "documents": [{"_id": 2}, {"_id": 3}, {"_id": 4}, {"_id": 5}]})");
    CommandResult lost = run(get_more(id));
    EXPECT_EQ(lost.code, 136) << lost.reply.json();
}

TEST_F(TailableCursorTest, TailableOptionsAreValidatedAsMongodDoes) {
    ok(R"({"create": "plain"})");
    fails(R"({"find": "plain", "tailable": true})", 2);
    fails(R"({"find": "log", "awaitData": true})", 9);
    fails(R"({"find": "log", "tailable": true, "singleBatch": true})", 2);
    fails(R"({"find": "log", "tailable": true, "sort": {"_id": 1}})", 2);
    fails(R"({"getMore": {"$numberLong": "1"}, "collection": "log", "bogus": 1})", 40415);
}

}  // namespace
}  // namespace storagetest
