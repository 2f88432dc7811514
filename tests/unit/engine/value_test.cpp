// Unit tests for the value model: compare_values in MongoDB's BSON comparison order
// (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/) and lossless BSON
// round trips of every type.
#include "engine/value.h"
#include "engine_test_util.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tmd {
namespace {

Value value_of(const char* text) {
    return *json(text).get("v");
}

bson_decimal128_t decimal(const char* text) {
    bson_decimal128_t d;
    bson_decimal128_from_string(text, &d);
    return d;
}

TEST(CompareValues, NumbersCompareByValueAcrossTypes) {
    EXPECT_EQ(compare_values(Value::int32(1), Value::dbl(1.0)), 0);
    EXPECT_EQ(compare_values(Value::int64(1), Value::decimal(decimal("1.00"))), 0);
    EXPECT_LT(compare_values(Value::int32(1), Value::dbl(1.5)), 0);
    EXPECT_GT(compare_values(Value::int64(9007199254740993), Value::dbl(9007199254740992.0)), 0);
    EXPECT_LT(compare_values(Value::decimal(decimal("-2.5")), Value::int32(-2)), 0);
    EXPECT_GT(compare_values(Value::int64(INT64_MAX), Value::int64(INT64_MAX - 1)), 0);
}

TEST(CompareValues, NaNSortsBelowOtherNumbersAndEqualsNaN) {
    Value nan = Value::dbl(std::nan(""));
    EXPECT_EQ(compare_values(nan, Value::dbl(std::nan(""))), 0);
    EXPECT_LT(compare_values(nan, Value::dbl(-INFINITY)), 0);
    EXPECT_EQ(compare_values(nan, Value::decimal(decimal("NaN"))), 0);
}

TEST(CompareValues, TypesFollowCanonicalOrder) {
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "000000000000000000000000");
    std::vector<Value> ascending = {
        Value::min_key(),
        Value::null(),
        Value::int32(5),
        Value::string("a"),
        Value::document(json(R"({"a": 1})")),
        Value::array({Value::int32(1)}),
        Value(BSON_TYPE_BINARY, Binary{BSON_SUBTYPE_BINARY, "x"}),
        Value::oid(oid),
        Value::boolean(false),
        Value::date(0),
        Value::timestamp(1, 1),
        Value(BSON_TYPE_REGEX, Regex{"a", ""}),
        Value::max_key(),
    };
    for (size_t i = 0; i + 1 < ascending.size(); ++i) {
        EXPECT_LT(compare_values(ascending[i], ascending[i + 1]), 0) << i;
        EXPECT_GT(compare_values(ascending[i + 1], ascending[i]), 0) << i;
    }
}

TEST(CompareValues, NullAndUndefinedAreEqualForOrdering) {
    EXPECT_EQ(compare_values(Value::null(), Value::undefined()), 0);
}

TEST(CompareValues, StringsCompareBinary) {
    EXPECT_LT(compare_values(Value::string("B"), Value::string("a")), 0);
    EXPECT_LT(compare_values(Value::string("a"), Value::string("ab")), 0);
    EXPECT_EQ(compare_values(Value::string("s"), Value(BSON_TYPE_SYMBOL, std::string("s"))), 0);
}

TEST(CompareValues, DocumentsCompareFieldByField) {
    EXPECT_EQ(compare_documents(json(R"({"a": 1})"), json(R"({"a": 1.0})")), 0);
    EXPECT_LT(compare_documents(json(R"({"a": 1})"), json(R"({"a": 2})")), 0);
    EXPECT_LT(compare_documents(json(R"({"a": 1})"), json(R"({"b": 0})")), 0);
    EXPECT_LT(compare_documents(json(R"({"a": 1})"), json(R"({"a": 1, "b": 0})")), 0);
    // The type of a field's value ranks before its name.
    EXPECT_LT(compare_documents(json(R"({"b": 1})"), json(R"({"a": "x"})")), 0);
}

TEST(CompareValues, ArraysCompareElementByElement) {
    EXPECT_LT(compare_values(value_of(R"({"v": [1, 2]})"), value_of(R"({"v": [1, 3]})")), 0);
    EXPECT_LT(compare_values(value_of(R"({"v": [1]})"), value_of(R"({"v": [1, 0]})")), 0);
    EXPECT_EQ(compare_values(value_of(R"({"v": []})"), value_of(R"({"v": []})")), 0);
}

TEST(CompareValues, BinaryComparesLengthThenSubtypeThenBytes) {
    Value short_bin(BSON_TYPE_BINARY, Binary{BSON_SUBTYPE_UUID, "z"});
    Value long_bin(BSON_TYPE_BINARY, Binary{BSON_SUBTYPE_BINARY, "aa"});
    EXPECT_LT(compare_values(short_bin, long_bin), 0);
    Value subtype0(BSON_TYPE_BINARY, Binary{BSON_SUBTYPE_BINARY, "z"});
    EXPECT_LT(compare_values(subtype0, short_bin), 0);
}

TEST(CompareValues, BooleansDatesAndTimestampsByValue) {
    EXPECT_LT(compare_values(Value::boolean(false), Value::boolean(true)), 0);
    EXPECT_LT(compare_values(Value::date(-1), Value::date(0)), 0);
    EXPECT_LT(compare_values(Value::timestamp(1, 9), Value::timestamp(2, 0)), 0);
}

// Canonical extended JSON holding one field of every BSON type.
const char* kEveryType = R"json({
    "double": {"$numberDouble": "1.5"}, "string": "s", "doc": {"x": 1}, "array": [1, "a"],
    "binary": {"$binary": {"base64": "AQI=", "subType": "04"}}, "undef": {"$undefined": true},
    "oid": {"$oid": "5f1a2b3c4d5e6f7081920a1b"}, "bool": true,
    "date": {"$date": {"$numberLong": "1600000000000"}}, "null": null,
    "regex": {"$regularExpression": {"pattern": "a+", "options": "i"}},
    "dbptr": {"$dbPointer": {"$ref": "c", "$id": {"$oid": "5f1a2b3c4d5e6f7081920a1b"}}},
    "code": {"$code": "f()"}, "symbol": {"$symbol": "sym"},
    "cws": {"$code": "g()", "$scope": {"y": 2}}, "int32": {"$numberInt": "7"},
    "ts": {"$timestamp": {"t": 5, "i": 6}}, "int64": {"$numberLong": "8"},
    "dec": {"$numberDecimal": "1.10"}, "min": {"$minKey": 1}, "max": {"$maxKey": 1}})json";

TEST(ValueBson, EveryTypeRoundTripsThroughBson) {
    bson_error_t error;
    bson_t* original = bson_new_from_json(reinterpret_cast<const uint8_t*>(kEveryType), -1, &error);
    ASSERT_NE(original, nullptr) << error.message;
    Document doc = Document::from_bson(*original);
    EXPECT_EQ(doc.size(), 21u);
    std::string bytes = doc.to_bytes();
    EXPECT_EQ(bytes,
              std::string(reinterpret_cast<const char*>(bson_get_data(original)), original->len));
    Document again =
        Document::from_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    EXPECT_EQ(compare_documents(doc, again), 0);
    bson_destroy(original);
}

TEST(ValueBson, FieldOrderAndDuplicatesArePreserved) {
    Document doc;
    doc.push_back("b", Value::int32(1));
    doc.push_back("a", Value::int32(2));
    doc.push_back("b", Value::int32(3));
    std::string bytes = doc.to_bytes();
    Document back =
        Document::from_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    EXPECT_EQ(back.to_json(), R"({ "b" : 1, "a" : 2, "b" : 3 })");
}

TEST(ValueTruthiness, FalseNullUndefinedAndZeroAreFalse) {
    EXPECT_FALSE(Value::boolean(false).truthy());
    EXPECT_FALSE(Value::null().truthy());
    EXPECT_FALSE(Value::undefined().truthy());
    EXPECT_FALSE(Value::dbl(0.0).truthy());
    EXPECT_FALSE(Value::decimal(decimal("0")).truthy());
    EXPECT_TRUE(Value::string("").truthy());
    EXPECT_TRUE(Value::array({}).truthy());
}

}  // namespace
}  // namespace tmd
