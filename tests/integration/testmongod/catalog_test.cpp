// Integration tests of testmongod's catalog commands: create (capped, validator, views),
// drop, dropDatabase, listCollections, listDatabases, renameCollection, collMod, collStats,
// dbStats.
#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class CatalogTest : public StorageTest {};

TEST_F(CatalogTest, CreateListsCollectionWithOptionsUuidAndIdIndex) {
    ok(R"({"create": "c", "validator": {"a": {"$exists": true}}, "validationAction": "warn"})");
    auto entries = first_batch(ok(R"({"listCollections": 1, "filter": {"name": "c"}})"));
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].string("type"), "collection");
    EXPECT_EQ(entries[0].string("options.validationAction"), "warn");
    EXPECT_FALSE(entries[0].boolean("info.readOnly"));
    bson_iter_t iter;
    ASSERT_TRUE(bson_iter_init(&iter, entries[0].get()) &&
                bson_iter_find_descendant(&iter, "info.uuid", &iter));
    bson_subtype_t subtype;
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_binary(&iter, &subtype, &length, &data);
    EXPECT_EQ(subtype, BSON_SUBTYPE_UUID);
    EXPECT_EQ(length, 16u);
    EXPECT_EQ(entries[0].string("idIndex.name"), "_id_");
}

TEST_F(CatalogTest, CreateExistingCollectionWithOtherOptionsFails) {
    ok(R"({"create": "c"})");
    fails(R"({"create": "c", "capped": true, "size": 4096})", 48);
}

TEST_F(CatalogTest, CreateRejectsInvalidNamesAndCappedWithoutSize) {
    fails(R"({"create": "a$b"})", 73);
    fails(R"({"create": "c", "capped": true})", 72);
}

TEST_F(CatalogTest, CappedCollectionKeepsNewestDocumentsWithinMax) {
    ok(R"({"create": "c", "capped": true, "size": 100000, "max": 3})");
    for (int i = 0; i < 5; ++i) {
        ok(R"({"insert": "c", "documents": [{"_id": )" + std::to_string(i) + "}]}");
    }
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 3u);
    EXPECT_EQ(docs[0].number("_id"), 2);
    EXPECT_EQ(docs[2].number("_id"), 4);
    Bson stats = ok(R"({"collStats": "c"})");
    EXPECT_TRUE(stats.boolean("capped"));
    EXPECT_EQ(stats.number("max"), 3);
}

TEST_F(CatalogTest, ValidatorRejectsInvalidDocumentsUnlessBypassed) {
    ok(R"({"create": "c", "validator": {"a": {"$type": "int"}}})");
    Bson reply = ok(R"({"insert": "c", "documents": [{"_id": 1, "a": "x"}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 121);
    EXPECT_EQ(reply.number("writeErrors.0.errInfo.failingDocumentId"), 1);
    ok(R"({"insert": "c", "documents": [{"_id": 2, "a": 1}]})");
    ok(R"({"insert": "c", "documents": [{"_id": 3, "a": "y"}], "bypassDocumentValidation": true})");
    EXPECT_EQ(find("c").size(), 2u);
}

TEST_F(CatalogTest, ViewsAreListedAsReadOnlyViews) {
    ok(R"({"create": "v", "viewOn": "c", "pipeline": [{"$match": {"a": 1}}]})");
    auto entries = first_batch(ok(R"({"listCollections": 1, "filter": {"type": "view"}})"));
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].string("name"), "v");
    EXPECT_EQ(entries[0].string("options.viewOn"), "c");
    EXPECT_TRUE(entries[0].boolean("info.readOnly"));
}

TEST_F(CatalogTest, ListCollectionsNameOnlyAndBatchSize) {
    for (const char* name : {"a", "b", "c"})
        ok(std::string(R"({"create": ")") + name + "\"}");
    Bson reply = ok(R"({"listCollections": 1, "nameOnly": true, "cursor": {"batchSize": 2}})");
    auto entries = first_batch(reply);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_FALSE(entries[0].has("options"));
    EXPECT_NE(reply.number("cursor.id"), 0);
    EXPECT_EQ(reply.string("cursor.ns"), db_ + ".$cmd.listCollections");
}

// A filter naming collections exactly is answered by looking them up (as mongod does): the same
// entries as the filter applied to the whole listing, views included, each once, in name order;
// other filters, and $in with a regex, still read the whole listing.
TEST_F(CatalogTest, ListCollectionsByExactNamesFindsCollectionsAndViews) {
    for (const char* name : {"a", "b", "c"})
        ok(std::string(R"({"create": ")") + name + "\"}");
    ok(R"({"create": "v", "viewOn": "a", "pipeline": []})");
    auto names = [&](const std::string& filter) {
        std::vector<std::string> listed;
        for (const Bson& entry :
             first_batch(ok(R"({"listCollections": 1, "filter": )" + filter + "}")))
            listed.push_back(entry.string("name"));
        return listed;
    };
    using Names = std::vector<std::string>;
    EXPECT_EQ(names(R"({"name": "b"})"), Names{"b"});
    EXPECT_EQ(names(R"({"name": "v"})"), Names{"v"});
    EXPECT_EQ(names(R"({"name": "missing"})"), Names{});
    EXPECT_EQ(names(R"({"name": 5})"), Names{});
    EXPECT_EQ(names(R"({"name": {"$in": ["v", "c", "missing", "c", 3]}})"), (Names{"c", "v"}));
    EXPECT_EQ(
        names(
            R"({"name": {"$in": ["a", {"$regularExpression": {"pattern": "^b", "options": ""}}]}})"),
        (Names{"a", "b"}));
    EXPECT_EQ(names(R"({"name": "a", "type": "collection"})"), Names{"a"});
    EXPECT_EQ(names(R"({"name": "v", "type": "collection"})"), Names{});
}

TEST_F(CatalogTest, DropRemovesCollectionAndMissingDropSucceeds) {
    ok(R"({"insert": "c", "documents": [{}]})");
    Bson reply = ok(R"({"drop": "c"})");
    EXPECT_EQ(reply.number("nIndexesWas"), 1);
    EXPECT_TRUE(first_batch(ok(R"({"listCollections": 1})")).empty());
    // Since MongoDB 7.0, dropping a missing collection succeeds.
    ok(R"({"drop": "c"})");
}

TEST_F(CatalogTest, ListDatabasesReportsDatabasesWithSizes) {
    ok(R"({"insert": "c", "documents": [{"a": 1}]})");
    CommandResult result = run_admin(R"({"listDatabases": 1, "filter": {"name": ")" + db_ + "\"}}");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.reply.string("databases.0.name"), db_);
    EXPECT_GT(result.reply.number("databases.0.sizeOnDisk"), 0);
    EXPECT_FALSE(result.reply.boolean("databases.0.empty"));
    EXPECT_TRUE(result.reply.has("totalSize"));
    fails(R"({"listDatabases": 1})", 13);
}

TEST_F(CatalogTest, DropDatabaseRemovesEveryCollection) {
    ok(R"({"insert": "a", "documents": [{}]})");
    ok(R"({"insert": "b", "documents": [{}]})");
    ok(R"({"dropDatabase": 1})");
    EXPECT_TRUE(first_batch(ok(R"({"listCollections": 1})")).empty());
}

TEST_F(CatalogTest, RenameCollectionKeepsDocumentsAndUuid) {
    ok(R"({"insert": "a", "documents": [{"_id": 1}]})");
    auto before = first_batch(ok(R"({"listCollections": 1, "filter": {"name": "a"}})"));
    CommandResult renamed =
        run_admin(R"({"renameCollection": ")" + db_ + R"(.a", "to": ")" + db_ + ".b\"}");
    ASSERT_TRUE(renamed.ok) << renamed.error;
    auto after = first_batch(ok(R"({"listCollections": 1, "filter": {"name": "b"}})"));
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(Bson(before[0].document("info")).json(), Bson(after[0].document("info")).json());
    EXPECT_EQ(find("b").size(), 1u);
    EXPECT_TRUE(find("a").empty());
}

TEST_F(CatalogTest, RenameOntoExistingTargetNeedsDropTarget) {
    ok(R"({"insert": "a", "documents": [{"_id": 1}]})");
    ok(R"({"insert": "b", "documents": [{"_id": 2}]})");
    std::string base = R"({"renameCollection": ")" + db_ + R"(.a", "to": ")" + db_ + ".b\"";
    CommandResult refused = run_admin(base + "}");
    EXPECT_EQ(refused.code, 48);
    CommandResult forced = run_admin(base + R"(, "dropTarget": true})");
    ASSERT_TRUE(forced.ok) << forced.error;
    EXPECT_EQ(find("b")[0].number("_id"), 1);
    CommandResult missing =
        run_admin(R"({"renameCollection": ")" + db_ + R"(.zz", "to": ")" + db_ + ".y\"}");
    EXPECT_EQ(missing.code, 26);
}

TEST_F(CatalogTest, RenameAcrossDatabases) {
    std::string other = db_ + "_other";
    ok(R"({"insert": "a", "documents": [{"_id": 1}]})");
    CommandResult renamed =
        run_admin(R"({"renameCollection": ")" + db_ + R"(.a", "to": ")" + other + ".a\"}");
    ASSERT_TRUE(renamed.ok) << renamed.error;
    EXPECT_TRUE(find("a").empty());
    client_->run_command(other, R"({"dropDatabase": 1})");
}

TEST_F(CatalogTest, CollModChangesValidatorAndViewPipeline) {
    ok(R"({"create": "c"})");
    ok(R"({"collMod": "c", "validator": {"a": {"$exists": true}}})");
    Bson reply = ok(R"({"insert": "c", "documents": [{"b": 1}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 121);
    ok(R"({"insert": "c", "documents": [{"a": 1}, {"a": 2}]})");
    ok(R"({"create": "v", "viewOn": "c", "pipeline": [{"$match": {"a": 1}}]})");
    ok(R"({"collMod": "v", "viewOn": "c", "pipeline": [{"$match": {"a": 2}}]})");
    auto docs = find("v");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("a"), 2);
    fails(R"({"collMod": "missing", "validator": {}})", 26);
}

TEST_F(CatalogTest, CollStatsAndDbStatsReportCountsAndSizes) {
    ok(R"({"insert": "c", "documents": [{"a": 1}, {"a": 2}]})");
    ok(R"({"create": "v", "viewOn": "c", "pipeline": []})");
    Bson stats = ok(R"({"collStats": "c"})");
    EXPECT_EQ(stats.string("ns"), db_ + ".c");
    EXPECT_EQ(stats.number("count"), 2);
    EXPECT_GT(stats.number("size"), 0);
    EXPECT_EQ(stats.number("nindexes"), 1);
    EXPECT_TRUE(stats.has("indexSizes._id_"));
    Bson db = ok(R"({"dbStats": 1})");
    EXPECT_EQ(db.number("collections"), 1);
    EXPECT_EQ(db.number("views"), 1);
    EXPECT_EQ(db.number("objects"), 2);
    EXPECT_EQ(db.number("indexes"), 1);
    EXPECT_GT(db.number("dataSize"), 0);
}

// Validation failures carry errInfo {failingDocumentId, details} (MongoDB 5.0+), also as a
// command error (findAndModify).
TEST_F(CatalogTest, ValidationFailureReplyCarriesErrInfo) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": "s"}]})");
    ok(R"({"collMod": "c", "validator": {"x": {"$type": "string"}}})");
    CommandResult result = run(R"({"findAndModify": "c", "query": {"_id": 1},
                                   "update": {"$set": {"x": 1}}})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 121);
    EXPECT_EQ(result.reply.number("errInfo.failingDocumentId"), 1);
    EXPECT_TRUE(result.reply.has("errInfo.details.operatorName"));
    Bson insert = ok(R"({"insert": "c", "documents": [{"_id": 2, "x": 2}]})");
    EXPECT_EQ(insert.number("writeErrors.0.errInfo.failingDocumentId"), 2);
}

// changeStreamPreAndPostImages (6.0+): listed while enabled, gone once disabled.
TEST_F(CatalogTest, CollModSetsChangeStreamPreAndPostImages) {
    ok(R"({"create": "c"})");
    ok(R"({"collMod": "c", "changeStreamPreAndPostImages": {"enabled": true}})");
    auto entries = first_batch(ok(R"({"listCollections": 1, "filter": {"name": "c"}})"));
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_TRUE(entries[0].boolean("options.changeStreamPreAndPostImages.enabled"));
    ok(R"({"collMod": "c", "changeStreamPreAndPostImages": {"enabled": false}})");
    entries = first_batch(ok(R"({"listCollections": 1, "filter": {"name": "c"}})"));
    EXPECT_FALSE(entries[0].has("options.changeStreamPreAndPostImages"));
    fails(R"({"collMod": "c", "changeStreamPreAndPostImages": {"enabled": 1}})", 14);
}

TEST_F(CatalogTest, CreateStoresChangeStreamPreAndPostImages) {
    ok(R"({"create": "c", "changeStreamPreAndPostImages": {"enabled": true}})");
    auto entries = first_batch(ok(R"({"listCollections": 1, "filter": {"name": "c"}})"));
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_TRUE(entries[0].boolean("options.changeStreamPreAndPostImages.enabled"));
    fails(R"({"create": "d", "changeStreamPreAndPostImages": {}})", 40414);
}

// Manual, "Clustered Collections" (5.3+): listCollections shows the clusteredIndex option (and no
// idIndex), listIndexes the clustered index; mongod: clustered_util.cpp for the refusals.
TEST_F(CatalogTest, ClusteredCollectionListsItsClusteredIndex) {
    ok(R"({"create": "c", "clusteredIndex": {"key": {"_id": 1}, "unique": true, "name": "by id"}})");
    auto entries = first_batch(ok(R"({"listCollections": 1, "filter": {"name": "c"}})"));
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].number("options.clusteredIndex.v"), 2);
    EXPECT_EQ(entries[0].string("options.clusteredIndex.name"), "by id");
    EXPECT_TRUE(entries[0].boolean("options.clusteredIndex.unique"));
    EXPECT_FALSE(entries[0].has("idIndex"));
    auto specs = first_batch(ok(R"({"listIndexes": "c"})"));
    ASSERT_EQ(specs.size(), 1u);
    EXPECT_EQ(specs[0].string("name"), "by id");
    EXPECT_TRUE(specs[0].boolean("clustered"));
    EXPECT_TRUE(specs[0].boolean("unique"));
    Bson dup = ok(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 1}]})");
    EXPECT_EQ(dup.number("writeErrors.0.code"), 11000);
    fails(R"({"dropIndexes": "c", "index": "by id"})", 72);
}

TEST_F(CatalogTest, ClusteredIndexMustBeUniqueOnId) {
    fails(R"({"create": "c", "clusteredIndex": {"key": {"_id": 1}, "unique": false}})", 5979700);
    fails(R"({"create": "c", "clusteredIndex": {"key": {"a": 1}, "unique": true}})", 197);
    ok(R"({"create": "d", "clusteredIndex": {"key": {"_id": 1}, "unique": true}})");
    EXPECT_EQ(first_batch(ok(R"({"listIndexes": "d"})"))[0].string("name"), "_id_");
}

}  // namespace
}  // namespace storagetest
