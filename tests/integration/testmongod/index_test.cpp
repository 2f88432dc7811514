// Integration tests of testmongod's index commands: createIndexes (unique, compound, sparse,
// partial, TTL option), listIndexes, dropIndexes, and unique enforcement on writes.
#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class IndexTest : public StorageTest {};

TEST_F(IndexTest, CreateIndexesCreatesCollectionAndListsSpecs) {
    Bson reply = ok(R"({"createIndexes": "c", "indexes": [
        {"key": {"a": 1, "b": -1}, "name": "a_1_b_-1"},
        {"key": {"t": 1}, "name": "ttl", "expireAfterSeconds": 60}]})");
    EXPECT_EQ(reply.number("numIndexesBefore"), 1);
    EXPECT_EQ(reply.number("numIndexesAfter"), 3);
    EXPECT_TRUE(reply.boolean("createdCollectionAutomatically"));
    auto specs = first_batch(ok(R"({"listIndexes": "c"})"));
    ASSERT_EQ(specs.size(), 3u);
    EXPECT_EQ(specs[0].string("name"), "_id_");
    EXPECT_EQ(specs[1].number("v"), 2);
    EXPECT_EQ(specs[1].number("key.b"), -1);
    EXPECT_EQ(specs[2].number("expireAfterSeconds"), 60);
}

TEST_F(IndexTest, SameIndexAgainReportsAllIndexesExist) {
    std::string create = R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})";
    ok(create);
    Bson again = ok(create);
    EXPECT_EQ(again.string("note"), "all indexes already exist");
    EXPECT_EQ(again.number("numIndexesAfter"), 2);
}

TEST_F(IndexTest, ConflictingIndexesAreRejected) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
    fails(
        R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "unique": true}]})",
        85);
    fails(R"({"createIndexes": "c", "indexes": [{"key": {"b": 1}, "name": "a_1"}]})", 86);
    fails(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "other"}]})", 85);
}

TEST_F(IndexTest, UniqueIndexRejectsDuplicateInsert) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "unique": true}]})");
    Bson reply = ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 1}]})");
    EXPECT_EQ(reply.number("n"), 1);
    EXPECT_EQ(reply.number("writeErrors.0.code"), 11000);
    EXPECT_EQ(reply.number("writeErrors.0.keyPattern.a"), 1);
    EXPECT_NE(reply.string("writeErrors.0.errmsg").find("index: a_1 dup key: { a: 1 }"),
              std::string::npos);
}

TEST_F(IndexTest, UniqueIndexTreatsMissingAsNull) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "unique": true}]})");
    Bson reply = ok(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 2, "a": null}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 11000);
}

TEST_F(IndexTest, UniqueCompoundIndexComparesWholeKey) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1, "b": 1}, "name": "ab", "unique": true}]})");
    Bson reply = ok(R"({"insert": "c", "ordered": false,
        "documents": [{"a": 1, "b": 1}, {"a": 1, "b": 2}, {"a": 1, "b": 1}]})");
    EXPECT_EQ(reply.number("n"), 2);
    EXPECT_EQ(reply.number("writeErrors.0.index"), 2);
}

TEST_F(IndexTest, SparseAndPartialUniqueIndexesSkipExcludedDocuments) {
    ok(R"({"createIndexes": "c", "indexes": [
        {"key": {"s": 1}, "name": "s_1", "unique": true, "sparse": true},
        {"key": {"p": 1}, "name": "p_1", "unique": true,
         "partialFilterExpression": {"p": {"$gt": 10}}}]})");
    Bson reply = ok(R"({"insert": "c", "documents": [{"p": 1}, {"p": 1}, {"p": 11}]})");
    EXPECT_EQ(reply.number("n"), 3);
    EXPECT_FALSE(reply.has("writeErrors"));
    Bson dup = ok(R"({"insert": "c", "documents": [{"p": 11}]})");
    EXPECT_EQ(dup.number("writeErrors.0.code"), 11000);
}

TEST_F(IndexTest, BuildingUniqueIndexOverDuplicatesFails) {
    ok(R"({"insert": "c", "documents": [{"a": 1}, {"a": 1}]})");
    fails(
        R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "unique": true}]})",
        11000);
    EXPECT_EQ(first_batch(ok(R"({"listIndexes": "c"})")).size(), 1u);
}

TEST_F(IndexTest, DropIndexesByNameKeyAndWildcard) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"},
        {"key": {"b": 1}, "name": "b_1"}, {"key": {"c": 1}, "name": "c_1"}]})");
    EXPECT_EQ(ok(R"({"dropIndexes": "c", "index": "a_1"})").number("nIndexesWas"), 4);
    ok(R"({"dropIndexes": "c", "index": {"b": 1}})");
    ok(R"({"dropIndexes": "c", "index": "*"})");
    EXPECT_EQ(first_batch(ok(R"({"listIndexes": "c"})")).size(), 1u);
}

TEST_F(IndexTest, DropIndexesErrors) {
    ok(R"({"create": "c"})");
    fails(R"({"dropIndexes": "c", "index": "nope"})", 27);
    fails(R"({"dropIndexes": "c", "index": "_id_"})", 72);
    fails(R"({"dropIndexes": "missing", "index": "*"})", 26);
}

TEST_F(IndexTest, ListIndexesOfMissingCollectionFails) {
    fails(R"({"listIndexes": "missing"})", 26);
}

TEST_F(IndexTest, InvalidSpecsAreRejected) {
    fails(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a", "bogus": 1}]})",
          197);
    fails(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a", "sparse": true,
                                                  "partialFilterExpression": {"a": 1}}]})",
          67);
}

TEST_F(IndexTest, CollModChangesExpireAfterSeconds) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"t": 1}, "name": "t_1", "expireAfterSeconds": 10}]})");
    Bson reply = ok(R"({"collMod": "c", "index": {"name": "t_1", "expireAfterSeconds": 20}})");
    EXPECT_EQ(reply.number("expireAfterSeconds_old"), 10);
    EXPECT_EQ(reply.number("expireAfterSeconds_new"), 20);
    auto specs = first_batch(ok(R"({"listIndexes": "c"})"));
    EXPECT_EQ(specs[1].number("expireAfterSeconds"), 20);
}

TEST_F(IndexTest, FindAndModifyDuplicateKeyCarriesKeyPatternAndValue) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"x": 1}, "name": "x_1", "unique": true}]})");
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": "foo"}]})");
    CommandResult result = run(R"({"findAndModify": "c", "query": {"_id": 2},
                                   "update": {"$set": {"x": "foo"}}, "upsert": true})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 11000);
    EXPECT_EQ(result.reply.number("keyPattern.x"), 1);
    EXPECT_EQ(result.reply.string("keyValue.x"), "foo");
}

}  // namespace
}  // namespace storagetest
