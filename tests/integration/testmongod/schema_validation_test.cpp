// Integration: $jsonSchema validators and queries through libmongoc, as the manual's "Schema
// Validation" pages describe them (errInfo example of "Specify JSON Schema Validation",
// validationLevel and validationAction in "Specify Validation Level for Existing Documents" and
// "Choose How to Handle Invalid Documents", bypassDocumentValidation).
#include <gtest/gtest.h>

#include "storage_test_fixture.h"

namespace {

using storagetest::Bson;
using storagetest::StorageTest;

// The manual's "students" schema.
constexpr const char* kStudents = R"({"$jsonSchema": {
    "bsonType": "object", "title": "Student Object Validation",
    "required": ["name", "year", "major"],
    "properties": {
        "name": {"bsonType": "string", "description": "'name' must be a string and is required"},
        "year": {"bsonType": "int", "minimum": 2017, "maximum": 3017},
        "gpa": {"bsonType": ["double"], "description": "'gpa' must be a double if the field exists"}
    }}})";

class SchemaValidationTest : public StorageTest {
  protected:
    void SetUp() override {
        StorageTest::SetUp();
        ok(std::string(R"({"create": "students", "validator": )") + kStudents + "}");
    }
};

// The manual's example: gpa is an int, not a double.
TEST_F(SchemaValidationTest, AFailingDocumentIsRejectedWithTheRulesItBreaks) {
    Bson reply = ok(R"({"insert": "students", "documents": [
        {"_id": 1, "name": "Alice", "year": 2019, "major": "History", "gpa": 3}]})");
    EXPECT_EQ(reply.number("writeErrors.0.code"), 121);
    EXPECT_EQ(reply.number("writeErrors.0.errInfo.failingDocumentId"), 1);
    const std::string details = "writeErrors.0.errInfo.details.";
    EXPECT_EQ(reply.string((details + "operatorName").c_str()), "$jsonSchema");
    EXPECT_EQ(reply.string((details + "title").c_str()), "Student Object Validation");
    Bson rules = reply.document((details + "schemaRulesNotSatisfied").c_str());
    EXPECT_EQ(rules.string("0.operatorName"), "properties");
    EXPECT_EQ(rules.string("0.propertiesNotSatisfied.0.propertyName"), "gpa");
    EXPECT_EQ(rules.string("0.propertiesNotSatisfied.0.description"),
              "'gpa' must be a double if the field exists");
    EXPECT_EQ(rules.string("0.propertiesNotSatisfied.0.details.0.operatorName"), "bsonType");
    EXPECT_EQ(rules.string("0.propertiesNotSatisfied.0.details.0.reason"), "type did not match");
    EXPECT_EQ(rules.string("0.propertiesNotSatisfied.0.details.0.consideredType"), "int");
    EXPECT_FALSE(rules.has("1"));
}

TEST_F(SchemaValidationTest, AMissingRequiredFieldIsReported) {
    Bson reply =
        ok(R"({"insert": "students", "documents": [{"_id": 1, "name": "Al", "year": 2019}]})");
    Bson rules = reply.document("writeErrors.0.errInfo.details.schemaRulesNotSatisfied");
    EXPECT_EQ(rules.string("0.operatorName"), "required");
    EXPECT_EQ(rules.string("0.missingProperties.0"), "major");
    EXPECT_FALSE(rules.has("1"));
}

TEST_F(SchemaValidationTest, AValidDocumentIsStored) {
    Bson reply = ok(
        R"({"insert": "students", "documents": [{"name": "Bob", "year": 2020, "major": "Math", "gpa": 3.5}]})");
    EXPECT_EQ(reply.number("n"), 1);
    EXPECT_FALSE(reply.has("writeErrors"));
}

TEST_F(SchemaValidationTest, BypassDocumentValidationSkipsTheSchema) {
    Bson reply = ok(
        R"({"insert": "students", "documents": [{"name": 1}], "bypassDocumentValidation": true})");
    EXPECT_EQ(reply.number("n"), 1);
}

TEST_F(SchemaValidationTest, ModerateLevelLetsInvalidDocumentsBeUpdated) {
    ok(R"({"insert": "students", "documents": [{"_id": 1, "name": 1}], "bypassDocumentValidation": true})");
    Bson strict =
        ok(R"({"update": "students", "updates": [{"q": {"_id": 1}, "u": {"$set": {"x": 1}}}]})");
    EXPECT_EQ(strict.number("writeErrors.0.code"), 121);
    ok(R"({"collMod": "students", "validationLevel": "moderate"})");
    Bson moderate =
        ok(R"({"update": "students", "updates": [{"q": {"_id": 1}, "u": {"$set": {"x": 1}}}]})");
    EXPECT_EQ(moderate.number("nModified"), 1);
    Bson inserted = ok(R"({"insert": "students", "documents": [{"_id": 2, "name": 1}]})");
    EXPECT_EQ(inserted.number("writeErrors.0.code"), 121);
}

TEST_F(SchemaValidationTest, WarnActionAcceptsInvalidDocuments) {
    ok(R"({"collMod": "students", "validationAction": "warn"})");
    Bson reply = ok(R"({"insert": "students", "documents": [{"name": 1}]})");
    EXPECT_EQ(reply.number("n"), 1);
    EXPECT_FALSE(reply.has("writeErrors"));
}

TEST_F(SchemaValidationTest, JsonSchemaFiltersQueries) {
    ok(R"({"insert": "students", "documents": [{"_id": 1, "name": "A", "year": 2020, "major": "M"}, {"_id": 2, "name": 5}], "bypassDocumentValidation": true})");
    Bson found = ok(std::string(R"({"find": "students", "filter": )") + kStudents + "}");
    EXPECT_EQ(found.number("cursor.firstBatch.0._id"), 1);
    EXPECT_FALSE(found.has("cursor.firstBatch.1"));
    Bson invalid =
        ok(std::string(R"({"find": "students", "filter": {"$nor": [)") + kStudents + "]}}");
    EXPECT_EQ(invalid.number("cursor.firstBatch.0._id"), 2);
}

TEST_F(SchemaValidationTest, UnsupportedKeywordsFailAsMongodDoes) {
    fails(
        R"({"find": "students", "filter": {"$jsonSchema": {"properties": {"a": {"format": "email"}}}}})",
        9);
    fails(
        R"({"find": "students", "filter": {"$jsonSchema": {"properties": {"a": {"type": "integer"}}}}})",
        9);
}

}  // namespace
