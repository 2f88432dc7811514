// Integration tests of testmongod's aggregate command: pipelines over collections and views,
// cursor batching, $out and $merge writing into collections, and its argument errors.
#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class AggregateTest : public StorageTest {
  protected:
    void SetUp() override {
        StorageTest::SetUp();
        ok(R"({"insert": "c", "documents": [{"_id": 1, "g": "a", "v": 1}, {"_id": 2, "g": "b", "v": 2},
                                            {"_id": 3, "g": "a", "v": 3}]})");
    }
};

TEST_F(AggregateTest, GroupsAndSorts) {
    Bson reply = ok(R"({"aggregate": "c", "cursor": {}, "pipeline": [
        {"$group": {"_id": "$g", "total": {"$sum": "$v"}}}, {"$sort": {"_id": 1}}]})");
    auto docs = first_batch(reply);
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0].json(), R"({ "_id" : "a", "total" : 4 })");
    EXPECT_EQ(reply.string("cursor.ns"), db_ + ".c");
}

TEST_F(AggregateTest, HonoursCursorBatchSize) {
    Bson reply = ok(R"({"aggregate": "c", "cursor": {"batchSize": 1}, "pipeline": []})");
    EXPECT_EQ(first_batch(reply).size(), 1u);
    EXPECT_NE(reply.number("cursor.id"), 0);
}

TEST_F(AggregateTest, RunsOverViews) {
    ok(R"({"create": "v", "viewOn": "c", "pipeline": [{"$match": {"g": "a"}}]})");
    auto docs =
        first_batch(ok(R"({"aggregate": "v", "cursor": {}, "pipeline": [{"$count": "n"}]})"));
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("n"), 2);
}

TEST_F(AggregateTest, OutReplacesTargetCollection) {
    ok(R"({"insert": "out", "documents": [{"_id": 99}]})");
    ok(R"({"aggregate": "c", "cursor": {}, "pipeline": [{"$match": {"g": "a"}}, {"$out": "out"}]})");
    auto docs = find("out");
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0].number("_id"), 1);
    EXPECT_EQ(docs[1].number("_id"), 3);
}

TEST_F(AggregateTest, MergeUpdatesMatchingAndInsertsNew) {
    ok(R"({"insert": "m", "documents": [{"_id": 1, "keep": true, "v": 0}]})");
    ok(R"({"aggregate": "c", "cursor": {}, "pipeline": [{"$merge": {"into": "m"}}]})");
    auto docs = find("m", "{}", R"({"sort": {"_id": 1}})");
    ASSERT_EQ(docs.size(), 3u);
    EXPECT_TRUE(docs[0].boolean("keep"));
    EXPECT_EQ(docs[0].number("v"), 1);
}

TEST_F(AggregateTest, MergeWithoutUniqueIndexOnFieldsFails) {
    fails(R"({"aggregate": "c", "cursor": {}, "pipeline": [{"$merge": {"into": "m", "on": "g"}}]})",
          51183);
}

TEST_F(AggregateTest, CursorOptionIsRequired) {
    fails(R"({"aggregate": "c", "pipeline": []})", 9);
}

TEST_F(AggregateTest, UnknownStageIsRejected) {
    fails(R"({"aggregate": "c", "cursor": {}, "pipeline": [{"$bogus": {}}]})", 40324);
}

// {aggregate: 1}: collection-agnostic pipelines
// (https://www.mongodb.com/docs/manual/reference/command/aggregate/).
TEST_F(AggregateTest, DatabaseAggregateRunsDocumentsStage) {
    Bson reply = ok(R"({"aggregate": 1, "cursor": {}, "pipeline": [
        {"$documents": [{"a": 1}, {"a": 2}, {"a": 3}]}, {"$match": {"a": {"$gte": 2}}}]})");
    auto docs = first_batch(reply);
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0].json(), R"({ "a" : 2 })");
    EXPECT_EQ(reply.string("cursor.ns"), db_ + ".$cmd.aggregate");
}

TEST_F(AggregateTest, DatabaseAggregateOutWritesDocumentsStage) {
    ok(R"({"aggregate": 1, "cursor": {}, "pipeline": [
        {"$documents": [{"_id": 7}, {"_id": 8}]}, {"$out": "generated"}]})");
    EXPECT_EQ(find("generated").size(), 2u);
}

TEST_F(AggregateTest, DatabaseAggregateNeedsACollectionlessFirstStage) {
    fails(R"({"aggregate": 1, "cursor": {}, "pipeline": [{"$match": {}}]})", 73);
    fails(R"({"aggregate": 2, "cursor": {}, "pipeline": []})", 9);
}

TEST_F(AggregateTest, ListLocalSessionsIncludesTheCommandsSession) {
    Bson reply = ok(R"({"aggregate": 1, "cursor": {}, "pipeline": [{"$listLocalSessions": {}},
        {"$match": {"_id.id": {"$binary": {"base64": "3q2+7wAAQACAAAAAAAAAAQ==", "subType": "04"}}}}],
        "lsid": {"id": {"$binary": {"base64": "3q2+7wAAQACAAAAAAAAAAQ==", "subType": "04"}}}})");
    auto docs = first_batch(reply);
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_TRUE(docs[0].has("_id.uid"));
    EXPECT_TRUE(docs[0].has("lastUse"));
}

// $out/$merge refuse readConcern linearizable (InvalidOptions), as DocumentSourceOut does.
TEST_F(AggregateTest, OutRejectsLinearizableReadConcern) {
    fails(R"({"aggregate": "c", "cursor": {}, "pipeline": [{"$out": "o"}],
              "readConcern": {"level": "linearizable"}})",
          72);
    fails(R"({"aggregate": "c", "cursor": {}, "pipeline": [{"$merge": {"into": "o"}}],
              "readConcern": {"level": "linearizable"}})",
          72);
}

TEST_F(AggregateTest, MergeWhenMatchedFailReportsDuplicateKey) {
    ok(R"({"insert": "m", "documents": [{"_id": 2}]})");
    CommandResult result = run(R"({"aggregate": 1, "cursor": {}, "pipeline": [
        {"$documents": [{"_id": 2, "x": 1}]}, {"$merge": {"into": "m", "whenMatched": "fail"}}]})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 11000);
    EXPECT_EQ(result.reply.number("keyPattern._id"), 1);
    EXPECT_EQ(result.reply.number("keyValue._id"), 2);
}

}  // namespace
}  // namespace storagetest
