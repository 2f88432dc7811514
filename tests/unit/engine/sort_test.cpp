// Unit tests for SortOrder: directions, dotted paths, array fields and missing values as the
// MongoDB manual's cursor.sort() page describes them, and the errors for invalid specs.
#include "engine/sort.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "engine_test_util.h"

namespace tmd {
namespace {

int order(const char* spec, const char* a, const char* b) {
    int c = SortOrder(json(spec)).compare(json(a), json(b));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int sort_error(const char* spec) {
    return error_code_of([&] { SortOrder sort{json(spec)}; });
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
    EXPECT_EQ(sort_error(R"({"a": 2})"), 15975);
    EXPECT_EQ(sort_error(R"({"a": 0})"), 15975);
    EXPECT_EQ(sort_error(R"({"a": "asc"})"), 15974);
    EXPECT_EQ(sort_error(R"({"": 1})"), 40352);
    EXPECT_EQ(sort_error(R"({"a": 1.0, "b": {"$numberLong": "-1"}})"), 0);
}

TEST(SortOrder, EmptySpecKeepsOrder) {
    SortOrder sort{Document()};
    EXPECT_TRUE(sort.empty());
    EXPECT_EQ(sort.compare(json(R"({"a": 1})"), json(R"({"a": 2})")), 0);
}

}  // namespace
}  // namespace tmd
