// Unit tests for Update::apply's "did the document change" answer (nModified): like mongod, an
// update is a no-op only when the result has the same BSON bytes as the original document.
#include <gtest/gtest.h>

#include "engine/error.h"
#include "engine/update.h"
#include "engine_test_util.h"

namespace tmd {
namespace {

// Whether applying `update` to `doc` reports a change; checks that the document then holds
// exactly the bytes it reports.
bool changes(const char* update, const char* doc) {
    Document original = json(doc);
    Document d = original;
    bool changed = Update(Value::document(json(update))).apply(d, false);
    EXPECT_EQ(changed, d.to_bytes() != original.to_bytes()) << update << " on " << doc;
    return changed;
}

TEST(UpdateNoOp, ReplacementWithTheSameDocumentIsNotAModification) {
    EXPECT_FALSE(changes(R"({"a": 1, "b": {"c": [1, "x"]}})",
                         R"({"_id": 1, "a": 1, "b": {"c": [1, "x"]}})"));
    EXPECT_FALSE(changes(R"({"_id": 1, "a": 1})", R"({"_id": 1, "a": 1})"));
}

TEST(UpdateNoOp, ReplacementDifferingOnlyInBytesIsAModification) {
    // Equal under MongoDB's comparison, different BSON: numeric type, sign of zero, field order.
    EXPECT_TRUE(changes(R"({"a": 1.0})", R"({"_id": 1, "a": 1})"));
    EXPECT_TRUE(changes(R"({"a": {"$numberLong": "1"}})", R"({"_id": 1, "a": 1})"));
    EXPECT_TRUE(changes(R"({"a": {"$numberDouble": "-0.0"}})", R"({"_id": 1, "a": 0.0})"));
    EXPECT_TRUE(changes(R"({"b": 2, "a": 1})", R"({"_id": 1, "a": 1, "b": 2})"));
    EXPECT_TRUE(changes(R"({"a": [1, 2.0]})", R"({"_id": 1, "a": [1, 2]})"));
    EXPECT_TRUE(changes(R"({"a": {"x": 1}})", R"({"_id": 1, "a": {"x": 1, "y": 2}})"));
}

TEST(UpdateNoOp, SameNaNIsNotAModification) {
    EXPECT_FALSE(changes(R"({"a": {"$numberDouble": "NaN"}})",
                         R"({"_id": 1, "a": {"$numberDouble": "NaN"}})"));
}

TEST(UpdateNoOp, FailedReplacementLeavesTheDocumentUnchanged) {
    Document doc = json(R"({"_id": 1, "a": 1})");
    EXPECT_THROW(Update(Value::document(json(R"({"_id": 2, "a": 5})"))).apply(doc, false),
                 MongoError);
    EXPECT_EQ(doc.to_bytes(), json(R"({"_id": 1, "a": 1})").to_bytes());
}

}  // namespace
}  // namespace tmd
