// $jsonSchema (see json_schema.h), following the manual's "$jsonSchema" page (keywords, omissions,
// bsonType) and mongod's src/mongo/db/matcher/schema/json_schema_parser.cpp (error codes and
// messages). Keywords that restrict one kind of value (minimum, minLength, properties, items, ...)
// hold for values of other kinds, as JSON Schema says. Explanations follow the shape of mongod's
// doc_validation_error.cpp for the common keywords.
#include "engine/json_schema.h"

#include <set>

#include "engine/error.h"
#include "engine/matcher.h"
#include "engine/regex.h"

namespace tmd {
namespace {

[[noreturn]] void failed_to_parse(const std::string& message) {
    throw MongoError(code::FailedToParse, message);
}

[[noreturn]] void wrong_type(const std::string& keyword, const std::string& expected) {
    throw MongoError(code::TypeMismatch,
                     "$jsonSchema keyword '" + keyword + "' must be " + expected);
}

const std::set<std::string>& json_types() {
    static const std::set<std::string> types = {"object",  "array",  "number",
                                                "boolean", "string", "null"};
    return types;
}

void check_type_names(const std::string& keyword, const Value& spec) {
    Array names = spec.is_array() ? spec.array() : Array{spec};
    if (!spec.is_string() && !spec.is_array())
        wrong_type(keyword, "either a string or an array of strings");
    for (const Value& name : names) {
        if (!name.is_string()) wrong_type(keyword, "either a string or an array of strings");
        const std::string& type = name.str();
        if (keyword == "type") {
            if (type == "integer")
                failed_to_parse("$jsonSchema type 'integer' is not currently supported.");
            if (!json_types().count(type))
                throw MongoError(code::BadValue, "Unknown type name alias: " + type);
        } else if (type != "number" && !type_aliases().count(type)) {
            throw MongoError(code::BadValue, "Unknown type name alias: " + type);
        }
    }
}

void check_schema(const Document& schema);

void check_subschema(const std::string& keyword, const Value& spec) {
    if (!spec.is_document()) wrong_type(keyword, "an object");
    check_schema(spec.doc());
}

void check_schema_map(const std::string& keyword, const Value& spec) {
    if (!spec.is_document()) wrong_type(keyword, "an object");
    for (const auto& field : spec.doc().fields()) {
        if (!field.value.is_document()) {
            throw MongoError(code::TypeMismatch, "Nested schema for $jsonSchema property '" +
                                                     field.name + "' must be an object");
        }
        check_schema(field.value.doc());
    }
}

void check_schema_array(const std::string& keyword, const Value& spec) {
    if (!spec.is_array()) wrong_type(keyword, "an array");
    if (spec.array().empty())
        failed_to_parse("$jsonSchema keyword '" + keyword + "' must be a non-empty array");
    for (const Value& sub : spec.array()) {
        if (!sub.is_document()) {
            throw MongoError(code::TypeMismatch, "$jsonSchema keyword '" + keyword +
                                                     "' must be an array of objects, but found "
                                                     "an element of type " +
                                                     type_name(sub));
        }
        check_schema(sub.doc());
    }
}

void check_count(const std::string& keyword, const Value& spec) {
    if (!spec.is_number()) wrong_type(keyword, "a number");
    if (spec.as_double() < 0 || spec.as_double() != static_cast<double>(spec.as_int64()))
        failed_to_parse("$jsonSchema keyword '" + keyword +
                        "' must be a non-negative integral number");
}

void check_bool_or_schema(const std::string& keyword, const Value& spec) {
    if (spec.type() == BSON_TYPE_BOOL) return;
    if (!spec.is_document()) wrong_type(keyword, "either an object or a boolean");
    check_schema(spec.doc());
}

void check_keyword(const Document& schema, const std::string& keyword, const Value& spec) {
    static const std::set<std::string> unsupported = {"$ref",        "$schema", "default",
                                                      "definitions", "format",  "id"};
    if (unsupported.count(keyword))
        failed_to_parse("$jsonSchema keyword '" + keyword + "' is not currently supported");
    if (keyword == "bsonType" || keyword == "type") {
        check_type_names(keyword, spec);
    } else if (keyword == "properties" || keyword == "patternProperties") {
        check_schema_map(keyword, spec);
        if (keyword == "patternProperties") {
            for (const auto& field : spec.doc().fields())
                QueryRegex(field.name, "");
        }
    } else if (keyword == "additionalProperties" || keyword == "additionalItems") {
        check_bool_or_schema(keyword, spec);
    } else if (keyword == "required" || keyword == "enum") {
        if (!spec.is_array()) wrong_type(keyword, "an array");
        if (spec.array().empty())
            failed_to_parse("$jsonSchema keyword '" + keyword + "' cannot be an empty array");
        if (keyword == "required") {
            std::set<std::string> names;
            for (const Value& name : spec.array()) {
                if (!name.is_string())
                    wrong_type(keyword, "an array of strings, but found an element of type " +
                                            type_name(name));
                if (!names.insert(name.str()).second)
                    failed_to_parse(
                        "$jsonSchema keyword 'required' array cannot contain "
                        "duplicate values");
            }
        }
    } else if (keyword == "minimum" || keyword == "maximum") {
        if (!spec.is_number()) wrong_type(keyword, "a number");
    } else if (keyword == "exclusiveMinimum" || keyword == "exclusiveMaximum") {
        if (spec.type() != BSON_TYPE_BOOL) wrong_type(keyword, "a boolean");
        std::string bound = keyword == "exclusiveMinimum" ? "minimum" : "maximum";
        if (!schema.get(bound))
            failed_to_parse("$jsonSchema keyword '" + bound + "' must be a present if " + keyword +
                            " is present");
    } else if (keyword == "minLength" || keyword == "maxLength" || keyword == "minItems" ||
               keyword == "maxItems" || keyword == "minProperties" || keyword == "maxProperties") {
        check_count(keyword, spec);
    } else if (keyword == "pattern") {
        if (!spec.is_string()) wrong_type(keyword, "a string");
        QueryRegex(spec.str(), "");
    } else if (keyword == "items") {
        if (spec.is_array()) {
            check_schema_array(keyword, spec);
        } else {
            check_subschema(keyword, spec);
        }
    } else if (keyword == "uniqueItems") {
        if (spec.type() != BSON_TYPE_BOOL) wrong_type(keyword, "a boolean");
    } else if (keyword == "allOf" || keyword == "anyOf" || keyword == "oneOf") {
        check_schema_array(keyword, spec);
    } else if (keyword == "not") {
        check_subschema(keyword, spec);
    } else if (keyword == "dependencies") {
        if (!spec.is_document()) wrong_type(keyword, "an object");
        for (const auto& field : spec.doc().fields()) {
            if (field.value.is_document()) {
                check_schema(field.value.doc());
            } else if (!field.value.is_array() || field.value.array().empty()) {
                failed_to_parse("property '" + field.name +
                                "' in $jsonSchema keyword 'dependencies' must be either an "
                                "object or a non-empty array of strings");
            }
        }
    } else if (keyword == "title" || keyword == "description") {
        if (!spec.is_string()) wrong_type(keyword, "a string");
    } else {
        failed_to_parse("Unknown $jsonSchema keyword: " + keyword);
    }
}

void check_schema(const Document& schema) {
    if (schema.get("type") && schema.get("bsonType"))
        failed_to_parse("Cannot specify both $jsonSchema keywords 'type' and 'bsonType'");
    for (const auto& field : schema.fields())
        check_keyword(schema, field.name, field.value);
}

// ---- Evaluation: the rules a value breaks. ----

Array unsatisfied(const Value& value, const Document& schema);

bool satisfies(const Value& value, const Document& schema) {
    return unsatisfied(value, schema).empty();
}

Document rule(const std::string& keyword, const Document& schema) {
    Document specified;
    specified.push_back(keyword, *schema.get(keyword));
    Document out;
    out.push_back("operatorName", Value::string(keyword));
    out.push_back("specifiedAs", Value::document(std::move(specified)));
    return out;
}

Value failed(const std::string& keyword, const Document& schema, const std::string& reason,
             const Value* considered) {
    Document out = rule(keyword, schema);
    out.push_back("reason", Value::string(reason));
    if (considered) out.push_back("consideredValue", *considered);
    return Value::document(std::move(out));
}

bool has_type(const Value& value, const std::string& name, bool json) {
    if (name == "number") return value.is_number();
    if (json && name == "boolean") return value.type() == BSON_TYPE_BOOL;
    if (json && name == "null") return value.is_null();
    auto it = type_aliases().find(name);
    return it != type_aliases().end() && it->second == value.type();
}

bool type_matches(const Value& value, const Value& spec, bool json) {
    Array names = spec.is_array() ? spec.array() : Array{spec};
    for (const Value& name : names)
        if (has_type(value, name.str(), json)) return true;
    return false;
}

size_t code_points(const std::string& text) {
    size_t count = 0;
    for (unsigned char c : text)
        count += (c & 0xC0) != 0x80;
    return count;
}

bool pattern_matches(const std::string& pattern, const std::string& text) {
    return QueryRegex(pattern, "").search(text);
}

void check_number(const Value& value, const Document& schema, Array& out) {
    for (const char* bound : {"minimum", "maximum"}) {
        const Value* limit = schema.get(bound);
        if (!limit) continue;
        bool is_min = std::string(bound) == "minimum";
        const Value* exclusive = schema.get(is_min ? "exclusiveMinimum" : "exclusiveMaximum");
        int cmp = compare_values(value, *limit);
        bool ok = is_min ? cmp > 0 || (cmp == 0 && !(exclusive && exclusive->as_bool()))
                         : cmp < 0 || (cmp == 0 && !(exclusive && exclusive->as_bool()));
        if (ok) continue;
        Document explanation = rule(bound, schema);
        if (exclusive) {
            explanation.get("specifiedAs")
                ->doc()
                .push_back(is_min ? "exclusiveMinimum" : "exclusiveMaximum", *exclusive);
        }
        explanation.push_back("reason", Value::string("comparison failed"));
        explanation.push_back("consideredValue", value);
        out.push_back(Value::document(std::move(explanation)));
    }
}

void check_string(const Value& value, const Document& schema, Array& out) {
    size_t length = code_points(value.str());
    if (const Value* min = schema.get("minLength"); min && length < size_t(min->as_int64()))
        out.push_back(
            failed("minLength", schema, "specified string length was not satisfied", &value));
    if (const Value* max = schema.get("maxLength"); max && length > size_t(max->as_int64()))
        out.push_back(
            failed("maxLength", schema, "specified string length was not satisfied", &value));
    if (const Value* pattern = schema.get("pattern");
        pattern && !pattern_matches(pattern->str(), value.str()))
        out.push_back(failed("pattern", schema, "regular expression did not match", &value));
}

// properties / patternProperties / additionalProperties for one object.
void check_properties(const Document& object, const Document& schema, Array& out) {
    const Value* properties = schema.get("properties");
    const Value* patterns = schema.get("patternProperties");
    const Value* additional = schema.get("additionalProperties");
    Array not_satisfied, extra;
    for (const auto& [name, value] : object.fields()) {
        bool covered = false;
        Array details;
        auto apply = [&](const Document& sub) {
            covered = true;
            for (Value& failure : unsatisfied(value, sub))
                details.push_back(std::move(failure));
        };
        if (const Value* sub = properties ? properties->doc().get(name) : nullptr)
            apply(sub->doc());
        if (patterns) {
            for (const auto& [pattern, sub] : patterns->doc().fields())
                if (pattern_matches(pattern, name)) apply(sub.doc());
        }
        if (!covered && additional) {
            if (additional->is_document()) {
                apply(additional->doc());
            } else if (!additional->as_bool()) {
                extra.push_back(Value::string(name));
            }
        }
        if (details.empty()) continue;
        Document property;
        property.push_back("propertyName", Value::string(name));
        const Value* sub = properties ? properties->doc().get(name) : nullptr;
        if (sub && sub->doc().get("description"))
            property.push_back("description", *sub->doc().get("description"));
        property.push_back("details", Value::array(std::move(details)));
        not_satisfied.push_back(Value::document(std::move(property)));
    }
    if (!not_satisfied.empty()) {
        Document explanation;
        explanation.push_back("operatorName", Value::string("properties"));
        explanation.push_back("propertiesNotSatisfied", Value::array(std::move(not_satisfied)));
        out.push_back(Value::document(std::move(explanation)));
    }
    if (!extra.empty()) {
        Document explanation = rule("additionalProperties", schema);
        explanation.push_back("additionalProperties", Value::array(std::move(extra)));
        out.push_back(Value::document(std::move(explanation)));
    }
}

void check_object(const Document& object, const Document& schema, Array& out) {
    if (const Value* required = schema.get("required")) {
        Array missing;
        for (const Value& name : required->array())
            if (!object.get(name.str())) missing.push_back(name);
        if (!missing.empty()) {
            Document explanation = rule("required", schema);
            explanation.push_back("missingProperties", Value::array(std::move(missing)));
            out.push_back(Value::document(std::move(explanation)));
        }
    }
    check_properties(object, schema, out);
    Value count = Value::int32(static_cast<int32_t>(object.size()));
    if (const Value* min = schema.get("minProperties");
        min && object.size() < size_t(min->as_int64()))
        out.push_back(failed("minProperties", schema,
                             "specified number of properties was not satisfied", &count));
    if (const Value* max = schema.get("maxProperties");
        max && object.size() > size_t(max->as_int64()))
        out.push_back(failed("maxProperties", schema,
                             "specified number of properties was not satisfied", &count));
    if (const Value* dependencies = schema.get("dependencies")) {
        for (const auto& [name, dependency] : dependencies->doc().fields()) {
            if (!object.get(name)) continue;
            bool ok = true;
            if (dependency.is_document()) {
                ok = satisfies(Value::document(object), dependency.doc());
            } else {
                for (const Value& needed : dependency.array())
                    ok = ok && object.get(needed.str());
            }
            if (!ok)
                out.push_back(failed("dependencies", schema, "dependency not satisfied", nullptr));
        }
    }
}

void check_array(const Array& array, const Document& schema, Array& out) {
    const Value* items = schema.get("items");
    const Value* additional = schema.get("additionalItems");
    for (size_t i = 0; i < array.size(); ++i) {
        const Value* sub = nullptr;
        if (items && items->is_document()) {
            sub = items;
        } else if (items && i < items->array().size()) {
            sub = &items->array()[i];
        } else if (items && additional) {
            if (additional->is_document()) {
                sub = additional;
            } else if (!additional->as_bool()) {
                out.push_back(failed("additionalItems", schema, "found additional items", nullptr));
                break;
            }
        }
        if (!sub) continue;
        Array details = unsatisfied(array[i], sub->doc());
        if (details.empty()) continue;
        Document explanation = rule(sub == additional ? "additionalItems" : "items", schema);
        explanation.push_back("reason",
                              Value::string("At least one item did not match the sub-schema"));
        explanation.push_back("itemIndex", Value::int32(static_cast<int32_t>(i)));
        explanation.push_back("details", Value::array(std::move(details)));
        out.push_back(Value::document(std::move(explanation)));
        break;
    }
    Value whole = Value::array(array);
    if (const Value* min = schema.get("minItems"); min && array.size() < size_t(min->as_int64()))
        out.push_back(failed("minItems", schema, "array did not match specified length", &whole));
    if (const Value* max = schema.get("maxItems"); max && array.size() > size_t(max->as_int64()))
        out.push_back(failed("maxItems", schema, "array did not match specified length", &whole));
    if (const Value* unique = schema.get("uniqueItems"); unique && unique->as_bool()) {
        for (size_t i = 0; i < array.size(); ++i) {
            for (size_t j = i + 1; j < array.size(); ++j) {
                if (compare_values(array[i], array[j]) != 0) continue;
                Document explanation = rule("uniqueItems", schema);
                explanation.push_back("reason", Value::string("found a duplicate item"));
                explanation.push_back("consideredValue", whole);
                explanation.push_back("duplicatedValue", array[i]);
                out.push_back(Value::document(std::move(explanation)));
                return;
            }
        }
    }
}

// allOf / anyOf / oneOf / not.
void check_logical(const Value& value, const Document& schema, Array& out) {
    for (const char* keyword : {"allOf", "anyOf", "oneOf"}) {
        const Value* subs = schema.get(keyword);
        if (!subs) continue;
        Array failures, matching;
        for (size_t i = 0; i < subs->array().size(); ++i) {
            Array details = unsatisfied(value, subs->array()[i].doc());
            if (details.empty()) {
                matching.push_back(Value::int32(static_cast<int32_t>(i)));
                continue;
            }
            Document failure;
            failure.push_back("index", Value::int32(static_cast<int32_t>(i)));
            failure.push_back("details", Value::array(std::move(details)));
            failures.push_back(Value::document(std::move(failure)));
        }
        std::string name = keyword;
        bool ok = name == "allOf"   ? failures.empty()
                  : name == "anyOf" ? !matching.empty()
                                    : matching.size() == 1;
        if (ok) continue;
        Document explanation = rule(name, schema);
        if (name == "oneOf" && matching.size() > 1) {
            explanation.push_back("reason", Value::string("more than one subschema matched"));
            explanation.push_back("matchingSchemaIndexes", Value::array(std::move(matching)));
        } else {
            explanation.push_back("schemasNotSatisfied", Value::array(std::move(failures)));
        }
        out.push_back(Value::document(std::move(explanation)));
    }
    if (const Value* sub = schema.get("not"); sub && satisfies(value, sub->doc()))
        out.push_back(failed("not", schema, "child expression matched", nullptr));
}

Array unsatisfied(const Value& value, const Document& schema) {
    Array out;
    for (const char* keyword : {"bsonType", "type"}) {
        const Value* spec = schema.get(keyword);
        if (spec && !type_matches(value, *spec, std::string(keyword) == "type")) {
            Document explanation = rule(keyword, schema);
            explanation.push_back("reason", Value::string("type did not match"));
            explanation.push_back("consideredValue", value);
            explanation.push_back("consideredType", Value::string(type_name(value)));
            out.push_back(Value::document(std::move(explanation)));
        }
    }
    if (const Value* options = schema.get("enum")) {
        bool found = false;
        for (const Value& option : options->array())
            found = found || compare_values(option, value) == 0;
        if (!found) out.push_back(failed("enum", schema, "value was not found in enum", &value));
    }
    if (value.is_number()) check_number(value, schema, out);
    if (value.is_string()) check_string(value, schema, out);
    if (value.is_document()) check_object(value.doc(), schema, out);
    if (value.is_array()) check_array(value.array(), schema, out);
    check_logical(value, schema, out);
    return out;
}

}  // namespace

JsonSchema::JsonSchema(const Value& spec) {
    if (!spec.is_document()) throw MongoError(code::TypeMismatch, "$jsonSchema must be an object");
    check_schema(spec.doc());
    schema_ = spec.doc();
}

bool JsonSchema::matches(const Document& doc) const {
    return unsatisfied_rules(doc).empty();
}

Array JsonSchema::unsatisfied_rules(const Document& doc) const {
    return unsatisfied(Value::document(doc), schema_);
}

}  // namespace tmd
