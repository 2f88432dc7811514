// Integration tests of update statements that replace a document by _id ({q: {_id}, u: <doc>,
// upsert}), the write tributary replicates inserts and replacements with (testmongod applies
// them on a fast path): replies, stored documents and the checks MongoDB keeps applying.
#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class ReplaceByIdTest : public StorageTest {
  protected:
    // The stored documents of collection c, as relaxed JSON, in natural order.
    std::vector<std::string> stored() {
        std::vector<std::string> result;
        for (const Bson& doc : find("c"))
            result.push_back(doc.json());
        return result;
    }
};

TEST_F(ReplaceByIdTest, UpsertOfAMissingIdInsertsTheReplacementAfterTheFilterId) {
    Bson reply = ok(R"({"update": "c", "ordered": false, "updates": [
        {"q": {"_id": 7}, "u": {"a": 1, "b": {"c": [1, 2]}}, "upsert": true},
        {"q": {"_id": "k"}, "u": {"_id": "k", "a": 2}, "upsert": true}]})");
    EXPECT_EQ(reply.number("n"), 2);
    EXPECT_EQ(reply.number("nModified"), 0);
    EXPECT_EQ(reply.number("upserted.0.index"), 0);
    EXPECT_EQ(reply.number("upserted.0._id"), 7);
    EXPECT_EQ(reply.number("upserted.1.index"), 1);
    EXPECT_EQ(reply.string("upserted.1._id"), "k");
    EXPECT_EQ(stored(),
              (std::vector<std::string>{R"({ "_id" : 7, "a" : 1, "b" : { "c" : [ 1, 2 ] } })",
                                        R"({ "_id" : "k", "a" : 2 })"}));
}

TEST_F(ReplaceByIdTest, ReplacementOfAnExistingIdReplacesEveryOtherField) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1, "x": 5}, {"_id": 2, "a": 1}]})");
    Bson reply = ok(R"({"update": "c", "updates": [
        {"q": {"_id": 1}, "u": {"a": 2}, "upsert": true},
        {"q": {"_id": 2}, "u": {"_id": 2, "b": 3}}]})");
    EXPECT_EQ(reply.number("n"), 2);
    EXPECT_EQ(reply.number("nModified"), 2);
    EXPECT_FALSE(reply.has("upserted"));
    EXPECT_EQ(stored(),
              (std::vector<std::string>{R"({ "_id" : 1, "a" : 2 })", R"({ "_id" : 2, "b" : 3 })"}));
}

TEST_F(ReplaceByIdTest, ReplacementWithTheSameBytesMatchesWithoutModifying) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}]})");
    Bson reply = ok(R"({"update": "c", "updates": [
        {"q": {"_id": 1}, "u": {"a": 1}, "upsert": true},
        {"q": {"_id": 1}, "u": {"_id": 1, "a": 1}}]})");
    EXPECT_EQ(reply.number("n"), 2);
    EXPECT_EQ(reply.number("nModified"), 0);
}

TEST_F(ReplaceByIdTest, FilterIdMatchesAnEqualIdOfAnotherNumericTypeAndKeepsIt) {
    ok(R"({"insert": "c", "documents": [{"_id": {"$numberLong": "1"}, "a": 1}]})");
    Bson reply = ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"a": 2}}]})");
    EXPECT_EQ(reply.number("n"), 1);
    EXPECT_EQ(reply.number("nModified"), 1);
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 1u);
    bson_iter_t id;
    ASSERT_TRUE(bson_iter_init_find(&id, docs[0].get(), "_id"));
    EXPECT_EQ(bson_iter_type(&id), BSON_TYPE_INT64);
    EXPECT_EQ(docs[0].number("a"), 2);
}

TEST_F(ReplaceByIdTest, WithoutUpsertAMissingIdChangesNothing) {
    ok(R"({"insert": "c", "documents": [{"_id": 1}]})");
    Bson reply = ok(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"a": 1}}]})");
    EXPECT_EQ(reply.number("n"), 0);
    EXPECT_EQ(reply.number("nModified"), 0);
    EXPECT_FALSE(reply.has("upserted"));
    EXPECT_EQ(stored(), (std::vector<std::string>{R"({ "_id" : 1 })"}));
}

TEST_F(ReplaceByIdTest, UniqueSecondaryIndexesStillRejectDuplicates) {
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"email": 1}, "name": "email_1",
                                             "unique": true}]})");
    ok(R"({"insert": "c", "documents": [{"_id": 1, "email": "a"}, {"_id": 2, "email": "b"}]})");
    Bson reply = ok(R"({"update": "c", "ordered": false, "updates": [
        {"q": {"_id": 2}, "u": {"email": "a"}},
        {"q": {"_id": 3}, "u": {"email": "a"}, "upsert": true},
        {"q": {"_id": 2}, "u": {"email": "c"}}]})");
    EXPECT_EQ(reply.number("writeErrors.0.index"), 0);
    EXPECT_EQ(reply.number("writeErrors.0.code"), 11000);
    EXPECT_EQ(reply.number("writeErrors.1.index"), 1);
    EXPECT_EQ(reply.number("writeErrors.1.code"), 11000);
    EXPECT_EQ(reply.number("nModified"), 1);
    EXPECT_EQ(stored(), (std::vector<std::string>{R"({ "_id" : 1, "email" : "a" })",
                                                  R"({ "_id" : 2, "email" : "c" })"}));
}

TEST_F(ReplaceByIdTest, ValidatorStillChecksReplacements) {
    ok(R"({"create": "c", "validator": {"a": {"$type": "int"}}})");
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}]})");
    Bson reply = ok(R"({"update": "c", "ordered": false, "updates": [
        {"q": {"_id": 1}, "u": {"a": "text"}},
        {"q": {"_id": 2}, "u": {"a": "text"}, "upsert": true}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 121);
    EXPECT_EQ(reply.number("writeErrors.1.code"), 121);
    EXPECT_EQ(stored(), (std::vector<std::string>{R"({ "_id" : 1, "a" : 1 })"}));
}

TEST_F(ReplaceByIdTest, TopLevelDollarNamesInAReplacementAreRejected) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "a": 1}]})");
    Bson reply = ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"a": 1, "$b": 2}}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 52);  // DollarPrefixedFieldName
}

// The same statements with a hint (which testmongod applies on its general update path) leave
// the same documents.
TEST_F(ReplaceByIdTest, StoresWhatAHintedReplacementStores) {
    const char* seed = R"([{"_id": 1, "a": 1}, {"_id": {"$oid": "65f000000000000000000001"}}])";
    const char* updates = R"([
        {"q": {"_id": 1}, "u": {"z": 1, "nested": {"y": 2}, "arr": [{"k": null}]}%s},
        {"q": {"_id": {"$oid": "65f000000000000000000001"}}, "u": {"b": true}%s},
        {"q": {"_id": 9}, "u": {"c": {"$numberDecimal": "1.5"}}, "upsert": true%s}])";
    std::vector<std::vector<std::string>> results;
    for (const char* hint : {"", R"(, "hint": {"_id": 1})"}) {
        ok(std::string(R"({"insert": "c", "documents": )") + seed + "}");
        char command[1024];
        std::snprintf(command, sizeof command, updates, hint, hint, hint);
        Bson reply = ok(std::string(R"({"update": "c", "updates": )") + command + "}");
        EXPECT_EQ(reply.number("n"), 3) << reply.json();
        EXPECT_EQ(reply.number("nModified"), 2) << reply.json();
        results.push_back(stored());
        ok(R"({"drop": "c"})");
    }
    EXPECT_EQ(results[0], results[1]);
}

}  // namespace
}  // namespace storagetest
