// Unit tests for Matcher: every query operator and its documented edge cases, and the errors
// mongod returns for invalid filters (MongoDB manual, "Query Predicates").
#include "engine/matcher.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "engine/expression.h"
#include "engine_test_util.h"

namespace tmd {
namespace {

bool matches(const char* filter, const char* doc) {
    return Matcher(json(filter)).matches(json(doc));
}

int filter_error(const char* filter) {
    return error_code_of([&] { Matcher matcher{json(filter)}; });
}

std::string filter_error_message(const char* filter) {
    try {
        Matcher matcher{json(filter)};
    } catch (const MongoError& error) {
        return error.message();
    }
    return "";
}

TEST(Matcher, EmptyFilterMatchesEverything) {
    Matcher matcher{Document()};
    EXPECT_TRUE(matcher.matches_everything());
    EXPECT_TRUE(matcher.matches(json(R"({"a": 1})")));
    EXPECT_FALSE(Matcher(json(R"({"a": 1})")).matches_everything());
}

TEST(Matcher, ImplicitEqualityComparesNumbersAcrossTypes) {
    EXPECT_TRUE(matches(R"({"a": 1})", R"({"a": 1.0})"));
    EXPECT_TRUE(matches(R"({"a": 1})", R"({"a": {"$numberLong": "1"}})"));
    EXPECT_TRUE(matches(R"({"a": 1})", R"({"a": {"$numberDecimal": "1.0"}})"));
    EXPECT_FALSE(matches(R"({"a": 1})", R"({"a": "1"})"));
    EXPECT_FALSE(matches(R"({"a": 1})", R"({"b": 1})"));
}

TEST(Matcher, EqualityMatchesArrayElementsAndWholeArray) {
    EXPECT_TRUE(matches(R"({"a": 2})", R"({"a": [1, 2, 3]})"));
    EXPECT_TRUE(matches(R"({"a": [1, 2]})", R"({"a": [1, 2]})"));
    EXPECT_TRUE(matches(R"({"a": [1, 2]})", R"({"a": [[1, 2], 3]})"));
    EXPECT_FALSE(matches(R"({"a": [2, 1]})", R"({"a": [1, 2]})"));
    EXPECT_FALSE(matches(R"({"a": 1})", R"({"a": [[1]]})"));
}

TEST(Matcher, EmbeddedDocumentEqualityIsExactIncludingFieldOrder) {
    EXPECT_TRUE(matches(R"({"a": {"b": 1, "c": 2}})", R"({"a": {"b": 1, "c": 2}})"));
    EXPECT_FALSE(matches(R"({"a": {"b": 1, "c": 2}})", R"({"a": {"c": 2, "b": 1}})"));
    EXPECT_FALSE(matches(R"({"a": {"b": 1}})", R"({"a": {"b": 1, "c": 2}})"));
}

TEST(Matcher, DottedPathsDescendIntoDocumentsAndArrays) {
    EXPECT_TRUE(matches(R"({"a.b": 1})", R"({"a": {"b": 1}})"));
    EXPECT_TRUE(matches(R"({"a.b": 2})", R"({"a": [{"b": 1}, {"b": 2}]})"));
    EXPECT_TRUE(matches(R"({"a.b": 3})", R"({"a": [{"b": [2, 3]}]})"));
    EXPECT_FALSE(matches(R"({"a.b": 1})", R"({"a": [[{"b": 1}]]})"));
    EXPECT_FALSE(matches(R"({"a.b": 1})", R"({"a": 5})"));
}

TEST(Matcher, NumericPathComponentIndexesArrays) {
    EXPECT_TRUE(matches(R"({"a.1": 5})", R"({"a": [4, 5]})"));
    EXPECT_FALSE(matches(R"({"a.0": 5})", R"({"a": [4, 5]})"));
    EXPECT_TRUE(matches(R"({"a.0.b": 1})", R"({"a": [{"b": 1}]})"));
    EXPECT_TRUE(matches(R"({"a.0": 1})", R"({"a": {"0": 1}})"));
}

TEST(Matcher, NullMatchesNullAndMissing) {
    EXPECT_TRUE(matches(R"({"a": null})", R"({"a": null})"));
    EXPECT_TRUE(matches(R"({"a": null})", R"({"b": 1})"));
    EXPECT_TRUE(matches(R"({"a": null})", R"({"a": [1, null]})"));
    EXPECT_TRUE(matches(R"({"a.b": null})", R"({"a": [{"b": 1}, {"c": 1}]})"));
    EXPECT_FALSE(matches(R"({"a": null})", R"({"a": 0})"));
    EXPECT_FALSE(matches(R"({"a": null})", R"({"a": []})"));
    // mongod's jstests/core/null2.js: arrays without documents yield no "a.b" at all.
    EXPECT_TRUE(matches(R"({"a.b": null})", R"({"a": [{}]})"));
    EXPECT_FALSE(matches(R"({"a.b": null})", R"({"a": []})"));
    EXPECT_FALSE(matches(R"({"a.b": null})", R"({"a": [5, {"b": 5}]})"));
    EXPECT_TRUE(matches(R"({"a.b": null})", R"({"a": 5})"));
    EXPECT_TRUE(matches(R"({"a": {"$ne": null}})", R"({"a": 0})"));
    EXPECT_FALSE(matches(R"({"a": {"$ne": null}})", R"({"b": 0})"));
}

TEST(Matcher, ComparisonsStayWithinTypeBracket) {
    EXPECT_TRUE(matches(R"({"a": {"$gt": 1}})", R"({"a": 1.5})"));
    EXPECT_FALSE(matches(R"({"a": {"$gt": 1}})", R"({"a": "2"})"));
    EXPECT_FALSE(matches(R"({"a": {"$lt": "z"}})", R"({"a": 1})"));
    EXPECT_TRUE(matches(R"({"a": {"$gte": 2, "$lte": 2}})", R"({"a": {"$numberLong": "2"}})"));
    EXPECT_TRUE(matches(R"({"a": {"$lt": 2}})", R"({"a": [5, 1]})"));
    EXPECT_FALSE(matches(R"({"a": {"$lt": 0}})", R"({"b": 1})"));
    EXPECT_TRUE(matches(R"({"a": {"$gte": null}})", R"({"b": 1})"));
    EXPECT_FALSE(matches(R"({"a": {"$gt": null}})", R"({"b": 1})"));
}

TEST(Matcher, ComparisonsAgainstMinKeyAndMaxKeySpanAllTypes) {
    EXPECT_TRUE(matches(R"({"a": {"$gt": {"$minKey": 1}}})", R"({"a": "x"})"));
    EXPECT_TRUE(matches(R"({"a": {"$lt": {"$maxKey": 1}}})", R"({"a": true})"));
}

TEST(Matcher, NaNOnlyEqualsNaN) {
    EXPECT_TRUE(
        matches(R"({"a": {"$numberDouble": "NaN"}})", R"({"a": {"$numberDouble": "NaN"}})"));
    EXPECT_FALSE(matches(R"({"a": {"$lt": 0}})", R"({"a": {"$numberDouble": "NaN"}})"));
    EXPECT_FALSE(matches(R"({"a": {"$gt": {"$numberDouble": "NaN"}}})", R"({"a": 1})"));
}

TEST(Matcher, NotEqualIsNegatedEqualityOverArrays) {
    EXPECT_FALSE(matches(R"({"a": {"$ne": 2}})", R"({"a": [1, 2]})"));
    EXPECT_TRUE(matches(R"({"a": {"$ne": 3}})", R"({"a": [1, 2]})"));
    EXPECT_TRUE(matches(R"({"a": {"$ne": 3}})", R"({"b": 1})"));
}

TEST(Matcher, InAndNinWithValuesRegexesAndNull) {
    EXPECT_TRUE(matches(R"({"a": {"$in": [1, 2]}})", R"({"a": 2})"));
    EXPECT_TRUE(matches(R"({"a": {"$in": [1, 2]}})", R"({"a": [5, 1]})"));
    EXPECT_TRUE(
        matches(R"({"a": {"$in": [{"$regularExpression": {"pattern": "^x", "options": ""}}]}})",
                R"({"a": "xy"})"));
    EXPECT_TRUE(matches(R"({"a": {"$in": [null]}})", R"({"b": 1})"));
    EXPECT_FALSE(matches(R"({"a": {"$in": []}})", R"({"a": 1})"));
    EXPECT_TRUE(matches(R"({"a": {"$nin": [1, 2]}})", R"({"a": 3})"));
    EXPECT_FALSE(matches(R"({"a": {"$nin": [1, 2]}})", R"({"a": [3, 2]})"));
    EXPECT_TRUE(matches(R"({"a": {"$nin": [1]}})", R"({"b": 1})"));
}

TEST(Matcher, InRejectsNonArrayAndNestedOperators) {
    EXPECT_EQ(filter_error_message(R"({"a": {"$in": 1}})"), "$in needs an array");
    EXPECT_EQ(filter_error_message(R"({"a": {"$nin": 1}})"), "$nin needs an array");
    EXPECT_EQ(filter_error_message(R"({"a": {"$in": [{"$gt": 1}]}})"), "cannot nest $ under $in");
}

TEST(Matcher, ExistsTrueAndFalse) {
    EXPECT_TRUE(matches(R"({"a": {"$exists": true}})", R"({"a": null})"));
    EXPECT_FALSE(matches(R"({"a": {"$exists": true}})", R"({"b": 1})"));
    EXPECT_TRUE(matches(R"({"a": {"$exists": false}})", R"({"b": 1})"));
    EXPECT_TRUE(matches(R"({"a": {"$exists": 0}})", R"({"b": 1})"));
    EXPECT_TRUE(matches(R"({"a.b": {"$exists": true}})", R"({"a": [{"c": 1}, {"b": 1}]})"));
    EXPECT_TRUE(matches(R"({"a.b": {"$exists": false}})", R"({"a": [1, 2]})"));
}

// libbson's JSON parser reads {"$type": ...} and {"$regex": ...} as legacy extended JSON, so
// filters using those operators are built field by field.
Document op(const char* name, Value arg) {
    Document ops;
    ops.push_back(name, std::move(arg));
    Document filter;
    filter.push_back("a", Value::document(std::move(ops)));
    return filter;
}

bool type_matches(Value type, const char* doc) {
    return Matcher(op("$type", std::move(type))).matches(json(doc));
}

int type_error(Value type) {
    try {
        Matcher matcher{op("$type", std::move(type))};
    } catch (const MongoError& error) {
        return error.code();
    }
    return 0;
}

TEST(Matcher, TypeByNumberAliasAndNumber) {
    EXPECT_TRUE(type_matches(Value::string("string"), R"({"a": "x"})"));
    EXPECT_TRUE(type_matches(Value::int32(2), R"({"a": "x"})"));
    EXPECT_TRUE(type_matches(Value::string("number"), R"({"a": {"$numberLong": "5"}})"));
    EXPECT_TRUE(
        type_matches(Value::array({Value::string("bool"), Value::string("int")}), R"({"a": 5})"));
    EXPECT_TRUE(type_matches(Value::string("array"), R"({"a": []})"));
    EXPECT_TRUE(type_matches(Value::string("int"), R"({"a": ["x", 1]})"));
    EXPECT_TRUE(type_matches(Value::int32(-1), R"({"a": {"$minKey": 1}})"));
    EXPECT_FALSE(type_matches(Value::string("null"), R"({"b": 1})"));
    EXPECT_EQ(type_error(Value::string("foo")), code::BadValue);
    EXPECT_EQ(type_error(Value::int32(100)), code::BadValue);
    EXPECT_EQ(type_error(Value::document({})), code::TypeMismatch);
    EXPECT_EQ(type_error(Value::array({})), code::BadValue);
}

TEST(Matcher, AndOrNorCombineClauses) {
    EXPECT_TRUE(matches(R"({"$and": [{"a": 1}, {"b": 2}]})", R"({"a": 1, "b": 2})"));
    EXPECT_FALSE(matches(R"({"$and": [{"a": 1}, {"b": 3}]})", R"({"a": 1, "b": 2})"));
    EXPECT_TRUE(matches(R"({"$or": [{"a": 5}, {"b": 2}]})", R"({"a": 1, "b": 2})"));
    EXPECT_FALSE(matches(R"({"$or": [{"a": 5}, {"b": 5}]})", R"({"a": 1, "b": 2})"));
    EXPECT_TRUE(matches(R"({"$nor": [{"a": 5}, {"b": 5}]})", R"({"a": 1, "b": 2})"));
    EXPECT_FALSE(matches(R"({"$nor": [{"a": 1}]})", R"({"a": 1})"));
}

TEST(Matcher, LogicalOperatorsRejectBadArguments) {
    EXPECT_EQ(filter_error_message(R"({"$and": []})"), "$and/$or/$nor must be a nonempty array");
    EXPECT_EQ(filter_error_message(R"({"$or": 1})"), "$or must be an array");
    EXPECT_EQ(filter_error_message(R"({"$nor": [1]})"),
              "$or/$and/$nor entries need to be full objects");
}

TEST(Matcher, NotNegatesOperatorsAndRegexes) {
    EXPECT_TRUE(matches(R"({"a": {"$not": {"$gt": 5}}})", R"({"a": 3})"));
    EXPECT_TRUE(matches(R"({"a": {"$not": {"$gt": 5}}})", R"({"b": 3})"));
    EXPECT_FALSE(matches(R"({"a": {"$not": {"$gt": 5}}})", R"({"a": [1, 6]})"));
    EXPECT_FALSE(
        matches(R"({"a": {"$not": {"$regularExpression": {"pattern": "^x", "options": ""}}}})",
                R"({"a": "xy"})"));
    EXPECT_EQ(filter_error_message(R"({"a": {"$not": 1}})"), "$not needs a regex or a document");
    EXPECT_EQ(filter_error_message(R"({"a": {"$not": {}}})"), "$not cannot be empty");
    EXPECT_EQ(filter_error(R"({"$not": {"a": 1}})"), code::BadValue);
}

bool regex_matches(const char* pattern, const char* options, const char* doc) {
    Document ops;
    ops.push_back("$regex", Value::string(pattern));
    if (options) ops.push_back("$options", Value::string(options));
    Document filter;
    filter.push_back("a", Value::document(std::move(ops)));
    return Matcher(filter).matches(json(doc));
}

TEST(Matcher, RegexOperatorHonoursOptions) {
    EXPECT_TRUE(regex_matches("^ab", nullptr, R"({"a": "abc"})"));
    EXPECT_FALSE(regex_matches("^AB", nullptr, R"({"a": "abc"})"));
    EXPECT_TRUE(regex_matches("^AB", "i", R"({"a": "abc"})"));
    EXPECT_TRUE(regex_matches("^b", "m", R"({"a": "a\nb"})"));
    EXPECT_FALSE(regex_matches("^b", nullptr, R"({"a": "a\nb"})"));
    EXPECT_TRUE(regex_matches("a.b", "s", R"({"a": "a\nb"})"));
    EXPECT_FALSE(regex_matches("a.b", nullptr, R"({"a": "a\nb"})"));
    EXPECT_TRUE(regex_matches("a b # comment", "x", R"({"a": "ab"})"));
    EXPECT_FALSE(regex_matches("1", nullptr, R"({"a": 1})"));
}

TEST(Matcher, RegexValuesMatchStringsAndEqualRegexes) {
    EXPECT_TRUE(matches(R"({"a": {"$regularExpression": {"pattern": "b", "options": "i"}}})",
                        R"({"a": ["x", "B"]})"));
    EXPECT_TRUE(
        matches(R"({"a": {"$eq": {"$regularExpression": {"pattern": "b", "options": ""}}}})",
                R"({"a": {"$regularExpression": {"pattern": "b", "options": ""}}})"));
    EXPECT_FALSE(
        matches(R"({"a": {"$eq": {"$regularExpression": {"pattern": "b", "options": ""}}}})",
                R"({"a": "b"})"));
}

TEST(Matcher, RegexRejectsBadArguments) {
    auto message = [](Document filter) {
        try {
            Matcher matcher{filter};
        } catch (const MongoError& error) {
            return error.message();
        }
        return std::string();
    };
    EXPECT_EQ(message(op("$options", Value::string("i"))), "$options needs a $regex");
    EXPECT_EQ(message(op("$regex", Value::int32(1))), "$regex has to be a string");
    EXPECT_EQ(message(op("$regex", Value::string("("))).rfind("Regular expression is invalid", 0),
              0u);
    Document ops;
    ops.push_back("$regex", Value::string("x"));
    ops.push_back("$options", Value::string("z"));
    Document filter;
    filter.push_back("a", Value::document(ops));
    EXPECT_EQ(message(filter), "invalid flag in regex options: z");
}

TEST(Matcher, ElemMatchValueForm) {
    EXPECT_TRUE(matches(R"({"a": {"$elemMatch": {"$gt": 1, "$lt": 3}}})", R"({"a": [0, 2, 5]})"));
    EXPECT_FALSE(matches(R"({"a": {"$elemMatch": {"$gt": 1, "$lt": 3}}})", R"({"a": [0, 5]})"));
    EXPECT_FALSE(matches(R"({"a": {"$elemMatch": {"$gt": 1}}})", R"({"a": 5})"));
}

TEST(Matcher, ElemMatchDocumentForm) {
    const char* filter = R"({"a": {"$elemMatch": {"b": 1, "c": {"$gt": 1}}}})";
    EXPECT_TRUE(matches(filter, R"({"a": [{"b": 1, "c": 2}]})"));
    EXPECT_FALSE(matches(filter, R"({"a": [{"b": 1, "c": 0}, {"b": 2, "c": 2}]})"));
    EXPECT_TRUE(
        matches(R"({"a": {"$elemMatch": {"$or": [{"b": 1}, {"c": 1}]}}})", R"({"a": [{"c": 1}]})"));
    EXPECT_EQ(filter_error_message(R"({"a": {"$elemMatch": 1}})"), "$elemMatch needs an Object");
}

TEST(Matcher, SizeMatchesArrayLength) {
    EXPECT_TRUE(matches(R"({"a": {"$size": 2}})", R"({"a": [1, 2]})"));
    EXPECT_TRUE(matches(R"({"a": {"$size": 1}})", R"({"a": [[1, 2]]})"));
    EXPECT_FALSE(matches(R"({"a": {"$size": 2}})", R"({"a": [[1, 2]]})"));
    EXPECT_FALSE(matches(R"({"a": {"$size": 1}})", R"({"a": 1})"));
    EXPECT_TRUE(matches(R"({"a.b": {"$size": 1}})", R"({"a": [{"b": [1]}]})"));
    EXPECT_EQ(filter_error_message(R"({"a": {"$size": "x"}})"), "$size needs a number");
}

TEST(Matcher, AllRequiresEveryValue) {
    EXPECT_TRUE(matches(R"({"a": {"$all": [1, 2]}})", R"({"a": [2, 3, 1]})"));
    EXPECT_FALSE(matches(R"({"a": {"$all": [1, 4]}})", R"({"a": [2, 3, 1]})"));
    EXPECT_TRUE(matches(R"({"a": {"$all": [1]}})", R"({"a": 1})"));
    EXPECT_FALSE(matches(R"({"a": {"$all": []}})", R"({"a": [1]})"));
    EXPECT_TRUE(matches(R"({"a": {"$all": [{"$elemMatch": {"b": 1}}, {"$elemMatch": {"b": 2}}]}})",
                        R"({"a": [{"b": 1}, {"b": 2}]})"));
    EXPECT_EQ(filter_error_message(R"({"a": {"$all": 1}})"), "$all needs an array");
    EXPECT_EQ(filter_error_message(R"({"a": {"$all": [{"$elemMatch": {"b": 1}}, 1]}})"),
              "$all/$elemMatch has to be consistent");
    EXPECT_EQ(filter_error_message(R"({"a": {"$all": [{"$gt": 1}]}})"), "no $ expressions in $all");
}

TEST(Matcher, ModMatchesRemainder) {
    EXPECT_TRUE(matches(R"({"a": {"$mod": [4, 1]}})", R"({"a": 9})"));
    EXPECT_TRUE(matches(R"({"a": {"$mod": [4, 1]}})", R"({"a": 9.7})"));
    EXPECT_FALSE(matches(R"({"a": {"$mod": [4, 1]}})", R"({"a": 8})"));
    EXPECT_TRUE(matches(R"({"a": {"$mod": [4, -1]}})", R"({"a": -5})"));
    EXPECT_EQ(filter_error_message(R"({"a": {"$mod": [4]}})"),
              "malformed mod, not enough elements");
    EXPECT_EQ(filter_error_message(R"({"a": {"$mod": [4, 1, 2]}})"),
              "malformed mod, too many elements");
    EXPECT_EQ(filter_error_message(R"({"a": {"$mod": [0, 1]}})"), "divisor cannot be 0");
    EXPECT_EQ(filter_error_message(R"({"a": {"$mod": 4}})"), "malformed mod, needs to be an array");
}

TEST(Matcher, ExprEvaluatesAggregationExpressions) {
    EXPECT_TRUE(matches(R"({"$expr": {"$gt": ["$a", "$b"]}})", R"({"a": 2, "b": 1})"));
    EXPECT_FALSE(matches(R"({"$expr": {"$gt": ["$a", "$b"]}})", R"({"a": 1, "b": 2})"));
    EXPECT_FALSE(matches(R"({"$expr": "$missing"})", R"({"a": 1})"));
    EXPECT_TRUE(matches(R"({"$expr": {"$eq": ["$a", 1]}, "b": 2})", R"({"a": 1, "b": 2})"));
}

TEST(Matcher, ExprSeesLetVariables) {
    Variables variables;
    variables.define("limit", Value::int32(5));
    Matcher matcher(json(R"({"$expr": {"$lt": ["$a", "$$limit"]}})"), &variables);
    EXPECT_TRUE(matcher.matches(json(R"({"a": 3})")));
    EXPECT_FALSE(matcher.matches(json(R"({"a": 7})")));
}

TEST(Matcher, ExprSeesCommandLetVariables) {
    Variables let = Variables::from_let(json(R"({"id": {"$add": [1, 1]}})"));
    Matcher matcher(json(R"({"$expr": {"$eq": ["$_id", "$$id"]}})"), &let);
    EXPECT_TRUE(matcher.matches(json(R"({"_id": 2})")));
    EXPECT_FALSE(matcher.matches(json(R"({"_id": 1})")));
}

TEST(Matcher, CommentIsIgnored) {
    EXPECT_TRUE(matches(R"({"$comment": "hi", "a": 1})", R"({"a": 1})"));
}

TEST(Matcher, UnknownOperatorsAreBadValue) {
    EXPECT_EQ(filter_error_message(R"({"a": {"$foo": 1}})"), "unknown operator: $foo");
    EXPECT_EQ(filter_error(R"({"a": {"$foo": 1}})"), code::BadValue);
    EXPECT_EQ(filter_error(R"({"$foo": 1})"), code::BadValue);
    EXPECT_EQ(filter_error_message(R"({"$foo": 1})").rfind("unknown top level operator: $foo", 0),
              0u);
}

TEST(Matcher, DocumentsWhoseFirstFieldIsNotAnOperatorAreValues) {
    EXPECT_TRUE(matches(R"({"a": {"b": 1, "$c": 2}})", R"({"a": {"b": 1, "$c": 2}})"));
    EXPECT_TRUE(matches(R"({"a": {"$ref": "c", "$id": 1}})", R"({"a": {"$ref": "c", "$id": 1}})"));
}

TEST(Matcher, DetailsReportFirstMatchingArrayPosition) {
    MatchDetails details;
    EXPECT_TRUE(Matcher(json(R"({"a": 3})")).matches(json(R"({"a": [1, 3, 3]})"), &details));
    EXPECT_EQ(details.array_index, 1u);
    MatchDetails nested;
    EXPECT_TRUE(Matcher(json(R"({"a.b": 2})"))
                    .matches(json(R"({"a": [{"b": 1}, {"b": [0, 2]}]})"), &nested));
    EXPECT_EQ(nested.array_index, 1u);
    MatchDetails elem;
    EXPECT_TRUE(Matcher(json(R"({"a": {"$elemMatch": {"b": 2}}})"))
                    .matches(json(R"({"a": [{"b": 1}, {"b": 2}]})"), &elem));
    EXPECT_EQ(elem.array_index, 1u);
}

TEST(MatcherUpsertSeed, TakesEqualitiesFromTopLevelAndAnd) {
    Document seed =
        Matcher(
            json(R"({"b": 1, "_id": 7, "$and": [{"a.c": 2}], "d": {"$gt": 1}, "e": {"$eq": 3}})"))
            .upsert_seed();
    EXPECT_EQ(seed.to_json(), R"({ "_id" : 7, "a" : { "c" : 2 }, "b" : 1, "e" : 3 })");
}

TEST(MatcherUpsertSeed, IgnoresOrWithSeveralClausesAndNegations) {
    Document seed =
        Matcher(json(R"({"$or": [{"a": 1}, {"a": 2}], "b": {"$ne": 1}, "c": {"$in": [5]}})"))
            .upsert_seed();
    EXPECT_EQ(seed.to_json(), R"({ "c" : 5 })");
}

TEST(MatcherUpsertSeed, RejectsTwoEqualitiesOnOnePath) {
    try {
        Matcher(json(R"({"a": 1, "$and": [{"a": 2}]})")).upsert_seed();
        FAIL() << "expected NotSingleValueField";
    } catch (const MongoError& error) {
        EXPECT_EQ(error.code(), code::NotSingleValueField);
    }
    EXPECT_THROW(Matcher(json(R"({"a": 1, "a.b": 2})")).upsert_seed(), MongoError);
}

}  // namespace
}  // namespace tmd
