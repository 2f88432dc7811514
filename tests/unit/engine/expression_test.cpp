// Unit tests of the aggregation expression language against MongoDB's documented behaviour:
// paths and variables, arithmetic with type promotion, comparison, logic, strings, arrays, types,
// objects, dates, and mongod's error codes for invalid expressions and inputs.
#include <gtest/gtest.h>

#include <functional>

#include "engine/error.h"
#include "engine/expression.h"
#include "engine_test_util.h"

namespace tmd {
namespace {

Value json_value(const std::string& json) {
    return *Document::from_json("{\"v\": " + json + "}").get("v");
}

Value eval(const std::string& expression, const std::string& doc = "{}") {
    Variables variables;
    return Expression(json_value(expression)).evaluate(Document::from_json(doc), variables);
}

// The value must equal `expected` (BSON comparison) and have its exact type.
void expect_value(const Value& actual, const std::string& expected, bson_type_t type) {
    Value want = json_value(expected);
    EXPECT_TRUE(values_equal(actual, want)) << actual.to_json() << " != " << expected;
    EXPECT_EQ(actual.type(), type)
        << "value " << actual.to_json() << " has type " << type_name(actual);
}

int parse_expression_error(const std::string& expression) {
    return error_code_of([&] { Expression e(json_value(expression)); });
}

int eval_error(const std::string& expression, const std::string& doc = "{}") {
    return error_code_of([&] { eval(expression, doc); });
}

TEST(ExpressionPaths, FieldPathReadsNestedField) {
    expect_value(eval("\"$a.b\"", R"({"a": {"b": 5}})"), "5", BSON_TYPE_INT32);
}

TEST(ExpressionPaths, FieldPathThroughArrayCollectsValues) {
    expect_value(eval("\"$a.b\"", R"({"a": [{"b": 1}, {"c": 2}, {"b": 3}, 7]})"), "[1, 3]",
                 BSON_TYPE_ARRAY);
}

TEST(ExpressionPaths, MissingFieldIsMissingNotNull) {
    EXPECT_TRUE(is_missing(eval("\"$nope\"")));
    expect_value(eval(R"({"$eq": ["$nope", null]})"), "false", BSON_TYPE_BOOL);
}

TEST(ExpressionPaths, RootAndCurrentVariables) {
    expect_value(eval("\"$$ROOT.a\"", R"({"a": 1})"), "1", BSON_TYPE_INT32);
    expect_value(eval("\"$$CURRENT\"", R"({"a": 1})"), R"({"a": 1})", BSON_TYPE_DOCUMENT);
}

TEST(ExpressionPaths, RemoveVariableIsMissing) {
    EXPECT_TRUE(is_missing(eval("\"$$REMOVE\"")));
}

TEST(ExpressionPaths, NowIsADate) {
    EXPECT_EQ(eval("\"$$NOW\"").type(), BSON_TYPE_DATE_TIME);
}

TEST(ExpressionPaths, UndefinedVariableIsRejectedAtParse) {
    EXPECT_EQ(parse_expression_error("\"$$nope\""), 17276);
}

TEST(ExpressionPaths, DollarAloneIsNotAFieldPath) {
    EXPECT_EQ(parse_expression_error("\"$\""), 16872);
}

TEST(ExpressionPaths, LetVariablesFromVariablesAreVisible) {
    Variables variables;
    variables.define("limit", Value::int32(3));
    Expression e(json_value(R"({"$gt": ["$a", "$$limit"]})"), &variables);
    expect_value(e.evaluate(Document::from_json(R"({"a": 5})"), variables), "true", BSON_TYPE_BOOL);
}

TEST(ExpressionParse, UnknownOperatorIs168) {
    EXPECT_EQ(parse_expression_error(R"({"$frobnicate": 1})"), 168);
}

TEST(ExpressionParse, OperatorObjectWithTwoFieldsIs15983) {
    EXPECT_EQ(parse_expression_error(R"({"$add": [1, 2], "x": 1})"), 15983);
}

TEST(ExpressionParse, WrongArityIs16020) {
    EXPECT_EQ(parse_expression_error(R"({"$subtract": [1]})"), 16020);
}

TEST(ExpressionParse, LiteralKeepsDollarStrings) {
    expect_value(eval(R"({"$literal": "$a"})"), "\"$a\"", BSON_TYPE_UTF8);
}

TEST(ExpressionParse, ExpressionObjectOmitsMissingFields) {
    expect_value(eval(R"({"x": "$a", "y": "$nope"})", R"({"a": 1})"), R"({"x": 1})",
                 BSON_TYPE_DOCUMENT);
}

TEST(ExpressionParse, ArrayLiteralTurnsMissingIntoNull) {
    expect_value(eval(R"(["$a", "$nope"])", R"({"a": 1})"), "[1, null]", BSON_TYPE_ARRAY);
}

TEST(ExpressionArithmetic, AddKeepsInt32) {
    expect_value(eval(R"({"$add": [1, 2]})"), "3", BSON_TYPE_INT32);
}

TEST(ExpressionArithmetic, Int32OverflowBecomesInt64) {
    expect_value(eval(R"({"$add": [2147483647, 1]})"), "2147483648", BSON_TYPE_INT64);
    expect_value(eval(R"({"$multiply": [65536, 65536]})"), "4294967296", BSON_TYPE_INT64);
}

TEST(ExpressionArithmetic, Int64OverflowBecomesDouble) {
    Value v = eval(R"({"$add": [{"$numberLong": "9223372036854775807"}, 1]})");
    EXPECT_EQ(v.type(), BSON_TYPE_DOUBLE);
}

TEST(ExpressionArithmetic, AnyDoubleMakesDouble) {
    expect_value(eval(R"({"$add": [1, 1.5]})"), "2.5", BSON_TYPE_DOUBLE);
}

TEST(ExpressionArithmetic, DecimalWins) {
    Value v = eval(R"({"$add": [1, 2.5, {"$numberDecimal": "1.25"}]})");
    expect_value(v, R"({"$numberDecimal": "4.75"})", BSON_TYPE_DECIMAL128);
}

TEST(ExpressionArithmetic, NullOperandGivesNull) {
    expect_value(eval(R"({"$add": [1, "$nope"]})"), "null", BSON_TYPE_NULL);
}

TEST(ExpressionArithmetic, AddDateAndMilliseconds) {
    expect_value(eval(R"({"$add": [{"$date": 1000}, 500]})"), R"({"$date": 1500})",
                 BSON_TYPE_DATE_TIME);
}

TEST(ExpressionArithmetic, AddRejectsStrings) {
    EXPECT_EQ(eval_error(R"({"$add": [1, "x"]})"), 16554);
}

TEST(ExpressionArithmetic, SubtractDatesGivesMillisecondsAsLong) {
    expect_value(eval(R"({"$subtract": [{"$date": 5000}, {"$date": 2000}]})"), "3000",
                 BSON_TYPE_INT64);
}

TEST(ExpressionArithmetic, SubtractKeepsIntegerTypesWhenTheResultFits) {
    expect_value(eval(R"({"$subtract": [-1, -2147483648]})"), "2147483647", BSON_TYPE_INT32);
    expect_value(eval(R"({"$subtract": [5, 7]})"), "-2", BSON_TYPE_INT32);
    expect_value(eval(R"({"$subtract": [-2147483648, 1]})"), "-2147483649", BSON_TYPE_INT64);
    expect_value(eval(R"({"$subtract": [1.5, 1]})"), "0.5", BSON_TYPE_DOUBLE);
}

TEST(ExpressionArithmetic, SubtractRejectsStrings) {
    EXPECT_EQ(eval_error(R"({"$subtract": ["a", 1]})"), 16556);
}

TEST(ExpressionArithmetic, DivideAlwaysGivesDouble) {
    expect_value(eval(R"({"$divide": [6, 3]})"), "2.0", BSON_TYPE_DOUBLE);
}

TEST(ExpressionArithmetic, DivideByZeroIs16608) {
    EXPECT_EQ(eval_error(R"({"$divide": [1, 0]})"), 16608);
}

TEST(ExpressionArithmetic, ModKeepsIntegerTypeAndRejectsZero) {
    expect_value(eval(R"({"$mod": [7, 3]})"), "1", BSON_TYPE_INT32);
    expect_value(eval(R"({"$mod": [7.5, 2]})"), "1.5", BSON_TYPE_DOUBLE);
    EXPECT_EQ(eval_error(R"({"$mod": [7, 0]})"), 16610);
}

TEST(ExpressionArithmetic, AbsCeilFloorSqrtPow) {
    expect_value(eval(R"({"$abs": -5})"), "5", BSON_TYPE_INT32);
    expect_value(eval(R"({"$ceil": 1.2})"), "2.0", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$floor": -1.2})"), "-2.0", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$sqrt": 25})"), "5.0", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$pow": [2, 10]})"), "1024", BSON_TYPE_INT32);
    expect_value(eval(R"({"$pow": [2, -1]})"), "0.5", BSON_TYPE_DOUBLE);
    EXPECT_EQ(eval_error(R"({"$sqrt": -1})"), 28714);
    EXPECT_EQ(eval_error(R"({"$pow": [0, -1]})"), 28764);
    EXPECT_EQ(eval_error(R"({"$abs": "x"})"), 28765);
}

TEST(ExpressionArithmetic, RoundIsHalfToEvenAndTruncTruncates) {
    expect_value(eval(R"({"$round": [10.5, 0]})"), "10.0", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$round": [11.5, 0]})"), "12.0", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$round": [19.25, 1]})"), "19.2", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$round": [1234, -2]})"), "1200", BSON_TYPE_INT32);
    expect_value(eval(R"({"$trunc": [7.89, 1]})"), "7.8", BSON_TYPE_DOUBLE);
    EXPECT_EQ(eval_error(R"({"$round": [1.5, 101]})"), 51083);
}

TEST(ExpressionComparison, CompareAcrossNumericTypes) {
    expect_value(eval(R"({"$eq": [1, 1.0]})"), "true", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$lt": [1, "a"]})"), "true",
                 BSON_TYPE_BOOL);  // numbers sort before strings
    expect_value(eval(R"({"$cmp": ["b", "a"]})"), "1", BSON_TYPE_INT32);
    expect_value(eval(R"({"$gte": [2, 2]})"), "true", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$ne": [2, 3]})"), "true", BSON_TYPE_BOOL);
}

TEST(ExpressionLogic, AndOrNotUseTruthiness) {
    expect_value(eval(R"({"$and": [1, "x", true]})"), "true", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$and": [1, 0]})"), "false", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$or": [null, "$nope", 0]})"), "false", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$not": [null]})"), "true", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$and": []})"), "true", BSON_TYPE_BOOL);
}

TEST(ExpressionConditional, CondObjectAndArrayForms) {
    expect_value(eval(R"({"$cond": {"if": {"$gt": ["$a", 1]}, "then": "big", "else": "small"}})",
                      R"({"a": 2})"),
                 "\"big\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$cond": [false, 1, 2]})"), "2", BSON_TYPE_INT32);
    EXPECT_EQ(parse_expression_error(R"({"$cond": {"then": 1, "else": 2}})"), 17080);
    EXPECT_EQ(parse_expression_error(R"({"$cond": {"if": 1, "then": 1, "else": 2, "x": 1}})"),
              17083);
}

TEST(ExpressionConditional, IfNullReturnsFirstNonNull) {
    expect_value(eval(R"({"$ifNull": ["$nope", null, "fallback"]})"), "\"fallback\"",
                 BSON_TYPE_UTF8);
    expect_value(eval(R"({"$ifNull": ["$a", "fallback"]})", R"({"a": 0})"), "0", BSON_TYPE_INT32);
}

TEST(ExpressionConditional, SwitchPicksFirstTrueBranchOrDefault) {
    const char* spec = R"({"$switch": {"branches": [{"case": {"$lt": ["$a", 0]}, "then": "neg"},
                                                    {"case": {"$gt": ["$a", 0]}, "then": "pos"}],
                                       "default": "zero"}})";
    expect_value(eval(spec, R"({"a": 5})"), "\"pos\"", BSON_TYPE_UTF8);
    expect_value(eval(spec, R"({"a": 0})"), "\"zero\"", BSON_TYPE_UTF8);
    EXPECT_EQ(eval_error(R"({"$switch": {"branches": [{"case": false, "then": 1}]}})"), 40066);
    EXPECT_EQ(parse_expression_error(R"({"$switch": {"branches": []}})"), 40068);
    EXPECT_EQ(parse_expression_error(R"({"$switch": {"branches": [{"then": 1}]}})"), 40064);
}

TEST(ExpressionScoping, LetBindsVariables) {
    expect_value(
        eval(R"({"$let": {"vars": {"x": 2, "y": "$a"}, "in": {"$multiply": ["$$x", "$$y"]}}})",
             R"({"a": 21})"),
        "42", BSON_TYPE_INT32);
    EXPECT_EQ(parse_expression_error(R"({"$let": {"vars": {"X": 1}, "in": 1}})"), 16867);
    EXPECT_EQ(parse_expression_error(R"({"$let": {"vars": {}}})"), 16877);
    EXPECT_EQ(parse_expression_error(R"({"$let": {"vars": {"x": 1}, "in": "$$y"}})"), 17276);
}

TEST(ExpressionScoping, MapAndFilter) {
    expect_value(eval(R"({"$map": {"input": "$a", "as": "n", "in": {"$add": ["$$n", 1]}}})",
                      R"({"a": [1, 2]})"),
                 "[2, 3]", BSON_TYPE_ARRAY);
    expect_value(eval(R"({"$map": {"input": [1, 2], "in": {"$multiply": ["$$this", 10]}}})"),
                 "[10, 20]", BSON_TYPE_ARRAY);
    expect_value(eval(R"({"$filter": {"input": [1, 5, 3, 8], "cond": {"$gt": ["$$this", 2]}}})"),
                 "[5, 3, 8]", BSON_TYPE_ARRAY);
    expect_value(
        eval(R"({"$filter": {"input": [1, 5, 3, 8], "cond": {"$gt": ["$$this", 2]}, "limit": 1}})"),
        "[5]", BSON_TYPE_ARRAY);
    expect_value(eval(R"({"$map": {"input": "$nope", "in": 1}})"), "null", BSON_TYPE_NULL);
    EXPECT_EQ(eval_error(R"({"$map": {"input": 5, "in": 1}})"), 16883);
    EXPECT_EQ(eval_error(R"({"$filter": {"input": "x", "cond": true}})"), 28651);
    EXPECT_EQ(parse_expression_error(R"({"$map": {"input": [], "in": 1, "bad": 1}})"), 16879);
}

TEST(ExpressionString, ConcatAndCase) {
    expect_value(eval(R"({"$concat": ["a", "$b", "c"]})", R"({"b": "B"})"), "\"aBc\"",
                 BSON_TYPE_UTF8);
    expect_value(eval(R"({"$concat": ["a", "$nope"]})"), "null", BSON_TYPE_NULL);
    EXPECT_EQ(eval_error(R"({"$concat": ["a", 1]})"), 16702);
    expect_value(eval(R"({"$toUpper": "abC"})"), "\"ABC\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$toLower": "AbC"})"), "\"abc\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$toLower": null})"), "\"\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$toUpper": 2.5})"), "\"2.5\"", BSON_TYPE_UTF8);
}

TEST(ExpressionString, SubstringsByBytesAndCodePoints) {
    expect_value(eval(R"({"$substr": ["hello", 1, 3]})"), "\"ell\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$substrBytes": ["hello", 2, -1]})"), "\"llo\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$substrCP": ["cafétéria", 3, 3]})"), "\"été\"", BSON_TYPE_UTF8);
    EXPECT_EQ(eval_error(R"({"$substrBytes": ["é", 1, 1]})"), 28656);
    EXPECT_EQ(eval_error(R"({"$substrCP": ["abc", "x", 1]})"), 34450);
}

TEST(ExpressionString, LengthsSplitTrim) {
    expect_value(eval(R"({"$strLenBytes": "é"})"), "2", BSON_TYPE_INT32);
    expect_value(eval(R"({"$strLenCP": "é"})"), "1", BSON_TYPE_INT32);
    EXPECT_EQ(eval_error(R"({"$strLenBytes": 1})"), 34473);
    expect_value(eval(R"({"$split": ["a-b--c", "-"]})"), R"(["a", "b", "", "c"])", BSON_TYPE_ARRAY);
    EXPECT_EQ(eval_error(R"({"$split": ["abc", ""]})"), 40087);
    expect_value(eval(R"({"$trim": {"input": "  hi \n"}})"), "\"hi\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$ltrim": {"input": "xxhixx", "chars": "x"}})"), "\"hixx\"",
                 BSON_TYPE_UTF8);
    EXPECT_EQ(parse_expression_error(R"({"$trim": {"chars": "x"}})"), 50695);
}

TEST(ExpressionArray, SizeElemAtFirstLast) {
    expect_value(eval(R"({"$size": [[1, 2, 3]]})"), "3", BSON_TYPE_INT32);
    EXPECT_EQ(eval_error(R"({"$size": "$nope"})"), 17124);
    expect_value(eval(R"({"$arrayElemAt": [[1, 2, 3], -1]})"), "3", BSON_TYPE_INT32);
    EXPECT_TRUE(is_missing(eval(R"({"$arrayElemAt": [[1, 2, 3], 5]})")));
    EXPECT_EQ(eval_error(R"({"$arrayElemAt": ["x", 0]})"), 28689);
    expect_value(eval(R"({"$first": [[4, 5]]})"), "4", BSON_TYPE_INT32);
    expect_value(eval(R"({"$last": "$a"})", R"({"a": [4, 5]})"), "5", BSON_TYPE_INT32);
}

TEST(ExpressionArray, ConcatInIsArrayReverse) {
    expect_value(eval(R"({"$concatArrays": [[1], [2, 3]]})"), "[1, 2, 3]", BSON_TYPE_ARRAY);
    EXPECT_EQ(eval_error(R"({"$concatArrays": [[1], 2]})"), 28664);
    expect_value(eval(R"({"$in": [2, [1, 2]]})"), "true", BSON_TYPE_BOOL);
    EXPECT_EQ(eval_error(R"({"$in": [2, "$nope"]})"), 40081);
    expect_value(eval(R"({"$isArray": [[1]]})"), "true", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$isArray": "x"})"), "false", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$reverseArray": [[1, 2, 3]]})"), "[3, 2, 1]", BSON_TYPE_ARRAY);
}

TEST(ExpressionArray, SliceIndexOfRange) {
    expect_value(eval(R"({"$slice": [[1, 2, 3, 4], 2]})"), "[1, 2]", BSON_TYPE_ARRAY);
    expect_value(eval(R"({"$slice": [[1, 2, 3, 4], -2]})"), "[3, 4]", BSON_TYPE_ARRAY);
    expect_value(eval(R"({"$slice": [[1, 2, 3, 4], 1, 2]})"), "[2, 3]", BSON_TYPE_ARRAY);
    EXPECT_EQ(eval_error(R"({"$slice": [[1], 0, 0]})"), 28729);
    expect_value(eval(R"({"$indexOfArray": [["a", "b", "a"], "a", 1]})"), "2", BSON_TYPE_INT32);
    expect_value(eval(R"({"$indexOfArray": [["a"], "z"]})"), "-1", BSON_TYPE_INT32);
    expect_value(eval(R"({"$range": [0, 10, 3]})"), "[0, 3, 6, 9]", BSON_TYPE_ARRAY);
    expect_value(eval(R"({"$range": [5, 0, -2]})"), "[5, 3, 1]", BSON_TYPE_ARRAY);
    EXPECT_EQ(eval_error(R"({"$range": [0, 10, 0]})"), 34449);
}

// {"$type": ...} is extended JSON to libbson, so this expression is built field by field.
Value type_of(const std::string& argument) {
    Document spec;
    spec.push_back("$type", json_value(argument));
    Variables variables;
    return Expression(Value::document(spec)).evaluate(Document(), variables);
}

TEST(ExpressionType, TypeAndIsNumber) {
    expect_value(type_of("\"$nope\""), "\"missing\"", BSON_TYPE_UTF8);
    expect_value(type_of(R"({"$numberLong": "1"})"), "\"long\"", BSON_TYPE_UTF8);
    expect_value(type_of("[[]]"), "\"array\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$isNumber": 1.5})"), "true", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$isNumber": "1"})"), "false", BSON_TYPE_BOOL);
}

TEST(ExpressionType, ShorthandConversions) {
    expect_value(eval(R"({"$toInt": "42"})"), "42", BSON_TYPE_INT32);
    expect_value(eval(R"({"$toInt": 4.9})"), "4", BSON_TYPE_INT32);
    expect_value(eval(R"({"$toLong": true})"), "1", BSON_TYPE_INT64);
    expect_value(eval(R"({"$toDouble": "2.5"})"), "2.5", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$toString": 2.5})"), "\"2.5\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$toString": {"$date": 0}})"), "\"1970-01-01T00:00:00.000Z\"",
                 BSON_TYPE_UTF8);
    expect_value(eval(R"({"$toBool": 0})"), "false", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$toBool": ""})"), "true", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$toDecimal": 2.5})"), R"({"$numberDecimal": "2.50000000000000"})",
                 BSON_TYPE_DECIMAL128);
    expect_value(eval(R"({"$toDate": "2020-01-02T03:04:05.006Z"})"), R"({"$date": 1577934245006})",
                 BSON_TYPE_DATE_TIME);
    expect_value(eval(R"({"$toObjectId": "5ab9cbfa31c2ab715d42129e"})"),
                 R"({"$oid": "5ab9cbfa31c2ab715d42129e"})", BSON_TYPE_OID);
    expect_value(eval(R"({"$toInt": null})"), "null", BSON_TYPE_NULL);
}

TEST(ExpressionType, ConversionFailuresAre241UnlessOnError) {
    EXPECT_EQ(eval_error(R"({"$toInt": "abc"})"), 241);
    EXPECT_EQ(eval_error(R"({"$toInt": 3000000000})"), 241);
    EXPECT_EQ(eval_error(R"({"$toObjectId": "xyz"})"), 241);
    expect_value(eval(R"({"$convert": {"input": "abc", "to": "int", "onError": -1}})"), "-1",
                 BSON_TYPE_INT32);
    expect_value(eval(R"({"$convert": {"input": "$nope", "to": "int", "onNull": 0}})"), "0",
                 BSON_TYPE_INT32);
    expect_value(eval(R"({"$convert": {"input": "7", "to": 18}})"), "7", BSON_TYPE_INT64);
    EXPECT_EQ(eval_error(R"({"$convert": {"input": 1, "to": "bogus"}})"), 2);
    EXPECT_EQ(parse_expression_error(R"({"$convert": {"input": 1}})"), 9);
}

TEST(ExpressionObject, MergeObjectsAndObjectArrayRoundTrip) {
    expect_value(eval(R"({"$mergeObjects": [{"a": 1, "b": 1}, null, {"b": 2}]})"),
                 R"({"a": 1, "b": 2})", BSON_TYPE_DOCUMENT);
    EXPECT_EQ(eval_error(R"({"$mergeObjects": [1]})"), 40400);
    expect_value(eval(R"({"$objectToArray": {"a": 1}})"), R"([{"k": "a", "v": 1}])",
                 BSON_TYPE_ARRAY);
    expect_value(eval(R"({"$arrayToObject": [[["a", 1], ["b", 2]]]})"), R"({"a": 1, "b": 2})",
                 BSON_TYPE_DOCUMENT);
    expect_value(eval(R"({"$arrayToObject": [[{"k": "a", "v": 1}]]})"), R"({"a": 1})",
                 BSON_TYPE_DOCUMENT);
    EXPECT_EQ(eval_error(R"({"$arrayToObject": [[["a", 1, 2]]]})"), 40397);
    EXPECT_EQ(eval_error(R"({"$objectToArray": 1})"), 40390);
}

TEST(ExpressionObject, GetFieldAndSetField) {
    expect_value(eval(R"({"$getField": "a.b"})", R"({"a.b": 1})"), "1", BSON_TYPE_INT32);
    expect_value(eval(R"({"$getField": {"field": "x", "input": {"x": 2}}})"), "2", BSON_TYPE_INT32);
    expect_value(eval(R"({"$setField": {"field": "x", "input": {"y": 1}, "value": 2}})"),
                 R"({"y": 1, "x": 2})", BSON_TYPE_DOCUMENT);
    expect_value(eval(R"({"$setField": {"field": "y", "input": {"y": 1}, "value": "$$REMOVE"}})"),
                 "{}", BSON_TYPE_DOCUMENT);
}

TEST(ExpressionDate, PartsOfADate) {
    const char* doc = R"({"d": {"$date": "2021-03-14T15:09:26.535Z"}})";
    expect_value(eval(R"({"$year": "$d"})", doc), "2021", BSON_TYPE_INT32);
    expect_value(eval(R"({"$month": "$d"})", doc), "3", BSON_TYPE_INT32);
    expect_value(eval(R"({"$dayOfMonth": "$d"})", doc), "14", BSON_TYPE_INT32);
    expect_value(eval(R"({"$hour": "$d"})", doc), "15", BSON_TYPE_INT32);
    expect_value(eval(R"({"$minute": "$d"})", doc), "9", BSON_TYPE_INT32);
    expect_value(eval(R"({"$second": "$d"})", doc), "26", BSON_TYPE_INT32);
    expect_value(eval(R"({"$dayOfWeek": "$d"})", doc), "1", BSON_TYPE_INT32);  // a Sunday
    expect_value(eval(R"({"$hour": {"date": "$d", "timezone": "+02:00"}})", doc), "17",
                 BSON_TYPE_INT32);
    EXPECT_EQ(eval_error(R"({"$year": "x"})"), 16006);
}

TEST(ExpressionDate, DateToStringFormats) {
    const char* doc = R"({"d": {"$date": "2021-03-14T15:09:26.535Z"}})";
    expect_value(eval(R"({"$dateToString": {"date": "$d"}})", doc), "\"2021-03-14T15:09:26.535Z\"",
                 BSON_TYPE_UTF8);
    expect_value(
        eval(R"({"$dateToString": {"date": "$d", "format": "%Y/%m/%d %H:%M:%S.%L"}})", doc),
        "\"2021/03/14 15:09:26.535\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$dateToString": {"date": "$nope", "onNull": "none"}})"), "\"none\"",
                 BSON_TYPE_UTF8);
    EXPECT_EQ(parse_expression_error(R"({"$dateToString": {"date": "$d", "format": "%Q"}})"),
              18536);
    EXPECT_EQ(parse_expression_error(R"({"$dateToString": {"format": "%Y"}})"), 18628);
}

TEST(ExpressionAccumulatorForm, SumAvgMinMaxOverArrays) {
    expect_value(eval(R"({"$sum": "$a"})", R"({"a": [1, 2, "x", 3]})"), "6", BSON_TYPE_INT32);
    expect_value(eval(R"({"$sum": [1, 2.5]})"), "3.5", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$avg": [[1, 2, 3, 4]]})"), "2.5", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$max": [1, 5, null, 3]})"), "5", BSON_TYPE_INT32);
    expect_value(eval(R"({"$min": "$nope"})"), "null", BSON_TYPE_NULL);
}

TEST(ExpressionScoping, ReduceFoldsWithValueAndThis) {
    expect_value(eval(R"({"$reduce": {"input": [1, 2, 3], "initialValue": 0,
                                       "in": {"$add": ["$$value", "$$this"]}}})"),
                 "6", BSON_TYPE_INT32);
    expect_value(eval(R"({"$reduce": {"input": "$nope", "initialValue": 0, "in": 1}})"), "null",
                 BSON_TYPE_NULL);
    EXPECT_EQ(parse_expression_error(R"({"$reduce": {"input": [], "in": 1}})"), 40078);
}

TEST(ExpressionArray, SetOperatorsTreatArraysAsSets) {
    EXPECT_EQ(eval(R"({"$size": {"$setUnion": [[1, 2], [2, 3, 3]]}})").as_int32(), 3);
    expect_value(eval(R"({"$setIntersection": [[1, 2, 3], [3, 2]]})"), "[2, 3]", BSON_TYPE_ARRAY);
    expect_value(eval(R"({"$setDifference": [[1, 2, 3], [2]]})"), "[1, 3]", BSON_TYPE_ARRAY);
    expect_value(eval(R"({"$setEquals": [[1, 2, 2], [2, 1]]})"), "true", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$setIsSubset": [[1], [1, 2]]})"), "true", BSON_TYPE_BOOL);
    EXPECT_EQ(eval_error(R"({"$setUnion": [[1], 2]})"), 17043);
}

TEST(ExpressionArithmetic, ExponentsAndLogarithms) {
    expect_value(eval(R"({"$exp": 0})"), "1.0", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$ln": 1})"), "0.0", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$log10": 1000})"), "3.0", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$log": [8, 2]})"), "3.0", BSON_TYPE_DOUBLE);
    EXPECT_EQ(eval_error(R"({"$ln": 0})"), 28766);
    EXPECT_EQ(eval_error(R"({"$log": [8, 1]})"), 28759);
}

TEST(ExpressionString, IndexOfReplaceAndRegexMatch) {
    expect_value(eval(R"({"$indexOfBytes": ["banana", "an", 2]})"), "3", BSON_TYPE_INT32);
    expect_value(eval(R"({"$indexOfCP": ["cafétéria", "t"]})"), "4", BSON_TYPE_INT32);
    expect_value(eval(R"({"$indexOfBytes": ["abc", "z"]})"), "-1", BSON_TYPE_INT32);
    expect_value(eval(R"({"$replaceOne": {"input": "a-b-c", "find": "-", "replacement": "+"}})"),
                 "\"a+b-c\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$replaceAll": {"input": "a-b-c", "find": "-", "replacement": "+"}})"),
                 "\"a+b+c\"", BSON_TYPE_UTF8);
    expect_value(eval(R"({"$regexMatch": {"input": "Hello", "regex": "^h", "options": "i"}})"),
                 "true", BSON_TYPE_BOOL);
    expect_value(eval(R"({"$regexMatch": {"input": null, "regex": "x"}})"), "false",
                 BSON_TYPE_BOOL);
    EXPECT_EQ(parse_expression_error(R"({"$regexMatch": {"regex": "x"}})"), 31022);
}

TEST(ExpressionDate, DateFromPartsNormalisesOverflowingParts) {
    expect_value(eval(R"({"$dateFromParts": {"year": 2020, "month": 2, "day": 30}})"),
                 R"({"$date": "2020-03-01T00:00:00Z"})", BSON_TYPE_DATE_TIME);
    expect_value(eval(R"({"$dateFromParts": {"year": 2020, "hour": 5, "timezone": "+02:00"}})"),
                 R"({"$date": "2020-01-01T03:00:00Z"})", BSON_TYPE_DATE_TIME);
    expect_value(
        eval(R"({"$dateFromParts": {"isoWeekYear": 2021, "isoWeek": 1, "isoDayOfWeek": 1}})"),
        R"({"$date": "2021-01-04T00:00:00Z"})", BSON_TYPE_DATE_TIME);
    EXPECT_EQ(parse_expression_error(R"({"$dateFromParts": {"month": 1}})"), 40516);
    EXPECT_EQ(eval_error(R"({"$dateFromParts": {"year": 0}})"), 40523);
}

TEST(ExpressionDate, DateFromStringWithAndWithoutFormat) {
    expect_value(eval(R"({"$dateFromString": {"dateString": "2017-02-08T12:10:40.787Z"}})"),
                 R"({"$date": "2017-02-08T12:10:40.787Z"})", BSON_TYPE_DATE_TIME);
    expect_value(eval(R"({"$dateFromString": {"dateString": "15/06/2018", "format": "%d/%m/%Y"}})"),
                 R"({"$date": "2018-06-15T00:00:00Z"})", BSON_TYPE_DATE_TIME);
    expect_value(eval(R"({"$dateFromString": {"dateString": "2017-02-08", "timezone": "+01:00"}})"),
                 R"({"$date": "2017-02-07T23:00:00Z"})", BSON_TYPE_DATE_TIME);
    expect_value(eval(R"({"$dateFromString": {"dateString": "nope", "onError": "bad"}})"),
                 "\"bad\"", BSON_TYPE_UTF8);
    EXPECT_EQ(eval_error(R"({"$dateFromString": {"dateString": "nope"}})"), 241);
}

TEST(ExpressionAccumulatorForm, StandardDeviations) {
    expect_value(eval(R"({"$stdDevPop": [[2, 4, 4, 4, 5, 5, 7, 9]]})"), "2.0", BSON_TYPE_DOUBLE);
    expect_value(eval(R"({"$stdDevSamp": [[1]]})"), "null", BSON_TYPE_NULL);
}

TEST(ExpressionRand, DrawsADoubleInTheUnitInterval) {
    for (int i = 0; i < 100; ++i) {
        Value value = eval(R"({"$rand": {}})");
        ASSERT_EQ(value.type(), BSON_TYPE_DOUBLE);
        EXPECT_GE(value.as_double(), 0.0);
        EXPECT_LT(value.as_double(), 1.0);
    }
    EXPECT_EQ(eval(R"({"$rand": []})").type(), BSON_TYPE_DOUBLE);
    EXPECT_FALSE(Expression(json_value(R"({"$rand": {}})")).is_constant());
}

TEST(ExpressionRand, AcceptsNoArguments) {
    EXPECT_EQ(parse_expression_error(R"({"$rand": {"a": 1}})"), 3040501);
    EXPECT_EQ(parse_expression_error(R"({"$rand": [1]})"), 3040501);
    EXPECT_EQ(parse_expression_error(R"({"$rand": 1})"), 10065);
}

TEST(VariablesFromLet, EvaluatesEachLetExpressionOnceInOrder) {
    Variables let = Variables::from_let(
        Document::from_json(R"({"a": {"$add": [1, 2]}, "b": {"$multiply": ["$$a", 2]}})"));
    expect_value(*let.lookup("a"), "3", BSON_TYPE_INT32);
    expect_value(*let.lookup("b"), "6", BSON_TYPE_INT32);
    EXPECT_NE(let.lookup("NOW"), nullptr);
    EXPECT_EQ(let.lookup("CLUSTER_TIME"), nullptr);
}

TEST(VariablesFromLet, BindsClusterTimeWhenGiven) {
    Value time = Value::timestamp(42, 1);
    Variables let = Variables::from_let(Document::from_json(R"({"t": "$$CLUSTER_TIME"})"), &time);
    EXPECT_TRUE(values_equal(*let.lookup("t"), time));
}

TEST(VariablesFromLet, RejectsInvalidVariableNames) {
    EXPECT_EQ(error_code_of([] { Variables::from_let(Document::from_json(R"({"Bad": 1})")); }),
              16867);
}

}  // namespace
}  // namespace tmd
