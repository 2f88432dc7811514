// String expression operators: $concat $substr/$substrBytes $substrCP $toLower $toUpper
// $strLenBytes $strLenCP $split $trim/$ltrim/$rtrim $strcasecmp $indexOfBytes $indexOfCP
// $replaceOne $replaceAll $regexMatch, with mongod's error codes.
#include <algorithm>
#include <cstdio>

#include "engine/expression_internal.h"
#include "engine/regex.h"

namespace tmd::expr {
namespace {

bool is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

// Code point boundaries of a UTF-8 string: offsets of every code point start, plus the end.
std::vector<size_t> code_point_offsets(const std::string& s) {
    std::vector<size_t> offsets;
    for (size_t i = 0; i < s.size(); ++i) {
        if (!is_continuation(static_cast<unsigned char>(s[i]))) offsets.push_back(i);
    }
    offsets.push_back(s.size());
    return offsets;
}

// Value::coerceToString: what $concat-free string operators accept as their input.
std::string coerce_to_string(const Value& v, const std::string& op) {
    switch (v.type()) {
        case BSON_TYPE_UTF8:
        case BSON_TYPE_SYMBOL:
        case BSON_TYPE_CODE:
            return v.str();
        case BSON_TYPE_EOD:
        case BSON_TYPE_NULL:
        case BSON_TYPE_UNDEFINED:
            return "";
        case BSON_TYPE_INT32:
            return std::to_string(v.as_int32());
        case BSON_TYPE_INT64:
            return std::to_string(v.as_int64());
        case BSON_TYPE_DOUBLE:
            return double_to_string(v.as_double());
        case BSON_TYPE_DATE_TIME:
            return date_to_string(std::get<int64_t>(v.payload()));
        case BSON_TYPE_DECIMAL128:
            return decimal_to_string(std::get<bson_decimal128_t>(v.payload()));
        default:
            fail(16007, op + ": can't convert from BSON type " + type_name(v) + " to String");
    }
}

Value concat(const std::vector<Value>& args) {
    std::string out;
    for (const Value& v : args) {
        if (is_nullish(v)) return Value::null();
        if (!v.is_string()) fail(16702, "$concat only supports strings, not " + type_name(v));
        out += v.str();
    }
    return Value::string(std::move(out));
}

Value substr_bytes(const std::string& op, const std::vector<Value>& args) {
    std::string s = coerce_to_string(args[0], op);
    if (!args[1].is_number()) {
        fail(16034, op + ":  starting index must be a numeric type (is BSON type " +
                        type_name(args[1]) + ")");
    }
    if (!args[2].is_number()) {
        fail(16035,
             op + ":  length must be a numeric type (is BSON type " + type_name(args[2]) + ")");
    }
    // mongod casts both to size_t: a negative start is past the end, a negative length is "all".
    auto start = static_cast<size_t>(args[1].as_int64());
    auto length = static_cast<size_t>(args[2].as_int64());
    if (start >= s.size()) return Value::string("");
    if (is_continuation(static_cast<unsigned char>(s[start]))) {
        fail(28656, op + ":  Invalid range, starting index is a UTF-8 continuation byte.");
    }
    size_t end = length > s.size() - start ? s.size() : start + length;
    if (end < s.size() && is_continuation(static_cast<unsigned char>(s[end]))) {
        fail(28657, op + ":  Invalid range, ending index is in the middle of a UTF-8 character.");
    }
    return Value::string(s.substr(start, end - start));
}

Value substr_code_points(const std::vector<Value>& args) {
    std::string s = coerce_to_string(args[0], "$substrCP");
    const Value& start = args[1];
    const Value& count = args[2];
    if (!start.is_number()) {
        fail(34450, "$substrCP: starting index must be a numeric type (is BSON type " +
                        type_name(start) + ")");
    }
    if (!fits_int32(start)) {
        fail(34451, "$substrCP: starting index cannot be represented as a 32-bit integral value");
    }
    if (!count.is_number()) {
        fail(34452,
             "$substrCP: length must be a numeric type (is BSON type " + type_name(count) + ")");
    }
    if (!fits_int32(count)) {
        fail(34453, "$substrCP: length cannot be represented as a 32-bit integral value");
    }
    if (count.as_int64() < 0) fail(34454, "$substrCP: length must be a nonnegative integer.");
    if (start.as_int64() < 0)
        fail(34455, "$substrCP: the starting index must be nonnegative integer.");
    auto offsets = code_point_offsets(s);
    size_t points = offsets.size() - 1;
    size_t first = std::min<size_t>(start.as_int64(), points);
    size_t last = std::min<size_t>(first + count.as_int64(), points);
    return Value::string(s.substr(offsets[first], offsets[last] - offsets[first]));
}

// mongod's $toLower/$toUpper change ASCII letters only.
Value change_case(const std::string& op, const Value& v, bool upper) {
    std::string s = coerce_to_string(v, op);
    for (char& c : s) {
        if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return Value::string(std::move(s));
}

Value split(const std::vector<Value>& args) {
    const Value& input = args[0];
    const Value& separator = args[1];
    if (is_nullish(input) || is_nullish(separator)) return Value::null();
    if (!input.is_string()) {
        fail(40085,
             "$split requires an expression that evaluates to a string as a first argument, "
             "found: " +
                 type_name(input));
    }
    if (!separator.is_string()) {
        fail(40086,
             "$split requires an expression that evaluates to a string as a second argument, "
             "found: " +
                 type_name(separator));
    }
    const std::string& s = input.str();
    const std::string& sep = separator.str();
    if (sep.empty()) fail(40087, "$split requires a non-empty separator");
    Array parts;
    size_t start = 0;
    for (size_t hit = s.find(sep); hit != std::string::npos; hit = s.find(sep, start)) {
        parts.push_back(Value::string(s.substr(start, hit - start)));
        start = hit + sep.size();
    }
    parts.push_back(Value::string(s.substr(start)));
    return Value::array(std::move(parts));
}

// $trim family: {input, chars}; without chars, whitespace and the null character are trimmed.
NodePtr parse_trim(const std::string& op, const Value& args, ParseScope& scope, bool left,
                   bool right) {
    if (!args.is_document())
        fail(50696, op + " only supports an object as an argument, found: " + type_name(args));
    reject_unknown_args(args.doc(), {"input", "chars"}, 50694, op + " found an unknown argument: ");
    const Value* input_spec = args.doc().get("input");
    if (!input_spec) fail(50695, op + " requires an 'input' parameter");
    NodeList nodes{parse(*input_spec, scope)};
    if (const Value* chars = args.doc().get("chars")) nodes.push_back(parse(*chars, scope));
    return make_function(std::move(nodes), [op, left, right](const std::vector<Value>& a) {
        if (is_nullish(a[0])) return Value::null();
        if (!a[0].is_string()) {
            fail(50699, op + " requires its input to be a string, got " + show(a[0]) +
                            " (of type " + type_name(a[0]) + ") instead.");
        }
        std::vector<std::string> trimmed = {
            " ", "\t", "\n", "\v", "\f", "\r", std::string(1, '\0')};
        if (a.size() > 1) {
            if (is_nullish(a[1])) return Value::null();
            if (!a[1].is_string()) {
                fail(50700, op + " requires 'chars' to be a string, got " + show(a[1]) +
                                " (of type " + type_name(a[1]) + ") instead.");
            }
            auto offsets = code_point_offsets(a[1].str());
            trimmed.clear();
            for (size_t i = 0; i + 1 < offsets.size(); ++i) {
                trimmed.push_back(a[1].str().substr(offsets[i], offsets[i + 1] - offsets[i]));
            }
        }
        auto is_trimmed_at = [&](const std::string& s, size_t pos, size_t& len) {
            for (const auto& t : trimmed) {
                if (s.compare(pos, t.size(), t) == 0) {
                    len = t.size();
                    return true;
                }
            }
            return false;
        };
        const std::string& s = a[0].str();
        auto offsets = code_point_offsets(s);
        size_t begin = 0, end = offsets.size() - 1, len = 0;
        while (left && begin < end && is_trimmed_at(s, offsets[begin], len))
            ++begin;
        while (right && end > begin && is_trimmed_at(s, offsets[end - 1], len) &&
               offsets[end - 1] + len == offsets[end]) {
            --end;
        }
        return Value::string(s.substr(offsets[begin], offsets[end] - offsets[begin]));
    });
}

Value string_length(const std::string& op, int code, const Value& v, bool code_points) {
    if (!v.is_string()) fail(code, op + " requires a string argument, found: " + type_name(v));
    return Value::int32(static_cast<int32_t>(code_points ? code_point_offsets(v.str()).size() - 1
                                                         : v.str().size()));
}

// $strcasecmp: ASCII case-insensitive comparison of the coerced strings.
Value compare_ignoring_case(const std::vector<Value>& args) {
    std::string a = change_case("$strcasecmp", args[0], false).str();
    std::string b = change_case("$strcasecmp", args[1], false).str();
    int c = a.compare(b);
    return Value::int32(c < 0 ? -1 : (c > 0 ? 1 : 0));
}

// $indexOfBytes / $indexOfCP: [string, substring, start, end], positions in bytes or code points.
int64_t string_bound(const std::string& op, const Value& v, const std::string& which) {
    if (!is_integral(v)) {
        fail(40096, op + " requires an integral " + which +
                        ", found a value of type: " + type_name(v) + ", with value: " + show(v));
    }
    if (v.as_int64() < 0)
        fail(40097, op + " requires a nonnegative " + which + ", found: " + show(v));
    return v.as_int64();
}

Value index_of_string(const std::string& op, const std::vector<Value>& a, bool code_points) {
    if (is_nullish(a[0])) return Value::null();
    if (!a[0].is_string()) {
        fail(code_points ? 40093 : 40091,
             op + " requires a string as the first argument, found: " + type_name(a[0]));
    }
    if (!a[1].is_string()) {
        fail(code_points ? 40094 : 40092,
             op + " requires a string as the second argument, found: " + type_name(a[1]));
    }
    const std::string& s = a[0].str();
    auto offsets = code_points ? code_point_offsets(s) : std::vector<size_t>{};
    size_t units = code_points ? offsets.size() - 1 : s.size();
    auto to_byte = [&](int64_t unit) { return code_points ? offsets[unit] : size_t(unit); };
    int64_t start = a.size() > 2 ? string_bound(op, a[2], "starting index") : 0;
    int64_t end = a.size() > 3 ? string_bound(op, a[3], "ending index") : int64_t(units);
    end = std::min<int64_t>(end, int64_t(units));
    for (int64_t unit = start; unit <= end; ++unit) {
        size_t byte = to_byte(unit);
        if (byte + a[1].str().size() > to_byte(end)) break;
        if (s.compare(byte, a[1].str().size(), a[1].str()) == 0) return Value::int32(int32_t(unit));
    }
    return Value::int32(-1);
}

// $replaceOne / $replaceAll {input, find, replacement}: null if any argument is null.
NodePtr parse_replace(const std::string& op, const Value& args, ParseScope& scope, bool all) {
    if (!args.is_document()) {
        fail(51751, op + " requires an object as an argument, found: " + type_name(args));
    }
    reject_unknown_args(args.doc(), {"input", "find", "replacement"}, 51750,
                        op + " found an unknown argument: ");
    NodeList nodes;
    for (const char* name : {"input", "find", "replacement"}) {
        const Value* v = args.doc().get(name);
        if (!v) fail(51749, op + " requires '" + name + "' to be specified");
        nodes.push_back(parse(*v, scope));
    }
    return make_function(std::move(nodes), [op, all](const std::vector<Value>& a) {
        static const char* names[] = {"input", "find", "replacement"};
        for (size_t i = 0; i < 3; ++i) {
            if (!is_nullish(a[i]) && !a[i].is_string()) {
                fail(51746 - int(i),
                     op + " requires that '" + names[i] + "' be a string, found: " + show(a[i]));
            }
        }
        if (is_nullish(a[0]) || is_nullish(a[1]) || is_nullish(a[2])) return Value::null();
        std::string out = a[0].str();
        const std::string& find = a[1].str();
        const std::string& replacement = a[2].str();
        size_t pos = 0;
        while ((pos = out.find(find, pos)) != std::string::npos) {
            out.replace(pos, find.size(), replacement);
            pos += replacement.size() + (find.empty() ? 1 : 0);
            if (!all || pos > out.size()) break;
        }
        return Value::string(std::move(out));
    });
}

// $regexMatch {input, regex, options}: whether the string matches; null input gives false.
NodePtr parse_regex_match(const Value& args, ParseScope& scope) {
    if (!args.is_document()) {
        fail(51103,
             "$regexMatch expects an object of named arguments but found: " + type_name(args));
    }
    reject_unknown_args(args.doc(), {"input", "regex", "options"}, 31024,
                        "$regexMatch found an unknown argument: ");
    const Value* input = args.doc().get("input");
    const Value* regex = args.doc().get("regex");
    if (!input) fail(31022, "$regexMatch requires 'input' parameter");
    if (!regex) fail(31023, "$regexMatch requires 'regex' parameter");
    const Value* options = args.doc().get("options");
    NodeList nodes{parse(*input, scope), parse(*regex, scope),
                   options ? parse(*options, scope) : make_constant(missing_value())};
    return make_function(std::move(nodes), [](const std::vector<Value>& a) {
        if (is_nullish(a[1])) return Value::boolean(false);
        std::string pattern, flags;
        if (a[1].type() == BSON_TYPE_REGEX) {
            const auto& re = std::get<Regex>(a[1].payload());
            pattern = re.pattern;
            flags = re.options;
        } else if (a[1].is_string()) {
            pattern = a[1].str();
        } else {
            fail(51105, "$regexMatch needs 'regex' to be of type string or regex");
        }
        if (!is_nullish(a[2])) {
            if (!a[2].is_string()) fail(51106, "$regexMatch needs 'options' to be of type string");
            if (!flags.empty()) {
                fail(51107,
                     "$regexMatch found regex option(s) specified in both 'regex' and "
                     "'option' fields");
            }
            flags = a[2].str();
        }
        if (is_nullish(a[0])) return Value::boolean(false);
        if (!a[0].is_string()) fail(51104, "$regexMatch needs 'input' to be of type string");
        return Value::boolean(QueryRegex(pattern, flags).search(a[0].str()));
    });
}

}  // namespace

void register_string_operators(Registry& registry) {
    add_function(registry, "$concat", 0, -1, concat);
    for (std::string op : {"$substr", "$substrBytes"}) {
        add_function(registry, op, 3, 3,
                     [op](const std::vector<Value>& a) { return substr_bytes(op, a); });
    }
    add_function(registry, "$substrCP", 3, 3, substr_code_points);
    add_function(registry, "$toLower", 1, 1,
                 [](const std::vector<Value>& a) { return change_case("$toLower", a[0], false); });
    add_function(registry, "$toUpper", 1, 1,
                 [](const std::vector<Value>& a) { return change_case("$toUpper", a[0], true); });
    add_function(registry, "$strLenBytes", 1, 1, [](const std::vector<Value>& a) {
        return string_length("$strLenBytes", 34473, a[0], false);
    });
    add_function(registry, "$strLenCP", 1, 1, [](const std::vector<Value>& a) {
        return string_length("$strLenCP", 34471, a[0], true);
    });
    add_function(registry, "$split", 2, 2, split);
    add_function(registry, "$strcasecmp", 2, 2, compare_ignoring_case);
    add_function(registry, "$indexOfBytes", 2, 4, [](const std::vector<Value>& a) {
        return index_of_string("$indexOfBytes", a, false);
    });
    add_function(registry, "$indexOfCP", 2, 4, [](const std::vector<Value>& a) {
        return index_of_string("$indexOfCP", a, true);
    });
    registry["$replaceOne"] = [](const Value& a, ParseScope& s) {
        return parse_replace("$replaceOne", a, s, false);
    };
    registry["$replaceAll"] = [](const Value& a, ParseScope& s) {
        return parse_replace("$replaceAll", a, s, true);
    };
    registry["$regexMatch"] = parse_regex_match;
    registry["$trim"] = [](const Value& a, ParseScope& s) {
        return parse_trim("$trim", a, s, true, true);
    };
    registry["$ltrim"] = [](const Value& a, ParseScope& s) {
        return parse_trim("$ltrim", a, s, true, false);
    };
    registry["$rtrim"] = [](const Value& a, ParseScope& s) {
        return parse_trim("$rtrim", a, s, false, true);
    };
}

}  // namespace tmd::expr
