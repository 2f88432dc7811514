// $jsonSchema as the manual's "$jsonSchema" page documents it, through the matcher, with the
// parse errors of mongod's json_schema_parser.cpp and the explanations of validation errors.
#include "engine/json_schema.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "engine/matcher.h"
#include "engine_test_util.h"

namespace tmd {
namespace {

bool matches(const std::string& schema, const std::string& doc) {
    Matcher matcher(Document::from_json(R"({"$jsonSchema": )" + schema + "}"));
    return matcher.matches(Document::from_json(doc));
}

int schema_error(const std::string& schema) {
    return error_code_of(
        [&] { Matcher(Document::from_json(R"({"$jsonSchema": )" + schema + "}")); });
}

TEST(JsonSchema, BsonTypeAndRequiredOnTheDocument) {
    const std::string schema =
        R"({"bsonType": "object", "required": ["name"], "properties": {"name": {"bsonType": "string"}, "year": {"bsonType": ["int", "long"]}}})";
    EXPECT_TRUE(matches(schema, R"({"name": "x", "year": 2017})"));
    EXPECT_FALSE(matches(schema, R"({"year": 2017})"));
    EXPECT_FALSE(matches(schema, R"({"name": 1})"));
    EXPECT_FALSE(matches(schema, R"({"name": "x", "year": 1.5})"));
}

TEST(JsonSchema, KeywordsForOtherTypesDoNotApply) {
    const std::string schema = R"({"properties": {"a": {"minimum": 5, "minLength": 3}}})";
    EXPECT_TRUE(matches(schema, R"({"a": "long"})"));
    EXPECT_TRUE(matches(schema, R"({"a": 7})"));
    EXPECT_TRUE(matches(schema, R"({"a": [1]})"));
    EXPECT_FALSE(matches(schema, R"({"a": 4})"));
    EXPECT_FALSE(matches(schema, R"({"a": "ab"})"));
}

TEST(JsonSchema, NumericBoundsWithExclusiveForms) {
    const std::string schema =
        R"({"properties": {"a": {"minimum": 0, "maximum": 10, "exclusiveMaximum": true}}})";
    EXPECT_TRUE(matches(schema, R"({"a": 0})"));
    EXPECT_FALSE(matches(schema, R"({"a": 10})"));
    EXPECT_TRUE(matches(schema, R"({"a": 9.5})"));
}

TEST(JsonSchema, JsonTypeNumberMatchesEveryNumericType) {
    EXPECT_TRUE(
        matches(R"({"properties": {"a": {"type": "number"}}})", R"({"a": {"$numberLong": "1"}})"));
    EXPECT_FALSE(matches(R"({"properties": {"a": {"type": "number"}}})", R"({"a": "1"})"));
    EXPECT_TRUE(
        matches(R"({"properties": {"a": {"type": ["null", "boolean"]}}})", R"({"a": null})"));
}

TEST(JsonSchema, StringLengthInCharactersAndPattern) {
    const std::string schema = R"({"properties": {"s": {"maxLength": 2, "pattern": "^a"}}})";
    EXPECT_TRUE(matches(schema, R"({"s": "aé"})"));
    EXPECT_FALSE(matches(schema, R"({"s": "abc"})"));
    EXPECT_FALSE(matches(schema, R"({"s": "ba"})"));
}

TEST(JsonSchema, EnumAdditionalAndPatternProperties) {
    EXPECT_TRUE(matches(R"({"properties": {"c": {"enum": ["red", 1]}}})", R"({"c": 1})"));
    EXPECT_FALSE(matches(R"({"properties": {"c": {"enum": ["red", 1]}}})", R"({"c": "blue"})"));
    const std::string closed =
        R"({"properties": {"_id": {}, "a": {}}, "patternProperties": {"^x_": {"bsonType": "int"}}, "additionalProperties": false})";
    EXPECT_TRUE(matches(closed, R"({"_id": 1, "a": 2, "x_1": 3})"));
    EXPECT_FALSE(matches(closed, R"({"_id": 1, "b": 2})"));
    EXPECT_FALSE(matches(closed, R"({"_id": 1, "x_1": "no"})"));
    EXPECT_FALSE(matches(R"({"additionalProperties": {"bsonType": "int"}})", R"({"a": "s"})"));
}

TEST(JsonSchema, ArrayKeywords) {
    EXPECT_TRUE(matches(R"({"properties": {"a": {"items": {"bsonType": "int"}, "minItems": 1}}})",
                        R"({"a": [1, 2]})"));
    EXPECT_FALSE(
        matches(R"({"properties": {"a": {"items": {"bsonType": "int"}}}})", R"({"a": [1, "x"]})"));
    EXPECT_FALSE(matches(R"({"properties": {"a": {"maxItems": 1}}})", R"({"a": [1, 2]})"));
    EXPECT_FALSE(matches(R"({"properties": {"a": {"uniqueItems": true}}})", R"({"a": [1, 1]})"));
    const std::string tuple =
        R"({"properties": {"a": {"items": [{"bsonType": "string"}], "additionalItems": false}}})";
    EXPECT_TRUE(matches(tuple, R"({"a": ["x"]})"));
    EXPECT_FALSE(matches(tuple, R"({"a": ["x", 2]})"));
    EXPECT_FALSE(matches(tuple, R"({"a": [1]})"));
}

TEST(JsonSchema, PropertyCountsDependenciesAndLogic) {
    EXPECT_FALSE(matches(R"({"minProperties": 3})", R"({"_id": 1, "a": 1})"));
    EXPECT_FALSE(matches(R"({"maxProperties": 1})", R"({"_id": 1, "a": 1})"));
    EXPECT_FALSE(matches(R"({"dependencies": {"a": ["b"]}})", R"({"a": 1})"));
    EXPECT_TRUE(matches(R"({"dependencies": {"a": ["b"]}})", R"({"c": 1})"));
    EXPECT_FALSE(matches(R"({"dependencies": {"a": {"required": ["b"]}}})", R"({"a": 1})"));
    const std::string a_int = R"({"properties": {"a": {"bsonType": "int"}}})";
    const std::string a_small = R"({"properties": {"a": {"maximum": 3}}})";
    EXPECT_TRUE(matches(R"({"allOf": [)" + a_int + "," + a_small + "]}", R"({"a": 2})"));
    EXPECT_FALSE(matches(R"({"allOf": [)" + a_int + "," + a_small + "]}", R"({"a": 4})"));
    EXPECT_TRUE(matches(R"({"anyOf": [)" + a_int + "," + a_small + "]}", R"({"a": 2.5})"));
    EXPECT_FALSE(matches(R"({"oneOf": [)" + a_int + "," + a_small + "]}", R"({"a": 2})"));
    EXPECT_FALSE(matches(R"({"not": )" + a_int + "}", R"({"a": 2})"));
}

TEST(JsonSchema, TitleAndDescriptionAreIgnored) {
    EXPECT_TRUE(matches(R"({"title": "t", "description": "d"})", R"({"a": 1})"));
}

TEST(JsonSchema, ParseErrorsAreMongods) {
    EXPECT_EQ(schema_error(R"({"format": "email"})"), code::FailedToParse);
    EXPECT_EQ(schema_error(R"({"$ref": "#/x"})"), code::FailedToParse);
    EXPECT_EQ(schema_error(R"({"nope": 1})"), code::FailedToParse);
    EXPECT_EQ(schema_error(R"({"type": "integer"})"), code::FailedToParse);
    EXPECT_EQ(schema_error(R"({"type": "object", "bsonType": "object"})"), code::FailedToParse);
    EXPECT_EQ(schema_error(R"({"minimum": "1"})"), code::TypeMismatch);
    EXPECT_EQ(schema_error(R"({"exclusiveMinimum": true})"), code::FailedToParse);
    EXPECT_EQ(schema_error(R"({"required": []})"), code::FailedToParse);
    EXPECT_EQ(schema_error(R"({"bsonType": "bogus"})"), code::BadValue);
    EXPECT_EQ(schema_error("1"), code::TypeMismatch);
}

TEST(JsonSchema, ExplanationListsTheRulesNotSatisfied) {
    JsonSchema schema(Value::document(Document::from_json(
        R"({"required": ["name", "major"], "properties": {"gpa": {"bsonType": "double", "description": "must be a double"}}})")));
    Array rules = schema.unsatisfied_rules(Document::from_json(R"({"name": "x", "gpa": 3})"));
    EXPECT_EQ(Value::array(rules).to_json(), Value::array(Document::from_json(R"({"r": [
                  {"operatorName": "required", "specifiedAs": {"required": ["name", "major"]},
                   "missingProperties": ["major"]},
                  {"operatorName": "properties", "propertiesNotSatisfied": [
                      {"propertyName": "gpa", "description": "must be a double", "details": [
                          {"operatorName": "bsonType", "specifiedAs": {"bsonType": "double"},
                           "reason": "type did not match", "consideredValue": 3,
                           "consideredType": "int"}]}]}]})")
                                                              .get("r")
                                                              ->array())
                                                 .to_json());
}

}  // namespace
}  // namespace tmd
