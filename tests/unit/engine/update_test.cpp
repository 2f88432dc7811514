// Unit tests for Update: replacement, every update operator, positional and filtered positional
// paths, field order, conflicts and the error codes mongod returns (manual, "Update Operators").
#include "engine/update.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "engine/expression.h"
#include "engine_test_util.h"

namespace tmd {
namespace {

Value spec(const char* text) {
    return Value::document(json(text));
}

// Applies `update` to `doc` and returns the result as JSON.
std::string updated(const char* update, const char* doc, bool inserting = false,
                    const MatchDetails* details = nullptr) {
    Document d = json(doc);
    Update(spec(update)).apply(d, inserting, details);
    return d.to_json();
}

std::string with_filters(const char* update, const char* filters, const char* doc) {
    Array array = json(filters).get("f")->array();
    Document d = json(doc);
    Update(spec(update), &array).apply(d, false);
    return d.to_json();
}

int update_error(const char* update, const char* doc = "{}") {
    return error_code_of([&] {
        Document d = json(doc);
        Update(spec(update)).apply(d, false);
    });
}

std::string update_error_message(const char* update, const char* doc = "{}") {
    try {
        Document d = json(doc);
        Update(spec(update)).apply(d, false);
    } catch (const MongoError& error) {
        return error.message();
    }
    return "";
}

TEST(UpdateReplacement, KeepsIdFirstAndReplacesOtherFields) {
    EXPECT_EQ(updated(R"({"b": 2, "_id": 1})", R"({"_id": 1, "a": 1})"),
              R"({ "_id" : 1, "b" : 2 })");
    EXPECT_EQ(updated(R"({"b": 2})", R"({"a": 1, "_id": 1})"), R"({ "_id" : 1, "b" : 2 })");
    EXPECT_TRUE(Update(spec(R"({"b": 2})")).is_replacement());
    EXPECT_TRUE(Update(spec("{}")).is_replacement());
}

TEST(UpdateReplacement, RejectsChangingId) {
    EXPECT_EQ(update_error(R"({"_id": 2})", R"({"_id": 1})"), code::ImmutableField);
    EXPECT_EQ(update_error_message(R"({"_id": 2})", R"({"_id": 1})"),
              "Performing an update on the path '_id' would modify the immutable field '_id'");
}

TEST(UpdateReplacement, AllowsDotsAndEmbeddedDollarsButNotTopLevelDollars) {
    EXPECT_EQ(updated(R"({"a.b": 1, "c": {"$d": 1}})", R"({"_id": 1})"),
              R"({ "_id" : 1, "a.b" : 1, "c" : { "$d" : 1 } })");
    EXPECT_EQ(update_error(R"({"a": 1, "$b": 1})"), code::DollarPrefixedFieldName);
}

TEST(UpdateSet, SetsExistingAndAppendsNewFieldsInLexicographicOrder) {
    EXPECT_EQ(updated(R"({"$set": {"c": 1, "a": 2, "x": 3}})", R"({"_id": 1, "x": 0})"),
              R"({ "_id" : 1, "x" : 3, "a" : 2, "c" : 1 })");
}

TEST(UpdateSet, NumericFieldNamesApplyInNumericOrder) {
    EXPECT_EQ(updated(R"({"$set": {"b.10": 1, "b.2": 2, "b.x": 3}})", R"({"b": {}})"),
              R"({ "b" : { "2" : 2, "10" : 1, "x" : 3 } })");
}

TEST(UpdateInc, DecimalArithmeticStaysDecimal) {
    EXPECT_EQ(updated(R"({"$inc": {"a": 1}})", R"({"a": {"$numberDecimal": "1.1"}})"),
              R"({ "a" : { "$numberDecimal" : "2.1" } })");
}

TEST(UpdateSet, CreatesEmbeddedDocumentsAlongDottedPaths) {
    EXPECT_EQ(updated(R"({"$set": {"a.b.c": 1}})", R"({"_id": 1})"),
              R"({ "_id" : 1, "a" : { "b" : { "c" : 1 } } })");
}

TEST(UpdateSet, NumericComponentsIndexArraysAndPadWithNull) {
    EXPECT_EQ(updated(R"({"$set": {"a.1": 9}})", R"({"a": [1, 2]})"), R"({ "a" : [ 1, 9 ] })");
    EXPECT_EQ(updated(R"({"$set": {"a.3": 9}})", R"({"a": [1]})"),
              R"({ "a" : [ 1, null, null, 9 ] })");
    EXPECT_EQ(updated(R"({"$set": {"a.0.b": 9}})", R"({"a": [{"b": 1}]})"),
              R"({ "a" : [ { "b" : 9 } ] })");
}

TEST(UpdateSet, CannotCreateFieldInsideScalar) {
    EXPECT_EQ(update_error(R"({"$set": {"a.b": 1}})", R"({"a": 5})"), code::PathNotViable);
    EXPECT_EQ(update_error(R"({"$set": {"a.b": 1}})", R"({"a": [1]})"), code::PathNotViable);
}

TEST(UpdateSet, NoOpReportsUnchanged) {
    Document doc = json(R"({"_id": 1, "a": 1})");
    EXPECT_FALSE(Update(spec(R"({"$set": {"a": 1}})")).apply(doc, false));
    EXPECT_TRUE(Update(spec(R"({"$set": {"a": 1.0}})")).apply(doc, false));
    EXPECT_FALSE(Update(spec(R"({"$set": {}})")).apply(doc, false));
}

TEST(UpdateSet, IdMayNotChange) {
    EXPECT_EQ(update_error(R"({"$set": {"_id": 2}})", R"({"_id": 1})"), code::ImmutableField);
    EXPECT_EQ(update_error(R"({"$unset": {"_id": 1}})", R"({"_id": 1})"), code::ImmutableField);
    EXPECT_EQ(update_error(R"({"$set": {"_id": 1}})", R"({"_id": 1})"), 0);
}

TEST(UpdateUnset, RemovesFieldsAndNullsArrayElements) {
    EXPECT_EQ(updated(R"({"$unset": {"a": ""}})", R"({"a": 1, "b": 2})"), R"({ "b" : 2 })");
    EXPECT_EQ(updated(R"({"$unset": {"a.1": ""}})", R"({"a": [1, 2]})"),
              R"({ "a" : [ 1, null ] })");
    EXPECT_EQ(updated(R"({"$unset": {"x.y": ""}})", R"({"a": 1})"), R"({ "a" : 1 })");
}

TEST(UpdateInc, AddsWithTypePromotion) {
    EXPECT_EQ(updated(R"({"$inc": {"a": 2}})", R"({"a": 1})"), R"({ "a" : 3 })");
    EXPECT_EQ(updated(R"({"$inc": {"a": 2}})", R"({})"), R"({ "a" : 2 })");
    EXPECT_EQ(updated(R"({"$inc": {"a": 0.5}})", R"({"a": 1})"), R"({ "a" : 1.5 })");
    Document big = json(R"({"a": 2147483647})");
    Update(spec(R"({"$inc": {"a": 1}})")).apply(big, false);
    EXPECT_EQ(big.get("a")->type(), BSON_TYPE_INT64);
    EXPECT_EQ(big.get("a")->as_int64(), 2147483648);
}

TEST(UpdateInc, RejectsNonNumbers) {
    EXPECT_EQ(update_error(R"({"$inc": {"a": 1}})", R"({"_id": 1, "a": "x"})"), code::TypeMismatch);
    EXPECT_EQ(update_error(R"({"$inc": {"a": "x"}})"), code::TypeMismatch);
    EXPECT_EQ(
        update_error(R"({"$inc": {"a": 1}})", R"({"a": {"$numberLong": "9223372036854775807"}})"),
        code::BadValue);
}

TEST(UpdateMul, MultipliesAndSetsZeroWhenMissing) {
    EXPECT_EQ(updated(R"({"$mul": {"a": 3}})", R"({"a": 2})"), R"({ "a" : 6 })");
    EXPECT_EQ(updated(R"({"$mul": {"a": 3}})", R"({})"), R"({ "a" : 0 })");
    EXPECT_EQ(update_error(R"({"$mul": {"a": 3}})", R"({"a": "x"})"), code::TypeMismatch);
}

TEST(UpdateMinMax, ReplaceOnlyWhenBeyondCurrent) {
    EXPECT_EQ(updated(R"({"$min": {"a": 1}})", R"({"a": 2})"), R"({ "a" : 1 })");
    EXPECT_EQ(updated(R"({"$min": {"a": 3}})", R"({"a": 2})"), R"({ "a" : 2 })");
    EXPECT_EQ(updated(R"({"$max": {"a": 3}})", R"({"a": 2})"), R"({ "a" : 3 })");
    EXPECT_EQ(updated(R"({"$max": {"a": 3}})", R"({})"), R"({ "a" : 3 })");
}

TEST(UpdateRename, MovesFieldToNewName) {
    EXPECT_EQ(updated(R"({"$rename": {"a": "z"}})", R"({"a": 1, "b": 2})"),
              R"({ "b" : 2, "z" : 1 })");
    EXPECT_EQ(updated(R"({"$rename": {"a.b": "c"}})", R"({"a": {"b": 1}})"),
              R"({ "a" : {  }, "c" : 1 })");
    EXPECT_EQ(updated(R"({"$rename": {"x": "y"}})", R"({"a": 1})"), R"({ "a" : 1 })");
    EXPECT_EQ(update_error(R"({"$rename": {"a": "a"}})"), code::BadValue);
    EXPECT_EQ(update_error(R"({"$rename": {"a": "a.b"}})"), code::BadValue);
    EXPECT_EQ(update_error(R"({"$rename": {"a": 1}})"), code::BadValue);
    EXPECT_EQ(update_error(R"({"$rename": {"a.b": "c"}})", R"({"a": [{"b": 1}]})"), code::BadValue);
}

TEST(UpdatePush, AppendsAndCreatesArrays) {
    EXPECT_EQ(updated(R"({"$push": {"a": 3}})", R"({"a": [1]})"), R"({ "a" : [ 1, 3 ] })");
    EXPECT_EQ(updated(R"({"$push": {"a": [3]}})", R"({})"), R"({ "a" : [ [ 3 ] ] })");
    EXPECT_EQ(update_error(R"({"$push": {"a": 3}})", R"({"a": 1})"), code::BadValue);
}

TEST(UpdatePush, EachPositionSortAndSlice) {
    EXPECT_EQ(updated(R"({"$push": {"a": {"$each": [4, 5], "$position": 0}}})", R"({"a": [1]})"),
              R"({ "a" : [ 4, 5, 1 ] })");
    EXPECT_EQ(updated(R"({"$push": {"a": {"$each": [9], "$position": -1}}})", R"({"a": [1, 2]})"),
              R"({ "a" : [ 1, 9, 2 ] })");
    EXPECT_EQ(updated(R"({"$push": {"a": {"$each": [3, 1], "$sort": -1, "$slice": 2}}})",
                      R"({"a": [2]})"),
              R"({ "a" : [ 3, 2 ] })");
    EXPECT_EQ(updated(R"({"$push": {"a": {"$each": [], "$slice": -1}}})", R"({"a": [1, 2]})"),
              R"({ "a" : [ 2 ] })");
    EXPECT_EQ(updated(R"({"$push": {"a": {"$each": [{"s": 1}], "$sort": {"s": 1}}}})",
                      R"({"a": [{"s": 3}, {"s": 2}]})"),
              R"({ "a" : [ { "s" : 1 }, { "s" : 2 }, { "s" : 3 } ] })");
    EXPECT_EQ(update_error(R"({"$push": {"a": {"$each": 1}}})"), code::BadValue);
    EXPECT_EQ(update_error(R"({"$push": {"a": {"$each": [1], "$bad": 1}}})"), code::BadValue);
    EXPECT_EQ(update_error(R"({"$push": {"a": {"$each": [1], "$sort": 2}}})"), code::BadValue);
}

TEST(UpdateAddToSet, AddsOnlyMissingValues) {
    EXPECT_EQ(updated(R"({"$addToSet": {"a": 1}})", R"({"a": [1, 2]})"), R"({ "a" : [ 1, 2 ] })");
    EXPECT_EQ(updated(R"({"$addToSet": {"a": {"$each": [2, 3, 3]}}})", R"({"a": [1, 2]})"),
              R"({ "a" : [ 1, 2, 3 ] })");
    EXPECT_EQ(updated(R"({"$addToSet": {"a": 1}})", R"({})"), R"({ "a" : [ 1 ] })");
    EXPECT_EQ(update_error(R"({"$addToSet": {"a": 1}})", R"({"a": 1})"), code::BadValue);
}

TEST(UpdatePop, RemovesFirstOrLast) {
    EXPECT_EQ(updated(R"({"$pop": {"a": 1}})", R"({"a": [1, 2]})"), R"({ "a" : [ 1 ] })");
    EXPECT_EQ(updated(R"({"$pop": {"a": -1}})", R"({"a": [1, 2]})"), R"({ "a" : [ 2 ] })");
    EXPECT_EQ(updated(R"({"$pop": {"a": 1}})", R"({})"), R"({ })");
    EXPECT_EQ(update_error(R"({"$pop": {"a": 2}})"), code::FailedToParse);
    EXPECT_EQ(update_error(R"({"$pop": {"a": 1}})", R"({"a": 1})"), code::TypeMismatch);
}

TEST(UpdatePull, RemovesByValueConditionAndQuery) {
    EXPECT_EQ(updated(R"({"$pull": {"a": 2}})", R"({"a": [1, 2, 2, 3]})"), R"({ "a" : [ 1, 3 ] })");
    EXPECT_EQ(updated(R"({"$pull": {"a": {"$gte": 2}}})", R"({"a": [1, 2, 3]})"),
              R"({ "a" : [ 1 ] })");
    EXPECT_EQ(updated(R"({"$pull": {"a": {"b": 1}}})", R"({"a": [{"b": 1, "c": 1}, {"b": 2}, 1]})"),
              R"({ "a" : [ { "b" : 2 }, 1 ] })");
    EXPECT_EQ(updated(R"({"$pull": {"a": [1, 2]}})", R"({"a": [[1, 2], [1, 3]]})"),
              R"({ "a" : [ [ 1, 3 ] ] })");
    EXPECT_EQ(update_error(R"({"$pull": {"a": 1}})", R"({"a": 1})"), code::BadValue);
}

TEST(UpdatePullAll, RemovesEveryListedValue) {
    EXPECT_EQ(updated(R"({"$pullAll": {"a": [1, 3]}})", R"({"a": [1, 2, 3, 1]})"),
              R"({ "a" : [ 2 ] })");
    EXPECT_EQ(update_error(R"({"$pullAll": {"a": 1}})"), code::BadValue);
}

// {"$type": ...} is legacy extended JSON to libbson's parser, so these specs are built by hand.
Value current_date(Document fields) {
    Document update;
    update.push_back("$currentDate", Value::document(std::move(fields)));
    return Value::document(std::move(update));
}

Value type_spec(const char* type) {
    Document spec;
    spec.push_back("$type", Value::string(type));
    return Value::document(std::move(spec));
}

TEST(UpdateCurrentDate, SetsDateOrTimestamp) {
    Document fields;
    fields.push_back("d", Value::boolean(true));
    fields.push_back("t", type_spec("timestamp"));
    fields.push_back("e", type_spec("date"));
    Document doc = json(R"({"_id": 1})");
    EXPECT_TRUE(Update(current_date(fields)).apply(doc, false));
    EXPECT_EQ(doc.get("d")->type(), BSON_TYPE_DATE_TIME);
    EXPECT_EQ(doc.get("e")->type(), BSON_TYPE_DATE_TIME);
    EXPECT_EQ(doc.get("t")->type(), BSON_TYPE_TIMESTAMP);
}

TEST(UpdateCurrentDate, RejectsUnknownType) {
    Document fields;
    fields.push_back("d", type_spec("x"));
    try {
        Update u(current_date(fields));
        FAIL() << "expected BadValue";
    } catch (const MongoError& error) {
        EXPECT_EQ(error.code(), code::BadValue);
    }
}

TEST(UpdateSetOnInsert, AppliesOnlyWhenInserting) {
    EXPECT_EQ(updated(R"({"$setOnInsert": {"a": 1}, "$set": {"b": 1}})", R"({})", false),
              R"({ "b" : 1 })");
    EXPECT_EQ(updated(R"({"$setOnInsert": {"a": 1}, "$set": {"b": 1}})", R"({})", true),
              R"({ "a" : 1, "b" : 1 })");
}

TEST(UpdatePositional, DollarUsesMatchedArrayIndex) {
    MatchDetails details;
    details.array_index = 1;
    EXPECT_EQ(updated(R"({"$set": {"a.$": 9}})", R"({"a": [1, 2, 3]})", false, &details),
              R"({ "a" : [ 1, 9, 3 ] })");
    EXPECT_EQ(
        updated(R"({"$inc": {"a.$.n": 1}})", R"({"a": [{"n": 1}, {"n": 5}]})", false, &details),
        R"({ "a" : [ { "n" : 1 }, { "n" : 6 } ] })");
    EXPECT_EQ(update_error(R"({"$set": {"a.$": 9}})", R"({"a": [1]})"), code::BadValue);
}

TEST(UpdatePositional, AllElementsAndArrayFilters) {
    EXPECT_EQ(updated(R"({"$inc": {"a.$[]": 1}})", R"({"a": [1, 2]})"), R"({ "a" : [ 2, 3 ] })");
    EXPECT_EQ(updated(R"({"$set": {"a.$[].b": 0}})", R"({"a": [{"b": 1}, {"c": 1}]})"),
              R"({ "a" : [ { "b" : 0 }, { "c" : 1, "b" : 0 } ] })");
    EXPECT_EQ(with_filters(R"({"$set": {"a.$[x]": 0}})", R"({"f": [{"x": {"$gt": 1}}]})",
                           R"({"a": [1, 2, 3]})"),
              R"({ "a" : [ 1, 0, 0 ] })");
    EXPECT_EQ(with_filters(R"({"$set": {"a.$[e].v": 0}})", R"({"f": [{"e.k": "b"}]})",
                           R"({"a": [{"k": "a", "v": 1}, {"k": "b", "v": 1}]})"),
              R"({ "a" : [ { "k" : "a", "v" : 1 }, { "k" : "b", "v" : 0 } ] })");
    EXPECT_EQ(update_error(R"({"$set": {"a.$[]": 1}})", R"({"a": 1})"), code::BadValue);
    EXPECT_EQ(update_error(R"({"$set": {"a.$[]": 1}})", R"({})"), code::BadValue);
}

TEST(UpdatePositional, ArrayFilterErrors) {
    auto code_of = [](const char* update, const char* filters) {
        try {
            Array array = json(filters).get("f")->array();
            Update u(spec(update), &array);
        } catch (const MongoError& error) {
            return error.code();
        }
        return 0;
    };
    EXPECT_EQ(code_of(R"({"$set": {"a.$[x]": 1}})", R"({"f": []})"), code::BadValue);
    EXPECT_EQ(code_of(R"({"$set": {"a": 1}})", R"({"f": [{"x": 1}]})"), code::FailedToParse);
    EXPECT_EQ(code_of(R"({"$set": {"a.$[x]": 1}})", R"({"f": [{"x": 1}, {"x": 2}]})"),
              code::FailedToParse);
    EXPECT_EQ(code_of(R"({"$set": {"a.$[X]": 1}})", R"({"f": [{"X": 1}]})"), code::BadValue);
}

TEST(UpdateConflicts, SamePathOrPrefixIsConflict) {
    EXPECT_EQ(update_error_message(R"({"$set": {"a": 1}, "$inc": {"a": 1}})"),
              "Updating the path 'a' would create a conflict at 'a'");
    EXPECT_EQ(update_error_message(R"({"$set": {"a": 1, "a.b": 1}})"),
              "Updating the path 'a.b' would create a conflict at 'a'");
    EXPECT_EQ(update_error(R"({"$rename": {"a": "b"}, "$set": {"b": 1}})"),
              code::ConflictingUpdateOperators);
    EXPECT_EQ(update_error(R"({"$set": {"a.b": 1, "a.c": 1}})"), 0);
}

TEST(UpdateParsing, RejectsUnknownModifiersAndBadArguments) {
    EXPECT_EQ(update_error(R"({"$foo": {"a": 1}})"), code::FailedToParse);
    EXPECT_EQ(update_error(R"({"$set": {"a": 1}, "b": 1})"), code::FailedToParse);
    EXPECT_EQ(update_error(R"({"$set": 1})"), code::FailedToParse);
    EXPECT_EQ(update_error(R"({"$set": {"": 1}})"), code::EmptyFieldName);
    EXPECT_EQ(update_error(R"({"$set": {"a..b": 1}})"), code::EmptyFieldName);
}

Value pipeline(const char* stages) {
    return *json(stages).get("p");
}

TEST(UpdatePipeline, RunsStagesOnTheDocument) {
    Document doc = json(R"({"_id": 1, "a": 1})");
    EXPECT_TRUE(
        Update(pipeline(R"({"p": [{"$set": {"b": {"$add": ["$a", 1]}}}, {"$unset": "a"}]})"))
            .apply(doc, false));
    EXPECT_EQ(doc.to_json(), R"({ "_id" : 1, "b" : 2 })");
    EXPECT_FALSE(Update(pipeline(R"({"p": []})")).apply(doc, false));
    EXPECT_FALSE(Update(pipeline(R"({"p": []})")).is_replacement());
}

TEST(UpdatePipeline, IdStaysImmutable) {
    Document doc = json(R"({"_id": 1, "a": 1})");
    try {
        Update(pipeline(R"({"p": [{"$set": {"_id": 2}}]})")).apply(doc, false);
        FAIL() << "expected ImmutableField";
    } catch (const MongoError& error) {
        EXPECT_EQ(error.code(), code::ImmutableField);
    }
    EXPECT_EQ(doc.to_json(), R"({ "_id" : 1, "a" : 1 })");
}

TEST(UpdatePipeline, OutputWithoutIdKeepsTheOriginalId) {
    Document doc = json(R"({"_id": 1, "x": 1, "t": {"u": {"v": 1}}})");
    EXPECT_TRUE(Update(pipeline(R"({"p": [{"$replaceRoot": {"newRoot": "$t"}},
                                          {"$addFields": {"foo": 1}}]})"))
                    .apply(doc, false));
    EXPECT_EQ(doc.to_json(), R"({ "_id" : 1, "u" : { "v" : 1 }, "foo" : 1 })");
    Document projected = json(R"({"_id": 2, "x": 1, "y": 1})");
    EXPECT_TRUE(
        Update(pipeline(R"({"p": [{"$project": {"_id": 0, "y": 1}}]})")).apply(projected, false));
    EXPECT_EQ(projected.to_json(), R"({ "_id" : 2, "y" : 1 })");
}

TEST(UpdatePipeline, MaySetTopLevelDollarField) {
    Document doc = json(R"({"_id": 1})");
    EXPECT_TRUE(Update(pipeline(R"({"p": [{"$replaceWith": {"$setField": {
        "field": {"$literal": "$a"}, "value": 1, "input": "$$ROOT"}}}]})"))
                    .apply(doc, false));
    EXPECT_EQ(doc.to_json(), R"({ "_id" : 1, "$a" : 1 })");
}

TEST(UpdatePipeline, SeesCommandLetVariables) {
    Variables let = Variables::from_let(json(R"({"x": "foo"})"));
    Document doc = json(R"({"_id": 1})");
    EXPECT_TRUE(
        Update(pipeline(R"({"p": [{"$set": {"x": "$$x"}}]})"), nullptr, &let).apply(doc, false));
    EXPECT_EQ(doc.to_json(), R"({ "_id" : 1, "x" : "foo" })");
}

TEST(UpdatePipeline, RejectsStagesNotAllowedInUpdates) {
    EXPECT_THROW(Update(pipeline(R"({"p": [{"$match": {"a": 1}}]})")), MongoError);
}

// Returns "<code> <message>" of the error validate_for_storage throws, or "" when it accepts.
std::string storage_error(const char* doc, bool allow_top_level_dollar = true) {
    try {
        validate_for_storage(json(doc), allow_top_level_dollar);
    } catch (const MongoError& error) {
        return std::to_string(error.code()) + " " + error.message();
    }
    return "";
}

TEST(ValidateForStorage, RejectsBadIdTypesAsInsertDoes) {
    EXPECT_EQ(storage_error(R"({"_id": [1]})"), "2 can't use an array for _id");
    EXPECT_EQ(storage_error(R"({"_id": {"$undefined": true}})"), "2 can't use a undefined for _id");
    EXPECT_EQ(storage_error(R"({"_id": {"a": 1}, "b.c": {"$d": 1}})"), "");
}

TEST(ValidateForStorage, AcceptsTopLevelDollarFieldsFromMongoDB50) {
    EXPECT_EQ(storage_error(R"({"a": 1, "$a": 1})"), "");
    EXPECT_EQ(storage_error(R"({"a": 1, "$a": 1})", false),
              "2 Document can't have $ prefixed field names: $a");
}

TEST(ValidateForStorage, RejectsDollarFieldsInsideIdDocuments) {
    EXPECT_EQ(storage_error(R"({"_id": {"$a": 1}})"),
              "52 _id fields may not contain '$'-prefixed fields: $a is not valid for storage.");
    EXPECT_EQ(storage_error(R"({"_id": {"a": [{"$b": 1}]}})"),
              "52 _id fields may not contain '$'-prefixed fields: $b is not valid for storage.");
    EXPECT_EQ(storage_error(R"({"_id": {"r": {"$ref": "c", "$id": 1, "$db": "d"}}})"), "");
}

TEST(UpdateSet, UpdatedIdMustNotBeAnArray) {
    EXPECT_EQ(update_error(R"({"$set": {"_id": [1]}})", R"({"a": 1})"), code::InvalidIdField);
}

}  // namespace
}  // namespace tmd
