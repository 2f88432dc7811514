// Type expression operators: $type $isNumber $convert and its shorthands $toString $toInt $toLong
// $toDouble $toDecimal $toBool $toDate $toObjectId, following the documented conversion matrix
// (ConversionFailure 241 for unsupported or unparsable inputs unless onError is given).
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "engine/expression_internal.h"

namespace tmd::expr {

// The shortest decimal text that reads back as the same double, as mongod prints doubles.
std::string double_to_string(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    char text[40];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(text, sizeof text, "%.*g", precision, d);
        if (std::strtod(text, nullptr) == d) break;
    }
    return text;
}

namespace {

constexpr int ConversionFailure = 241;

// A conversion failure; $convert replaces it with onError when one is given.
struct ConversionError {
    std::string message;
};

[[noreturn]] void unsupported(const Value& v, const std::string& target) {
    throw ConversionError{"Unsupported conversion from " + type_name(v) + " to " + target +
                          " in $convert with no onError value"};
}

[[noreturn]] void overflow(const Value& v) {
    throw ConversionError{
        "Conversion would overflow target type in $convert with no onError value: " + show(v)};
}

std::string oid_to_string(const bson_oid_t& oid) {
    char text[25];
    bson_oid_to_string(&oid, text);
    return text;
}

Value to_string(const Value& v) {
    switch (v.type()) {
        case BSON_TYPE_UTF8:
            return v;
        case BSON_TYPE_DOUBLE:
            return Value::string(double_to_string(v.as_double()));
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
            return Value::string(std::to_string(v.as_int64()));
        case BSON_TYPE_DECIMAL128:
            return Value::string(decimal_to_string(std::get<bson_decimal128_t>(v.payload())));
        case BSON_TYPE_BOOL:
            return Value::string(v.as_bool() ? "true" : "false");
        case BSON_TYPE_OID:
            return Value::string(oid_to_string(std::get<bson_oid_t>(v.payload())));
        case BSON_TYPE_DATE_TIME:
            return Value::string(date_to_string(std::get<int64_t>(v.payload())));
        default:
            unsupported(v, "string");
    }
}

// Parses a whole string as a number of the given kind ("int"/"long": base-10 integers only).
long double parse_number(const std::string& text, bool integer) {
    const char* begin = text.c_str();
    char* end = nullptr;
    errno = 0;
    long double value = integer ? static_cast<long double>(std::strtoll(begin, &end, 10))
                                : std::strtold(begin, &end);
    if (text.empty() || *end != '\0' || std::isspace(static_cast<unsigned char>(text[0]))) {
        throw ConversionError{"Failed to parse number '" + text +
                              "' in $convert with no onError value: Did not consume whole string."};
    }
    if (errno == ERANGE) {
        throw ConversionError{"Failed to parse number '" + text +
                              "' in $convert with no onError value: Overflow"};
    }
    return value;
}

// Converts to an integer type: bounds are [min, max]; doubles and decimals are truncated.
long double to_integer(const Value& v, long double min, long double max,
                       const std::string& target) {
    long double x = 0;
    switch (v.type()) {
        case BSON_TYPE_BOOL:
            return v.as_bool() ? 1 : 0;
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128:
            x = to_long_double(v);
            break;
        case BSON_TYPE_UTF8:
            x = parse_number(v.str(), true);
            break;
        case BSON_TYPE_DATE_TIME:
            if (target == "long") return static_cast<long double>(std::get<int64_t>(v.payload()));
            unsupported(v, target);
        default:
            unsupported(v, target);
    }
    if (std::isnan(x) || std::isinf(x)) {
        throw ConversionError{
            "Attempt to convert NaN or infinity value to integer type in $convert "
            "with no onError value: " +
            show(v)};
    }
    x = std::trunc(x);
    if (x < min || x > max) overflow(v);
    return x;
}

Value to_int(const Value& v) {
    return Value::int32(static_cast<int32_t>(to_integer(v, INT32_MIN, INT32_MAX, "int")));
}

Value to_long(const Value& v) {
    return Value::int64(static_cast<int64_t>(
        to_integer(v, -9223372036854775808.0L, 9223372036854775807.0L, "long")));
}

Value to_double(const Value& v) {
    switch (v.type()) {
        case BSON_TYPE_BOOL:
            return Value::dbl(v.as_bool() ? 1 : 0);
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
            return Value::dbl(v.as_double());
        case BSON_TYPE_DECIMAL128: {
            long double x = to_long_double(v);
            if (std::isfinite(x) && std::fabs(x) > 1.7976931348623157e308L) overflow(v);
            return Value::dbl(static_cast<double>(x));
        }
        case BSON_TYPE_UTF8:
            return Value::dbl(static_cast<double>(parse_number(v.str(), false)));
        case BSON_TYPE_DATE_TIME:
            return Value::dbl(static_cast<double>(std::get<int64_t>(v.payload())));
        default:
            unsupported(v, "double");
    }
}

// A double becomes a decimal with 15 significant digits, as documented ($toDecimal: 2.5 gives
// Decimal128("2.50000000000000")).
Value double_to_decimal(double d) {
    if (!std::isfinite(d)) return decimal_from(d);
    char text[40];
    std::snprintf(text, sizeof text, "%.14E", d);
    return decimal_from_string(text);
}

Value to_decimal(const Value& v) {
    switch (v.type()) {
        case BSON_TYPE_BOOL:
            return decimal_from_string(v.as_bool() ? "1" : "0");
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
            return decimal_from_string(std::to_string(v.as_int64()));
        case BSON_TYPE_DOUBLE:
            return double_to_decimal(v.as_double());
        case BSON_TYPE_DECIMAL128:
            return v;
        case BSON_TYPE_UTF8: {
            bson_decimal128_t parsed;
            if (!bson_decimal128_from_string(v.str().c_str(), &parsed))
                parse_number(v.str(), false);
            return Value::decimal(parsed);
        }
        case BSON_TYPE_DATE_TIME:
            return decimal_from_string(std::to_string(std::get<int64_t>(v.payload())));
        default:
            unsupported(v, "decimal");
    }
}

Value to_bool(const Value& v) {
    switch (v.type()) {
        case BSON_TYPE_BOOL:
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128:
            return Value::boolean(v.truthy());
        case BSON_TYPE_UTF8:
        case BSON_TYPE_OID:
        case BSON_TYPE_DATE_TIME:
        case BSON_TYPE_TIMESTAMP:
            return Value::boolean(true);
        default:
            unsupported(v, "bool");
    }
}

Value to_date(const Value& v) {
    switch (v.type()) {
        case BSON_TYPE_DATE_TIME:
            return v;
        case BSON_TYPE_INT64:
            return Value::date(std::get<int64_t>(v.payload()));
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128: {
            long double x = to_long_double(v);
            if (!std::isfinite(x) || x < -9.2233720368547758e18L || x > 9.2233720368547758e18L)
                overflow(v);
            return Value::date(static_cast<int64_t>(x));
        }
        case BSON_TYPE_OID:
            return Value::date(int64_t(bson_oid_get_time_t(&std::get<bson_oid_t>(v.payload()))) *
                               1000);
        case BSON_TYPE_TIMESTAMP:
            return Value::date(int64_t(std::get<Timestamp>(v.payload()).t) * 1000);
        case BSON_TYPE_UTF8: {
            int64_t millis = 0;
            if (!parse_date_string(v.str(), millis)) {
                throw ConversionError{"Error parsing date string '" + v.str() +
                                      "' in $convert with no onError value"};
            }
            return Value::date(millis);
        }
        default:
            unsupported(v, "date");
    }
}

Value to_object_id(const Value& v) {
    if (v.type() == BSON_TYPE_OID) return v;
    if (!v.is_string()) unsupported(v, "objectId");
    if (v.str().size() != 24 || !bson_oid_is_valid(v.str().c_str(), 24)) {
        throw ConversionError{"Failed to parse objectId '" + v.str() +
                              "' in $convert with no onError value: Invalid string length for "
                              "parsing to OID, expected 24 but found " +
                              std::to_string(v.str().size())};
    }
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, v.str().c_str());
    return Value::oid(oid);
}

using Converter = Value (*)(const Value&);

// The converter for a 'to' value: a type name or a BSON type number.
Converter converter_for(const Value& to) {
    static const std::vector<std::tuple<std::string, int, Converter>> targets = {
        {"double", 1, to_double}, {"string", 2, to_string},    {"objectId", 7, to_object_id},
        {"bool", 8, to_bool},     {"date", 9, to_date},        {"int", 16, to_int},
        {"long", 18, to_long},    {"decimal", 19, to_decimal},
    };
    for (const auto& [name, number, fn] : targets) {
        if (to.is_string() ? to.str() == name : (is_integral(to) && to.as_int64() == number))
            return fn;
    }
    if (to.is_string()) fail(code::BadValue, "Unknown type name: " + to.str());
    if (to.is_number()) {
        fail(code::FailedToParse,
             "In $convert, numeric value for 'to' does not correspond to a BSON type: " + show(to));
    }
    fail(code::FailedToParse,
         "$convert's 'to' argument must be a string or number, but is " + type_name(to));
}

// Shared by $convert and the $toX shorthands: null/missing input gives onNull (default null).
Value convert(const Value& input, const Value& to, const std::optional<Value>& on_error,
              const Value& on_null) {
    if (is_nullish(to)) return Value::null();
    Converter fn = converter_for(to);
    if (is_nullish(input)) return on_null;
    try {
        return fn(input);
    } catch (const ConversionError& error) {
        if (on_error) return *on_error;
        fail(ConversionFailure, error.message);
    }
}

NodePtr parse_convert(const Value& args, ParseScope& scope) {
    if (!args.is_document())
        fail(code::FailedToParse,
             "$convert expects an object of named arguments but found: " + type_name(args));
    const Document& spec = args.doc();
    reject_unknown_args(spec, {"input", "to", "onError", "onNull"}, code::FailedToParse,
                        "$convert found an unknown argument: ");
    const Value* input = spec.get("input");
    const Value* to = spec.get("to");
    if (!input) fail(code::FailedToParse, "Missing 'input' parameter to $convert");
    if (!to) fail(code::FailedToParse, "Missing 'to' parameter to $convert");
    auto optional = [&](std::string_view name) {
        const Value* v = spec.get(name);
        return v ? parse(*v, scope) : make_constant(missing_value());
    };
    bool has_on_error = spec.get("onError") != nullptr;
    NodeList nodes{parse(*input, scope), parse(*to, scope), optional("onError"),
                   optional("onNull")};
    return make_function(std::move(nodes), [has_on_error](const std::vector<Value>& a) {
        std::optional<Value> on_error;
        if (has_on_error) on_error = a[2];
        return convert(a[0], a[1], on_error, is_missing(a[3]) ? Value::null() : a[3]);
    });
}

}  // namespace

void register_convert_operators(Registry& registry) {
    add_function(registry, "$type", 1, 1,
                 [](const std::vector<Value>& a) { return Value::string(type_name(a[0])); });
    add_function(registry, "$isNumber", 1, 1,
                 [](const std::vector<Value>& a) { return Value::boolean(a[0].is_number()); });
    registry["$convert"] = parse_convert;
    const std::vector<std::pair<std::string, std::string>> shorthands = {
        {"$toString", "string"}, {"$toInt", "int"},           {"$toLong", "long"},
        {"$toDouble", "double"}, {"$toDecimal", "decimal"},   {"$toBool", "bool"},
        {"$toDate", "date"},     {"$toObjectId", "objectId"},
    };
    for (const auto& [name, target] : shorthands) {
        add_function(registry, name, 1, 1,
                     [to = Value::string(target)](const std::vector<Value>& a) {
                         return convert(a[0], to, std::nullopt, Value::null());
                     });
    }
}

}  // namespace tmd::expr
