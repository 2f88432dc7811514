// Collator: MongoDB's collation document mapped onto an ICU collator, as mongod's
// CollatorFactoryICU does (manual: "Collation",
// https://www.mongodb.com/docs/manual/reference/collation/).
#include "engine/collation.h"

#include <unicode/ucol.h>
#include <unicode/uloc.h>

#include <map>
#include <string>

#include "engine/error.h"

namespace tmd {
namespace {

const Value& typed_field(const Field& field, bson_type_t type, const char* type_name) {
    bool ok = field.value.type() == type || (type == BSON_TYPE_INT32 && field.value.is_number());
    if (!ok) {
        throw MongoError(code::TypeMismatch, "BSON field 'collation." + field.name +
                                                 "' is the wrong type '" + std::string(type_name) +
                                                 "' expected");
    }
    return field.value;
}

// String options: the allowed values and the ICU attribute value of each.
UColAttributeValue string_option(const Field& field,
                                 const std::map<std::string, UColAttributeValue>& values) {
    const std::string& text = typed_field(field, BSON_TYPE_UTF8, "string").str();
    auto found = values.find(text);
    if (found == values.end()) {
        bad_value("Field '" + field.name +
                  "' must be one of the documented values, found: " + text);
    }
    return found->second;
}

void set(UCollator* collator, UColAttribute attribute, UColAttributeValue value) {
    UErrorCode status = U_ZERO_ERROR;
    ucol_setAttribute(collator, attribute, value, &status);
    if (U_FAILURE(status)) bad_value(std::string("collation attribute: ") + u_errorName(status));
}

UColAttributeValue on_off(const Field& field) {
    return typed_field(field, BSON_TYPE_BOOL, "bool").as_bool() ? UCOL_ON : UCOL_OFF;
}

// Applies one option of the collation document (the locale was applied when opening).
void apply_option(UCollator* collator, const Field& field) {
    const std::string& name = field.name;
    if (name == "strength") {
        static const UColAttributeValue strengths[] = {UCOL_PRIMARY, UCOL_SECONDARY, UCOL_TERTIARY,
                                                       UCOL_QUATERNARY, UCOL_IDENTICAL};
        double level = typed_field(field, BSON_TYPE_INT32, "int").as_double();
        if (level < 1 || level > 5 || level != static_cast<int>(level)) {
            bad_value("unable to parse collation: strength must be an integer 1 through 5");
        }
        set(collator, UCOL_STRENGTH, strengths[static_cast<int>(level) - 1]);
    } else if (name == "caseLevel") {
        set(collator, UCOL_CASE_LEVEL, on_off(field));
    } else if (name == "numericOrdering") {
        set(collator, UCOL_NUMERIC_COLLATION, on_off(field));
    } else if (name == "normalization") {
        set(collator, UCOL_NORMALIZATION_MODE, on_off(field));
    } else if (name == "backwards") {
        set(collator, UCOL_FRENCH_COLLATION, on_off(field));
    } else if (name == "caseFirst") {
        set(collator, UCOL_CASE_FIRST,
            string_option(
                field,
                {{"upper", UCOL_UPPER_FIRST}, {"lower", UCOL_LOWER_FIRST}, {"off", UCOL_OFF}}));
    } else if (name == "alternate") {
        set(collator, UCOL_ALTERNATE_HANDLING,
            string_option(field,
                          {{"non-ignorable", UCOL_NON_IGNORABLE}, {"shifted", UCOL_SHIFTED}}));
    } else if (name == "maxVariable") {
        // Values stand in for the reorder groups ucol_setMaxVariable takes.
        auto group = string_option(field, {{"punct", UCOL_ON}, {"space", UCOL_OFF}});
        UErrorCode status = U_ZERO_ERROR;
        ucol_setMaxVariable(
            collator, group == UCOL_ON ? UCOL_REORDER_CODE_PUNCTUATION : UCOL_REORDER_CODE_SPACE,
            &status);
    } else if (name != "locale" && name != "version") {
        throw MongoError(40415, "BSON field 'collation." + name + "' is an unknown field.");
    }
}

// mongod rejects locales ICU does not know rather than falling back to the root collation:
// a known locale ("en_US") is its own valid locale even when its rules are root's.
UCollator* open_locale(const std::string& locale) {
    UErrorCode status = U_ZERO_ERROR;
    UCollator* collator = ucol_open(locale.c_str(), &status);
    UErrorCode lookup = U_ZERO_ERROR;
    const char* valid =
        U_SUCCESS(status) ? ucol_getLocaleByType(collator, ULOC_VALID_LOCALE, &lookup) : nullptr;
    if (!valid || (std::string(valid) == "root" && locale != "root")) {
        if (collator) ucol_close(collator);
        bad_value("Field 'locale' is invalid in: { locale: \"" + locale + "\" }");
    }
    return collator;
}

}  // namespace

std::shared_ptr<const Collator> Collator::from_spec(const Document& spec) {
    const Value* locale = spec.get("locale");
    if (!locale) {
        throw MongoError(40414, "BSON field 'locale' is missing but a required field");
    }
    if (!locale->is_string()) {
        throw MongoError(code::TypeMismatch,
                         "BSON field 'collation.locale' is the wrong type, expected type 'string'");
    }
    if (locale->str() == "simple") return nullptr;
    std::shared_ptr<const Collator> result(new Collator(open_locale(locale->str())));
    for (const auto& field : spec.fields())
        apply_option(result->icu_, field);
    return result;
}

Collator::~Collator() {
    ucol_close(icu_);
}

int Collator::compare(std::string_view a, std::string_view b) const {
    UErrorCode status = U_ZERO_ERROR;
    UCollationResult result = ucol_strcollUTF8(icu_, a.data(), static_cast<int32_t>(a.size()),
                                               b.data(), static_cast<int32_t>(b.size()), &status);
    return result == UCOL_LESS ? -1 : (result == UCOL_GREATER ? 1 : 0);
}

}  // namespace tmd
