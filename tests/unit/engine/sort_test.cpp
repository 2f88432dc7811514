// Unit tests for SortOrder: directions, dotted paths, array fields and missing values as the
// MongoDB manual's cursor.sort() page describes them, and the errors for invalid specs.
#include "engine/sort.h"

#include <gtest/gtest.h>

#include "engine/error.h"

namespace tmd {
namespace {

Document json(const char* text) {
    return Document::from_json(text);
}

int order(const char* spec, const char* a, const char* b) {
    int c = SortOrder(json(spec)).compare(json(a), json(b));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int error_code(const char* spec) {
    try {
        SortOrder sort{json(spec)};
    } catch (const MongoError& error) {
        return error.code();
    }
    return 0;
}

TEST(SortOrder, AscendingAndDescending) {
    EXPECT_EQ(order(R"({"a": 1})", R"({"a": 1})", R"({"a": 2})"), -1);
    EXPECT_EQ(order(R"({"a": -1})", R"({"a": 1})", R"({"a": 2})"), 1);
    EXPECT_EQ(order(R"({"a": 1})", R"({"a": 2})", R"({"a": 2.0})"), 0);
}

TEST(SortOrder, LaterKeysBreakTies) {
    EXPECT_EQ(order(R"({"a": 1, "b": -1})", R"({"a": 1, "b": 1})", R"({"a": 1, "b": 2})"), 1);
}

TEST(SortOrder, DifferentTypesFollowBsonOrder) {
    EXPECT_EQ(order(R"({"a": 1})", R"({"a": 5})", R"({"a": "a"})"), -1);
    EXPECT_EQ(order(R"({"a": 1})", R"({"a": true})", R"({"a": {"x": 1}})"), 1);
}

TEST(SortOrder, MissingSortsAsNull) {
    EXPECT_EQ(order(R"({"a": 1})", R"({"b": 1})", R"({"a": null})"), 0);
    EXPECT_EQ(order(R"({"a": 1})", R"({"b": 1})", R"({"a": 0})"), -1);
}

TEST(SortOrder, DottedPaths) {
    EXPECT_EQ(order(R"({"a.b": 1})", R"({"a": {"b": 3}})", R"({"a": {"b": 2}})"), 1);
    EXPECT_EQ(order(R"({"a.b": 1})", R"({"a": [{"b": 3}, {"b": 1}]})", R"({"a": {"b": 2}})"), -1);
}

TEST(SortOrder, ArraysUseMinAscendingAndMaxDescending) {
    EXPECT_EQ(order(R"({"a": 1})", R"({"a": [5, 1]})", R"({"a": 2})"), -1);
    EXPECT_EQ(order(R"({"a": -1})", R"({"a": [5, 1]})", R"({"a": 2})"), -1);
    EXPECT_EQ(order(R"({"a": -1})", R"({"a": [0, 1]})", R"({"a": 2})"), 1);
}

TEST(SortOrder, EmptyArraySortsBeforeNull) {
    EXPECT_EQ(order(R"({"a": 1})", R"({"a": []})", R"({"a": null})"), -1);
    EXPECT_EQ(order(R"({"a": -1})", R"({"a": []})", R"({"b": 1})"), 1);
}

TEST(SortOrder, RejectsBadDirections) {
    EXPECT_EQ(error_code(R"({"a": 2})"), 15975);
    EXPECT_EQ(error_code(R"({"a": 0})"), 15975);
    EXPECT_EQ(error_code(R"({"a": "asc"})"), 15974);
    EXPECT_EQ(error_code(R"({"": 1})"), 40352);
    EXPECT_EQ(error_code(R"({"a": 1.0, "b": {"$numberLong": "-1"}})"), 0);
}

TEST(SortOrder, EmptySpecKeepsOrder) {
    SortOrder sort{Document()};
    EXPECT_TRUE(sort.empty());
    EXPECT_EQ(sort.compare(json(R"({"a": 1})"), json(R"({"a": 2})")), 0);
}

}  // namespace
}  // namespace tmd
