// $jsonSchema (manual: "$jsonSchema" operator reference, "Schema Validation"): a JSON Schema
// draft 4 subset with MongoDB's bsonType, usable as a query operator and in validators.
#pragma once

#include "engine/value.h"

namespace tmd {

class JsonSchema {
  public:
    // Checks the schema as mongod's JSONSchemaParser does; throws MongoError (FailedToParse 9 for
    // unknown or unsupported keywords, TypeMismatch 14 for a keyword of the wrong type, BadValue
    // 2 for a bad value).
    explicit JsonSchema(const Value& spec);

    bool matches(const Document& doc) const;
    // The rules the document breaks, as the schemaRulesNotSatisfied of a validation error's
    // errInfo.details (operatorName, specifiedAs, reason, consideredValue, missingProperties,
    // propertiesNotSatisfied, ...). Empty when it matches.
    Array unsatisfied_rules(const Document& doc) const;
    const Document& schema() const { return schema_; }

  private:
    Document schema_;
};

}  // namespace tmd
