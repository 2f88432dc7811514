// Integration tests of testmongod's CRUD commands (insert, find, update, delete, findAndModify,
// count, distinct) through libmongoc, asserting MongoDB's documented replies and error codes.
#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class CrudTest : public StorageTest {};

TEST_F(CrudTest, InsertThenFindReturnsDocumentsInInsertionOrder) {
    Bson reply = ok(R"({"insert": "c", "documents": [{"_id": 3}, {"_id": 1}, {"_id": 2}]})");
    EXPECT_EQ(reply.number("n"), 3);
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 3u);
    EXPECT_EQ(docs[0].number("_id"), 3);
    EXPECT_EQ(docs[1].number("_id"), 1);
    EXPECT_EQ(docs[2].number("_id"), 2);
}

TEST_F(CrudTest, InsertGeneratesObjectIdAndPlacesItFirst) {
    ok(R"({"insert": "c", "documents": [{"a": 1}, {"b": 2, "_id": 7}]})");
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 2u);
    bson_iter_t iter;
    ASSERT_TRUE(bson_iter_init(&iter, docs[0].get()) && bson_iter_next(&iter));
    EXPECT_STREQ(bson_iter_key(&iter), "_id");
    EXPECT_EQ(bson_iter_type(&iter), BSON_TYPE_OID);
    ASSERT_TRUE(bson_iter_init(&iter, docs[1].get()) && bson_iter_next(&iter));
    EXPECT_STREQ(bson_iter_key(&iter), "_id");
}

TEST_F(CrudTest, OrderedInsertStopsAtDuplicateKeyWithKeyPatternAndValue) {
    Bson reply = ok(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 1}, {"_id": 2}]})");
    EXPECT_EQ(reply.number("n"), 1);
    EXPECT_EQ(reply.number("writeErrors.0.index"), 1);
    EXPECT_EQ(reply.number("writeErrors.0.code"), 11000);
    EXPECT_EQ(reply.number("writeErrors.0.keyPattern._id"), 1);
    EXPECT_EQ(reply.number("writeErrors.0.keyValue._id"), 1);
    EXPECT_NE(reply.string("writeErrors.0.errmsg")
                  .find("E11000 duplicate key error collection: " + db_ +
                        ".c index: _id_ dup key: { _id: 1 }"),
              std::string::npos)
        << reply.json();
}

TEST_F(CrudTest, UnorderedInsertContinuesAfterDuplicateKey) {
    Bson reply = ok(R"({"insert": "c", "ordered": false,
                        "documents": [{"_id": 1}, {"_id": 1}, {"_id": 2}, {"_id": 2}]})");
    EXPECT_EQ(reply.number("n"), 2);
    EXPECT_EQ(reply.number("writeErrors.0.index"), 1);
    EXPECT_EQ(reply.number("writeErrors.1.index"), 3);
}

TEST_F(CrudTest, InsertBatchBeyondMaxWriteBatchSizeFails) {
    std::string docs;
    for (int i = 0; i < 100001; ++i)
        docs += (i ? ",{}" : "{}");
    fails(R"({"insert": "c", "documents": [)" + docs + "]}", 16);
}

TEST_F(CrudTest, InsertIntoViewFails) {
    ok(R"({"create": "v", "viewOn": "c", "pipeline": []})");
    fails(R"({"insert": "v", "documents": [{"a": 1}]})", 166);
}

TEST_F(CrudTest, FindByIdRangeReturnsRangeInIdOrder) {
    std::string docs;
    for (int i = 99; i >= 0; --i)
        docs += (i == 99 ? "" : ",") + std::string(R"({"_id": )") + std::to_string(i) + "}";
    ok(R"({"insert": "c", "documents": [)" + docs + "]}");
    auto found = find("c", R"({"_id": {"$gte": 10, "$lt": 20}})", R"({"sort": {"_id": 1}})");
    ASSERT_EQ(found.size(), 10u);
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(found[i].number("_id"), 10 + i);
}

TEST_F(CrudTest, FindAppliesFilterSortProjectionSkipAndLimit) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 5, "b": 1}, {"_id": 2, "a": 3, "b": 1},
                                        {"_id": 3, "a": 9, "b": 1}, {"_id": 4, "a": 1, "b": 2}]})");
    Bson reply = ok(R"({"find": "c", "filter": {"b": 1}, "sort": {"a": -1},
                        "projection": {"a": 1, "_id": 0}, "skip": 1, "limit": 1})");
    auto docs = first_batch(reply);
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].json(), R"({ "a" : 5 })");
    EXPECT_EQ(reply.number("cursor.id"), 0);
}

TEST_F(CrudTest, FindFollowsGetMoreAcrossBatches) {
    std::string docs;
    for (int i = 0; i < 250; ++i)
        docs += (i ? "," : "") + std::string(R"({"_id": )") + std::to_string(i) + "}";
    ok(R"({"insert": "c", "documents": [)" + docs + "]}");
    Bson first = ok(R"({"find": "c", "batchSize": 100})");
    EXPECT_EQ(first_batch(first).size(), 100u);
    EXPECT_NE(first.number("cursor.id"), 0);
    EXPECT_EQ(first.string("cursor.ns"), db_ + ".c");
    EXPECT_EQ(find("c", "{}", R"({"batchSize": 7})").size(), 250u);
}

TEST_F(CrudTest, FindRejectsNegativeLimit) {
    fails(R"({"find": "c", "limit": -1})", 51024);
}

TEST_F(CrudTest, FindWithUnknownHintFails) {
    ok(R"({"insert": "c", "documents": [{"_id": 1}]})");
    CommandResult result = run(R"({"find": "c", "hint": "nope_1"})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 2);
    EXPECT_NE(result.error.find("hint provided does not correspond to an existing index"),
              std::string::npos);
}

TEST_F(CrudTest, FindWithMinMaxUsesHintedIndexBounds) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 2}, {"_id": 3, "a": 3}]})");
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
    auto docs = find("c", "{}", R"({"hint": "a_1", "min": {"a": 2}, "max": {"a": 3}})");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("_id"), 2);
    fails(R"({"find": "c", "min": {"a": 2}})", 51173);
}

// Manual, "find" command, returnKey: "If true, returns only the index keys in the resulting
// documents"; "If returnKey is true and the find command does not use an index, the returned
// documents will be empty." Here the _id index serves a filter on _id, a hint names a_1, and a
// filter on an unindexed field is a collection scan.
TEST_F(CrudTest, FindWithReturnKeyReturnsTheKeysOfTheIndexUsed) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 5, "b": "x"}, {"_id": 2, "b": "y"}]})");
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
    auto by_id = find("c", R"({"_id": 1})", R"({"returnKey": true})");
    ASSERT_EQ(by_id.size(), 1u);
    EXPECT_EQ(by_id[0].json(), Bson::from_json(R"({"_id": 1})").json());
    auto hinted = find("c", "{}", R"({"returnKey": true, "hint": "a_1", "sort": {"a": 1}})");
    ASSERT_EQ(hinted.size(), 2u);
    EXPECT_EQ(hinted[0].json(), Bson::from_json(R"({"a": null})").json());
    EXPECT_EQ(hinted[1].json(), Bson::from_json(R"({"a": 5})").json());
    auto scanned = find("c", R"({"b": "y"})", R"({"returnKey": true})");
    ASSERT_EQ(scanned.size(), 1u);
    EXPECT_EQ(scanned[0].json(), Bson::from_json("{}").json());
}

TEST_F(CrudTest, UpdateReportsMatchedAndModifiedCounts) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 1}, {"_id": 3, "a": 2}]})");
    Bson reply = ok(R"({"update": "c", "updates": [
        {"q": {"a": 1}, "u": {"$set": {"b": 1}}, "multi": true},
        {"q": {"_id": 3}, "u": {"$set": {"a": 2}}}]})");
    EXPECT_EQ(reply.number("n"), 3);
    EXPECT_EQ(reply.number("nModified"), 2);
    EXPECT_EQ(find("c", R"({"b": 1})").size(), 2u);
}

TEST_F(CrudTest, UpsertSeedsFromQueryAndReportsUpsertedId) {
    Bson reply = ok(R"({"update": "c", "updates": [
        {"q": {"_id": 5, "k": "x"}, "u": {"$set": {"v": 1}}, "upsert": true}]})");
    EXPECT_EQ(reply.number("n"), 1);
    EXPECT_EQ(reply.number("nModified"), 0);
    EXPECT_EQ(reply.number("upserted.0.index"), 0);
    EXPECT_EQ(reply.number("upserted.0._id"), 5);
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].json(), R"({ "_id" : 5, "k" : "x", "v" : 1 })");
}

TEST_F(CrudTest, UpsertWithoutIdGeneratesObjectId) {
    Bson reply = ok(
        R"({"update": "c", "updates": [{"q": {"k": 1}, "u": {"k": 1, "v": 2}, "upsert": true}]})");
    EXPECT_TRUE(reply.has("upserted.0._id"));
    EXPECT_EQ(find("c", R"({"v": 2})").size(), 1u);
}

TEST_F(CrudTest, ReplacementCannotChangeId) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}]})");
    Bson reply = ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"_id": 2, "a": 2}}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 66);
}

TEST_F(CrudTest, MultiReplacementIsRejected) {
    Bson reply = ok(R"({"update": "c", "updates": [{"q": {}, "u": {"a": 2}, "multi": true}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 9);
}

TEST_F(CrudTest, UpdateWithArrayFiltersChangesMatchingElements) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": [1, 5, 9]}]})");
    ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a.$[x]": 0}},
                                        "arrayFilters": [{"x": {"$gt": 4}}]}]})");
    EXPECT_EQ(find("c")[0].json(), R"({ "_id" : 1, "a" : [ 1, 0, 0 ] })");
}

TEST_F(CrudTest, UpdateViolatingUniqueIndexReportsDuplicateKey) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"u": 1}, "name": "u_1", "unique": true}]})");
    ok(R"({"insert": "c", "documents": [{"_id": 1, "u": 1}, {"_id": 2, "u": 2}]})");
    Bson reply = ok(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$set": {"u": 1}}}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 11000);
    EXPECT_EQ(reply.number("writeErrors.0.keyValue.u"), 1);
    EXPECT_EQ(find("c", R"({"_id": 2})")[0].number("u"), 2);
}

TEST_F(CrudTest, DeleteHonoursLimitOneAndZero) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 1}, {"_id": 3, "a": 1}]})");
    EXPECT_EQ(ok(R"({"delete": "c", "deletes": [{"q": {"a": 1}, "limit": 1}]})").number("n"), 1);
    EXPECT_EQ(ok(R"({"delete": "c", "deletes": [{"q": {"a": 1}, "limit": 0}]})").number("n"), 2);
    EXPECT_TRUE(find("c").empty());
}

TEST_F(CrudTest, DeleteLimitMustBeZeroOrOne) {
    Bson reply = ok(R"({"delete": "c", "deletes": [{"q": {}, "limit": 2}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 9);
}

TEST_F(CrudTest, FindAndModifyReturnsOldOrNewDocument) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "n": 1}]})");
    Bson old_doc =
        ok(R"({"findAndModify": "c", "query": {"_id": 1}, "update": {"$inc": {"n": 1}}})");
    EXPECT_EQ(old_doc.number("value.n"), 1);
    EXPECT_TRUE(old_doc.boolean("lastErrorObject.updatedExisting"));
    Bson new_doc = ok(R"({"findAndModify": "c", "query": {"_id": 1}, "update": {"$inc": {"n": 1}},
                          "new": true, "fields": {"_id": 0}})");
    EXPECT_EQ(new_doc.document("value").json(), R"({ "n" : 3 })");
}

TEST_F(CrudTest, FindAndModifyUpsertsAndRemoves) {
    Bson upserted = ok(R"({"findAndModify": "c", "query": {"_id": 9}, "update": {"$set": {"a": 1}},
                           "upsert": true, "new": true})");
    EXPECT_EQ(upserted.number("lastErrorObject.upserted"), 9);
    EXPECT_FALSE(upserted.boolean("lastErrorObject.updatedExisting"));
    EXPECT_EQ(upserted.number("value.a"), 1);
    Bson removed = ok(R"({"findAndModify": "c", "query": {"_id": 9}, "remove": true})");
    EXPECT_EQ(removed.number("lastErrorObject.n"), 1);
    EXPECT_EQ(removed.number("value._id"), 9);
    Bson missing = ok(R"({"findAndModify": "c", "query": {"_id": 9}, "remove": true})");
    EXPECT_EQ(missing.number("lastErrorObject.n"), 0);
}

TEST_F(CrudTest, FindAndModifyRejectsRemoveWithUpdate) {
    fails(R"({"findAndModify": "c", "query": {}, "remove": true, "update": {"$set": {"a": 1}}})",
          9);
    fails(R"({"findAndModify": "c", "query": {}})", 9);
}

TEST_F(CrudTest, CountAppliesQuerySkipAndLimit) {
    ok(R"({"insert": "c", "documents": [{"a": 1}, {"a": 1}, {"a": 1}, {"a": 2}]})");
    EXPECT_EQ(ok(R"({"count": "c"})").number("n"), 4);
    EXPECT_EQ(ok(R"({"count": "c", "query": {"a": 1}})").number("n"), 3);
    EXPECT_EQ(ok(R"({"count": "c", "query": {"a": 1}, "skip": 1, "limit": 1})").number("n"), 1);
    EXPECT_EQ(ok(R"({"count": "missing"})").number("n"), 0);
}

TEST_F(CrudTest, DistinctUnwindsArrayValues) {
    ok(R"({"insert": "c", "documents": [{"a": [1, 2]}, {"a": 2}, {"a": 3}, {"b": 1}]})");
    Bson reply = ok(R"({"distinct": "c", "key": "a", "query": {"a": {"$lt": 3}}})");
    EXPECT_EQ(reply.document("values").json(), R"({ "0" : 1, "1" : 2 })");
}

// mongod checks an update's pipeline stage names before any statement runs (the update command's
// authorization check reads each pipeline with LiteParsedPipeline, which refuses unknown stage
// names with 40324), so an unknown stage fails the whole command; a known stage that is not
// allowed in an update is a write error of its statement (InvalidOptions, PipelineExecutor).
TEST_F(CrudTest, UnknownStageInAnUpdatePipelineFailsTheCommand) {
    ok(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 2}]})");
    fails(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 1}}},
              {"q": {"_id": 2}, "u": [{"$bogus": {}}]}]})",
          40324);
    EXPECT_TRUE(find("c", R"({"a": 1})").empty());
    Bson reply = ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": [{"$match": {}}]}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 72) << reply.json();
}

TEST_F(CrudTest, FindOnViewRunsViewPipeline) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 2}, {"_id": 3, "a": 3}]})");
    ok(R"({"create": "v", "viewOn": "c", "pipeline": [{"$match": {"a": {"$gte": 2}}}]})");
    auto docs = find("v", R"({"a": {"$lt": 3}})");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("_id"), 2);
    EXPECT_EQ(ok(R"({"count": "v"})").number("n"), 2);
}

// Manual, "Field Names": 5.0+ stores top-level '$' field names; 4.4 refused them with BadValue.
TEST(CrudProfileTest, TopLevelDollarFieldNamesAreRefusedOnlyBefore50) {
    SKIP_UNLESS_OWN_SERVERS("profiles are testmongod's");
    for (auto [profile, accepted] : {std::pair{"4.4", false}, {"7.0", true}}) {
        auto server = testsupport::ServerProcess::start({"--version-profile", profile});
        testsupport::Client client(server.uri());
        auto result = client.run_command(
            "profiles", R"({"insert": "c", "documents": [{"_id": 1, "$price": 5}]})");
        ASSERT_TRUE(result.ok) << result.error;
        EXPECT_EQ(result.reply.number("n"), accepted ? 1 : 0) << profile;
        if (!accepted) {
            EXPECT_EQ(result.reply.number("writeErrors.0.code"), 2) << result.reply.json();
            EXPECT_NE(
                result.reply.json().find("Document can't have $ prefixed field names: $price"),
                std::string::npos)
                << result.reply.json();
        }
    }
}

// mongod 4.4 storage_validation.cpp: a stored document (here a replacement, also by upsert or
// findAndModify) may not hold '$'-prefixed names below the top level, except a DBRef's
// $ref/$id/$db; 5.0+ stores them (manual, "Field Names").
TEST(CrudProfileTest, NestedDollarNamesInReplacementsAreRefusedOnlyBefore50) {
    SKIP_UNLESS_OWN_SERVERS("profiles are testmongod's");
    for (auto [profile, accepted] : {std::pair{"4.4", false}, {"7.0", true}}) {
        auto server = testsupport::ServerProcess::start({"--version-profile", profile});
        testsupport::Client client(server.uri());
        auto run = [&](const char* command) { return client.run_command("profiles", command); };
        ASSERT_TRUE(run(R"({"insert": "c", "documents": [{"_id": 1}]})").ok);
        auto replaced =
            run(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"a": {"$x": 1}}}]})");
        ASSERT_TRUE(replaced.ok) << replaced.error;
        EXPECT_EQ(replaced.reply.number("nModified"), accepted ? 1 : 0) << profile;
        auto upserted = run(R"({"update": "c", "updates": [{"q": {"_id": 2},
                                "u": {"b": [{"$y": 1}]}, "upsert": true}]})");
        EXPECT_EQ(upserted.reply.number("n"), accepted ? 1 : 0) << upserted.reply.json();
        auto modified = run(R"({"findAndModify": "c", "query": {"_id": 1},
                                "update": {"c": {"d": {"$z": 1}}}})");
        EXPECT_EQ(modified.ok, accepted) << modified.reply.json();
        if (!accepted) {
            EXPECT_EQ(replaced.reply.number("writeErrors.0.code"), 52) << replaced.reply.json();
            EXPECT_NE(replaced.reply.string("writeErrors.0.errmsg")
                          .find("The dollar ($) prefixed field '$x' in 'a.$x' is not valid"),
                      std::string::npos);
            EXPECT_EQ(upserted.reply.number("writeErrors.0.code"), 52);
            EXPECT_EQ(modified.code, 52);
        }
        auto dbref = run(
            R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"r": {"$ref": "c", "$id": 1}}}]})");
        EXPECT_FALSE(dbref.reply.has("writeErrors")) << profile << dbref.reply.json();
    }
}

}  // namespace
}  // namespace storagetest
