// Integration tests of testmongod's index commands: createIndexes (unique, compound, sparse,
// partial, TTL, prepareUnique), listIndexes, dropIndexes, collMod's index conversions, and
// unique enforcement on writes.
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

// mongod (index_key_validate.cpp) refuses partialFilterExpression only with sparse: true.
TEST_F(IndexTest, SparseFalseIsAcceptedWithAPartialFilter) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "sparse": false,
                                              "partialFilterExpression": {"a": {"$gt": 1}}}]})");
    EXPECT_EQ(first_batch(ok(R"({"listIndexes": "c"})")).size(), 2u);
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

// Manual, "Convert an Existing Index to a Unique Index" and jstests
// core/ddl/index_prepareUnique.js: a prepareUnique index refuses writes that add a duplicate key
// but keeps the existing duplicates.
TEST_F(IndexTest, PrepareUniqueIndexRefusesNewDuplicatesAndKeepsExistingOnes) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 1}]})");
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "prepareUnique": true}]})");
    EXPECT_TRUE(first_batch(ok(R"({"listIndexes": "c"})"))[1].boolean("prepareUnique"));
    fails(
        R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "prepareUnique": false}]})",
        85);
    Bson dup = ok(R"({"insert": "c", "documents": [{"_id": 3, "a": 1}, {"_id": 4, "a": 2}]})");
    EXPECT_EQ(dup.number("n"), 0);
    EXPECT_EQ(dup.number("writeErrors.0.code"), 11000);
    ok(R"({"insert": "c", "documents": [{"_id": 4, "a": 2}]})");
    // An existing duplicate may be updated as long as its key stays the same...
    EXPECT_EQ(ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"b": 1}}}]})")
                  .number("nModified"),
              1);
    // ...but not moved onto another existing key.
    Bson moved = ok(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$set": {"a": 2}}}]})");
    EXPECT_EQ(moved.number("writeErrors.0.code"), 11000);
}

// Manual, collMod "Convert an Existing Index to a Unique Index" (6.0+): prepareUnique first, then
// unique: true, which fails with CannotConvertIndexToUnique while documents share a key.
TEST_F(IndexTest, CollModConvertsAPreparedIndexToUnique) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 1}, {"_id": 3, "a": 2}]})");
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
    fails(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "unique": true}})", 72);
    Bson prepared =
        ok(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "prepareUnique": true}})");
    EXPECT_FALSE(prepared.boolean("prepareUnique_old"));
    EXPECT_TRUE(prepared.boolean("prepareUnique_new"));
    EXPECT_EQ(
        ok(R"({"insert": "c", "documents": [{"_id": 4, "a": 1}]})").number("writeErrors.0.code"),
        11000);

    CommandResult refused =
        run(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "unique": true}})");
    EXPECT_FALSE(refused.ok);
    EXPECT_EQ(refused.code, 359);
    EXPECT_EQ(refused.reply.string("codeName"), "CannotConvertIndexToUnique");
    EXPECT_EQ(refused.reply.document("violations").json(), R"({ "0" : { "ids" : [ 1, 2 ] } })");
    CommandResult dry_run = run(
        R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "unique": true}, "dryRun": true})");
    EXPECT_EQ(dry_run.code, 359);

    ok(R"({"delete": "c", "deletes": [{"q": {"_id": 2}, "limit": 1}]})");
    ok(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "unique": true}, "dryRun": true})");
    EXPECT_FALSE(first_batch(ok(R"({"listIndexes": "c"})"))[1].has("unique"));
    Bson converted = ok(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "unique": true}})");
    EXPECT_TRUE(converted.boolean("unique_new"));
    Bson spec = first_batch(ok(R"({"listIndexes": "c"})"))[1];
    EXPECT_TRUE(spec.boolean("unique"));
    EXPECT_FALSE(spec.has("prepareUnique"));
    Bson dup = ok(R"({"insert": "c", "documents": [{"_id": 5, "a": 2}]})");
    EXPECT_EQ(dup.number("writeErrors.0.code"), 11000);
}

// jstests core/ddl/collmod_convert_to_unique_violations.js: one group of _ids per shared key.
TEST_F(IndexTest, CannotConvertIndexToUniqueListsEachGroupOfDuplicates) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 100, "b": 1}, {"_id": 2, "a": 100, "b": 2},
        {"_id": 3, "a": 101, "b": 1}, {"_id": 4, "a": 105, "b": 5}, {"_id": "x", "a": 105, "b": 5}]})");
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1, "b": 1}, "name": "ab"}]})");
    ok(R"({"collMod": "c", "index": {"name": "ab", "prepareUnique": true}})");
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
    ok(R"({"collMod": "c", "index": {"name": "a_1", "prepareUnique": true}})");
    CommandResult single = run(R"({"collMod": "c", "index": {"name": "a_1", "unique": true}})");
    EXPECT_EQ(single.reply.document("violations").json(),
              R"({ "0" : { "ids" : [ 1, 2 ] }, "1" : { "ids" : [ 4, "x" ] } })");
    CommandResult compound = run(R"({"collMod": "c", "index": {"name": "ab", "unique": true}})");
    EXPECT_EQ(compound.reply.document("violations").json(), R"({ "0" : { "ids" : [ 4, "x" ] } })");
}

// mongod: coll_mod.cpp parseCollModRequest and jstests
// core/ddl/collmod_convert_index_uniqueness.js.
TEST_F(IndexTest, CollModUniqueConversionOptionsAreValidated) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
    fails(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "unique": "100"}})", 14);
    fails(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "unique": false}})", 2);
    fails(
        R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "prepareUnique": true, "hidden": true}})",
        72);
    fails(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "hidden": true}, "dryRun": true})",
          72);
    fails(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "bogus": 1}})", 40415);
    fails(R"({"collMod": "missing", "index": {"keyPattern": {"a": 1}, "unique": true}})", 26);
    fails(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "forceNonUnique": false}})", 2);
    ok(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "prepareUnique": true}})");
    ok(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "unique": true}})");
    Bson back =
        ok(R"({"collMod": "c", "index": {"keyPattern": {"a": 1}, "forceNonUnique": true}})");
    EXPECT_TRUE(back.boolean("forceNonUnique_new"));
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 1}]})");
    EXPECT_FALSE(first_batch(ok(R"({"listIndexes": "c"})"))[1].has("unique"));
}

// Manual, "Atlas Search Database Commands": without Atlas (or an AtlasCLI local deployment) mongod
// 6.0.7+/7.0 refuses them with 31082 SearchNotEnabled.
TEST_F(IndexTest, SearchIndexCommandsNeedAtlas) {
    ok(R"({"create": "c"})");
    for (
        const char* command :
        {R"({"createSearchIndexes": "c", "indexes": [{"name": "s", "definition": {"mappings": {"dynamic": true}}}]})",
         R"({"dropSearchIndex": "c", "name": "s"})",
         R"({"updateSearchIndex": "c", "name": "s", "definition": {}})",
         R"({"aggregate": "c", "pipeline": [{"$listSearchIndexes": {}}], "cursor": {}})"}) {
        CommandResult result = run(command);
        EXPECT_EQ(result.code, 31082) << command << " -> " << result.error;
        EXPECT_EQ(result.reply.string("codeName"), "SearchNotEnabled");
    }
}

// 4.4 had no unique conversion: prepareUnique is an unknown index option there.
TEST(IndexProfileTest, PrepareUniqueIsUnknownBefore60) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "profiles are testmongod's";
    auto server = testsupport::ServerProcess::start({"--version-profile", "4.4"});
    testsupport::Client client(server.uri());
    auto created = client.run_command(
        "profiles",
        R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1", "prepareUnique": true}]})");
    EXPECT_EQ(created.code, 197) << created.error;
    ASSERT_TRUE(
        client
            .run_command("profiles",
                         R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})")
            .ok);
    auto modified = client.run_command(
        "profiles", R"({"collMod": "c", "index": {"name": "a_1", "prepareUnique": true}})");
    EXPECT_EQ(modified.code, 72) << modified.error;
}

}  // namespace
}  // namespace storagetest
