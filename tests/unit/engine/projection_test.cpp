// Unit tests for Projection: inclusion, exclusion, _id, dotted paths through arrays, positional,
// $slice, $elemMatch, computed fields and mongod's errors (manual, "Project Fields to Return").
#include "engine/projection.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "engine_test_util.h"

namespace tmd {
namespace {

std::string projected(const char* spec, const char* doc, const MatchDetails* details = nullptr) {
    return Projection(json(spec)).apply(json(doc), details).to_json();
}

int projection_error(const char* spec) {
    return error_code_of([&] { Projection projection{json(spec)}; });
}

const char* kDoc =
    R"({"_id": 1, "a": 1, "b": {"c": 2, "d": 3}, "e": [{"f": 1, "g": 1}, {"f": 2}, 5]})";

TEST(Projection, EmptySpecReturnsWholeDocument) {
    EXPECT_EQ(projected("{}", R"({"_id": 1, "a": 1})"), R"({ "_id" : 1, "a" : 1 })");
}

TEST(Projection, InclusionKeepsIdAndListedFieldsInDocumentOrder) {
    EXPECT_EQ(projected(R"({"b": 1, "a": true})", kDoc),
              R"({ "_id" : 1, "a" : 1, "b" : { "c" : 2, "d" : 3 } })");
    EXPECT_EQ(projected(R"({"a": 1, "_id": 0})", kDoc), R"({ "a" : 1 })");
    EXPECT_EQ(projected(R"({"_id": 1})", kDoc), R"({ "_id" : 1 })");
}

TEST(Projection, ExclusionDropsListedFields) {
    EXPECT_EQ(projected(R"({"b": 0, "e": false})", kDoc), R"({ "_id" : 1, "a" : 1 })");
    EXPECT_EQ(projected(R"({"_id": 0})", R"({"_id": 1, "a": 1})"), R"({ "a" : 1 })");
    EXPECT_EQ(projected(R"({"a": 0, "_id": 1})", R"({"_id": 1, "a": 1})"), R"({ "_id" : 1 })");
}

TEST(Projection, DottedPathsThroughDocumentsAndArrays) {
    EXPECT_EQ(projected(R"({"b.c": 1, "_id": 0})", kDoc), R"({ "b" : { "c" : 2 } })");
    EXPECT_EQ(projected(R"({"b": {"c": 1}, "_id": 0})", kDoc), R"({ "b" : { "c" : 2 } })");
    EXPECT_EQ(projected(R"({"e.f": 1, "_id": 0})", kDoc),
              R"({ "e" : [ { "f" : 1 }, { "f" : 2 } ] })");
    EXPECT_EQ(projected(R"({"e.f": 0, "b.c": 0, "_id": 0, "a": 0})", kDoc),
              R"({ "b" : { "d" : 3 }, "e" : [ { "g" : 1 }, {  }, 5 ] })");
}

TEST(Projection, IdSubfieldsCanBeProjected) {
    EXPECT_EQ(projected(R"({"_id.x": 1})", R"({"_id": {"x": 1, "y": 2}, "a": 1})"),
              R"({ "_id" : { "x" : 1 } })");
}

TEST(Projection, ComputedFieldsUseAggregationExpressions) {
    EXPECT_EQ(projected(R"({"s": {"$add": ["$a", 1]}, "_id": 0})", kDoc), R"({ "s" : 2 })");
    EXPECT_EQ(projected(R"({"x.y": "$b.c", "_id": 0})", kDoc), R"({ "x" : { "y" : 2 } })");
    EXPECT_EQ(projected(R"({"a": 1, "n": {"$literal": 0}, "_id": 0})", kDoc),
              R"({ "a" : 1, "n" : 0 })");
}

TEST(Projection, MixingInclusionAndExclusionIsAnError) {
    EXPECT_EQ(projection_error(R"({"a": 1, "b": 0})"), 31254);
    EXPECT_EQ(projection_error(R"({"a": 0, "b": 1})"), 31253);
    EXPECT_EQ(projection_error(R"({"a": 0, "_id": 1})"), 0);
    EXPECT_EQ(projection_error(R"({"a": 1, "a.b": 1})"), 31250);
}

TEST(Projection, PositionalReturnsMatchedElement) {
    MatchDetails details;
    details.array_index = 1;
    EXPECT_EQ(projected(R"({"e.$": 1})", kDoc, &details),
              R"({ "_id" : 1, "e" : [ { "f" : 2 } ] })");
    EXPECT_EQ(projection_error(R"({"e.$.f": 1})"), 31394);
}

TEST(Projection, SliceKeepsOtherFields) {
    const char* doc = R"({"_id": 1, "a": [1, 2, 3, 4], "b": 1})";
    EXPECT_EQ(projected(R"({"a": {"$slice": 2}})", doc),
              R"({ "_id" : 1, "a" : [ 1, 2 ], "b" : 1 })");
    EXPECT_EQ(projected(R"({"a": {"$slice": -1}, "_id": 0, "b": 0})", doc), R"({ "a" : [ 4 ] })");
    EXPECT_EQ(projected(R"({"a": {"$slice": [1, 2]}, "_id": 0, "b": 0})", doc),
              R"({ "a" : [ 2, 3 ] })");
    EXPECT_EQ(projected(R"({"a": {"$slice": [-3, 1]}, "b": 1, "_id": 0})", doc),
              R"({ "a" : [ 2 ], "b" : 1 })");
    EXPECT_EQ(projection_error(R"({"a": {"$slice": [1, 0]}})"), 28724);
}

TEST(Projection, ElemMatchReturnsFirstMatchingElementAfterOtherFields) {
    EXPECT_EQ(projected(R"({"e": {"$elemMatch": {"f": 2}}, "a": 1})", kDoc),
              R"({ "_id" : 1, "a" : 1, "e" : [ { "f" : 2 } ] })");
    EXPECT_EQ(projected(R"({"e": {"$elemMatch": {"f": 9}}})", kDoc), R"({ "_id" : 1 })");
    EXPECT_EQ(projection_error(R"({"b.c": {"$elemMatch": {"f": 9}}})"), 31275);
}

}  // namespace
}  // namespace tmd
