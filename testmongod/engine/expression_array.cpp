// Array and object expression operators: $size $arrayElemAt $first $last $concatArrays $in
// $isArray $slice $reverseArray $indexOfArray $range $allElementsTrue $anyElementTrue, the set
// operators, and $mergeObjects $objectToArray $arrayToObject $getField $setField.
#include <algorithm>
#include <optional>

#include "engine/expression_internal.h"

namespace tmd::expr {
namespace {

Value size(const std::vector<Value>& a) {
    if (!a[0].is_array()) {
        fail(17124,
             "The argument to $size must be an array. Type of argument was: " + type_name(a[0]));
    }
    return Value::int32(static_cast<int32_t>(a[0].array().size()));
}

// Element at a possibly negative (from the end) index, or missing when out of range.
Value element_at(const Array& array, int64_t index) {
    int64_t n = static_cast<int64_t>(array.size());
    if (index < 0) index += n;
    if (index < 0 || index >= n) return missing_value();
    return array[static_cast<size_t>(index)];
}

Value array_elem_at(const std::vector<Value>& a) {
    if (is_nullish(a[0]) || is_nullish(a[1])) return Value::null();
    if (!a[0].is_array()) {
        fail(28689, "$arrayElemAt's first argument must be an array, but is " + type_name(a[0]));
    }
    if (!a[1].is_number()) {
        fail(28690,
             "$arrayElemAt's second argument must be a numeric value, but is " + type_name(a[1]));
    }
    if (!fits_int32(a[1])) {
        fail(28691, "$arrayElemAt's second argument must be representable as a 32-bit integer: " +
                        show(a[1]));
    }
    return element_at(a[0].array(), a[1].as_int64());
}

Value first_or_last(const std::string& op, const Value& v, bool first) {
    if (is_nullish(v)) return Value::null();
    if (!v.is_array()) fail(28689, op + "'s argument must be an array, but is " + type_name(v));
    return element_at(v.array(), first ? 0 : -1);
}

Value concat_arrays(const std::vector<Value>& a) {
    Array out;
    for (const Value& v : a) {
        if (is_nullish(v)) return Value::null();
        if (!v.is_array()) fail(28664, "$concatArrays only supports arrays, not " + type_name(v));
        out.insert(out.end(), v.array().begin(), v.array().end());
    }
    return Value::array(std::move(out));
}

Value in_array(const std::vector<Value>& a) {
    if (!a[1].is_array())
        fail(40081, "$in requires an array as a second argument, found: " + type_name(a[1]));
    for (const Value& element : a[1].array()) {
        if (values_equal(element, a[0])) return Value::boolean(true);
    }
    return Value::boolean(false);
}

int32_t int32_arg(const Value& v, int numeric_code, int range_code, const std::string& what) {
    if (!v.is_number())
        fail(numeric_code, what + " must be a numeric value, but is of type: " + type_name(v));
    if (!fits_int32(v))
        fail(range_code, what + " can't be represented as a 32-bit integer: " + show(v));
    return static_cast<int32_t>(v.as_int64());
}

Value slice(const std::vector<Value>& a) {
    for (const Value& v : a) {
        if (is_nullish(v)) return Value::null();
    }
    if (!a[0].is_array()) {
        fail(28724,
             "First argument to $slice must be an array, but is of type: " + type_name(a[0]));
    }
    const Array& array = a[0].array();
    int64_t n = static_cast<int64_t>(array.size());
    int64_t position = int32_arg(a[1], 28725, 28726, "Second argument to $slice");
    int64_t count = 0;
    if (a.size() == 2) {
        // [array, n]: the first n, or the last -n elements.
        count = position >= 0 ? position : -position;
        position = position >= 0 ? 0 : std::max<int64_t>(0, n + position);
    } else {
        count = int32_arg(a[2], 28727, 28728, "Third argument to $slice");
        if (count <= 0) fail(28729, "Third argument to $slice must be positive: " + show(a[2]));
        position = position >= 0 ? std::min(position, n) : std::max<int64_t>(0, n + position);
    }
    int64_t end = std::min(n, position + count);
    return Value::array(Array(array.begin() + position, array.begin() + end));
}

Value reverse_array(const std::vector<Value>& a) {
    if (is_nullish(a[0])) return Value::null();
    if (!a[0].is_array()) {
        fail(34435,
             "The argument to $reverseArray must be an array, but was of type: " + type_name(a[0]));
    }
    return Value::array(Array(a[0].array().rbegin(), a[0].array().rend()));
}

int64_t index_bound(const Value& v, const std::string& which) {
    if (!is_integral(v)) {
        fail(40096, "$indexOfArray requires an integral " + which +
                        ", found a value of type: " + type_name(v) + ", with value: " + show(v));
    }
    if (v.as_int64() < 0)
        fail(40097, "$indexOfArray requires a nonnegative " + which + ", found: " + show(v));
    return v.as_int64();
}

Value index_of_array(const std::vector<Value>& a) {
    if (is_nullish(a[0])) return Value::null();
    if (!a[0].is_array())
        fail(40090,
             "$indexOfArray requires an array as a first argument, found: " + type_name(a[0]));
    const Array& array = a[0].array();
    int64_t start = a.size() > 2 ? index_bound(a[2], "starting index") : 0;
    int64_t end =
        a.size() > 3 ? index_bound(a[3], "ending index") : static_cast<int64_t>(array.size());
    end = std::min<int64_t>(end, static_cast<int64_t>(array.size()));
    for (int64_t i = start; i < end; ++i) {
        if (values_equal(array[static_cast<size_t>(i)], a[1]))
            return Value::int32(static_cast<int32_t>(i));
    }
    return Value::int32(-1);
}

int32_t range_bound(const Value& v, int numeric_code, int range_code, const std::string& what) {
    if (!v.is_number()) {
        fail(numeric_code,
             "$range requires a numeric " + what + ", found value of type: " + type_name(v));
    }
    if (!fits_int32(v)) {
        fail(range_code,
             "$range requires a " + what +
                 " that can be represented as a 32-bit integer, found value: " + show(v));
    }
    return static_cast<int32_t>(v.as_int64());
}

Value range(const std::vector<Value>& a) {
    int64_t start = range_bound(a[0], 34443, 34444, "starting value");
    int64_t end = range_bound(a[1], 34445, 34446, "ending value");
    int64_t step = a.size() > 2 ? range_bound(a[2], 34447, 34448, "step value") : 1;
    if (step == 0) fail(34449, "$range requires a non-zero step value");
    Array out;
    for (int64_t i = start; step > 0 ? i < end : i > end; i += step) {
        out.push_back(Value::int32(static_cast<int32_t>(i)));
    }
    return Value::array(std::move(out));
}

Value element_truth(const std::string& op, const Value& v, bool all) {
    if (!v.is_array()) fail(17040, op + "'s argument must be an array, but is " + type_name(v));
    for (const Value& element : v.array()) {
        if (is_true(element) != all) return Value::boolean(!all);
    }
    return Value::boolean(all);
}

// ---- set operators: arrays as sets, duplicates ignored, results in first-seen order -----------

bool contains(const Array& array, const Value& v) {
    return std::any_of(array.begin(), array.end(),
                       [&](const Value& e) { return values_equal(e, v); });
}

Array distinct(const Array& values) {
    Array out;
    for (const Value& v : values) {
        if (!contains(out, v)) out.push_back(v);
    }
    return out;
}

const Array& set_operand(const Value& v, int code, const std::string& message) {
    if (!v.is_array()) fail(code, message + type_name(v));
    return v.array();
}

Value set_union(const std::vector<Value>& a) {
    Array all;
    for (const Value& v : a) {
        if (is_nullish(v)) return Value::null();
        const Array& set = set_operand(
            v, 17043, "All operands of $setUnion must be arrays. One argument is of type: ");
        all.insert(all.end(), set.begin(), set.end());
    }
    return Value::array(distinct(all));
}

Value set_intersection(const std::vector<Value>& a) {
    std::optional<Array> common;
    for (const Value& v : a) {
        if (is_nullish(v)) return Value::null();
        const Array& set = set_operand(
            v, 17047, "All operands of $setIntersection must be arrays. One argument is of type: ");
        if (!common) {
            common = distinct(set);
            continue;
        }
        Array kept;
        for (const Value& e : *common) {
            if (contains(set, e)) kept.push_back(e);
        }
        common = std::move(kept);
    }
    return Value::array(common ? *common : Array{});
}

Value set_difference(const std::vector<Value>& a) {
    if (is_nullish(a[0]) || is_nullish(a[1])) return Value::null();
    const Array& first = set_operand(
        a[0], 17048, "both operands of $setDifference must be arrays. First argument is of type: ");
    const Array& second =
        set_operand(a[1], 17049,
                    "both operands of $setDifference must be arrays. Second argument is of type: ");
    Array out;
    for (const Value& e : distinct(first)) {
        if (!contains(second, e)) out.push_back(e);
    }
    return Value::array(std::move(out));
}

bool is_subset(const Array& a, const Array& b) {
    return std::all_of(a.begin(), a.end(), [&](const Value& e) { return contains(b, e); });
}

Value set_equals(const std::vector<Value>& a) {
    for (const Value& v : a) {
        set_operand(v, 17044,
                    "All operands of $setEquals must be arrays. One argument is of type: ");
    }
    for (size_t i = 1; i < a.size(); ++i) {
        if (!is_subset(a[0].array(), a[i].array()) || !is_subset(a[i].array(), a[0].array())) {
            return Value::boolean(false);
        }
    }
    return Value::boolean(true);
}

Value set_is_subset(const std::vector<Value>& a) {
    const Array& first = set_operand(
        a[0], 17046, "both operands of $setIsSubset must be arrays. First argument is of type: ");
    const Array& second = set_operand(
        a[1], 17042, "both operands of $setIsSubset must be arrays. Second argument is of type: ");
    return Value::boolean(is_subset(first, second));
}

void register_arrays(Registry& registry) {
    add_function(registry, "$size", 1, 1, size);
    add_function(registry, "$arrayElemAt", 2, 2, array_elem_at);
    add_function(registry, "$first", 1, 1,
                 [](const std::vector<Value>& a) { return first_or_last("$first", a[0], true); });
    add_function(registry, "$last", 1, 1,
                 [](const std::vector<Value>& a) { return first_or_last("$last", a[0], false); });
    add_function(registry, "$concatArrays", 0, -1, concat_arrays);
    add_function(registry, "$in", 2, 2, in_array);
    add_function(registry, "$isArray", 1, 1,
                 [](const std::vector<Value>& a) { return Value::boolean(a[0].is_array()); });
    add_function(registry, "$slice", 2, 3, slice);
    add_function(registry, "$reverseArray", 1, 1, reverse_array);
    add_function(registry, "$indexOfArray", 2, 4, index_of_array);
    add_function(registry, "$range", 2, 3, range);
    add_function(registry, "$setUnion", 0, -1, set_union);
    add_function(registry, "$setIntersection", 0, -1, set_intersection);
    add_function(registry, "$setDifference", 2, 2, set_difference);
    add_function(registry, "$setEquals", 2, -1, set_equals);
    add_function(registry, "$setIsSubset", 2, 2, set_is_subset);
    add_function(registry, "$allElementsTrue", 1, 1, [](const std::vector<Value>& a) {
        return element_truth("$allElementsTrue", a[0], true);
    });
    add_function(registry, "$anyElementTrue", 1, 1, [](const std::vector<Value>& a) {
        return element_truth("$anyElementTrue", a[0], false);
    });
}

// ---- objects --------------------------------------------------------------------------------

Value merge_objects(const std::vector<Value>& a) {
    Document out;
    for (const Value& v : a) {
        if (is_nullish(v)) continue;
        if (!v.is_document()) {
            fail(40400, "$mergeObjects requires object inputs, but input " + show(v) +
                            " is of type " + type_name(v));
        }
        for (const auto& field : v.doc().fields())
            out.set(field.name, field.value);
    }
    return Value::document(std::move(out));
}

Value object_to_array(const std::vector<Value>& a) {
    if (is_nullish(a[0])) return Value::null();
    if (!a[0].is_document())
        fail(40390, "$objectToArray requires a document input, found: " + type_name(a[0]));
    Array out;
    for (const auto& field : a[0].doc().fields()) {
        Document pair;
        pair.push_back("k", Value::string(field.name));
        pair.push_back("v", field.value);
        out.push_back(Value::document(std::move(pair)));
    }
    return Value::array(std::move(out));
}

std::string checked_key(const Value& key, int code, const std::string& message) {
    if (!key.is_string()) fail(code, message + type_name(key));
    if (key.str().find('\0') != std::string::npos) {
        fail(4940400, "Key field cannot contain an embedded null byte");
    }
    return key.str();
}

// One element of $arrayToObject's input: [k, v] or {k, v}; all elements must use one format.
std::pair<std::string, Value> key_value_of(const Value& element, bson_type_t format) {
    if (element.type() != format) {
        fail(40391,
             "$arrayToObject requires a consistent input format. Elements must all be arrays or "
             "all be objects. Object was detected, now found: " +
                 type_name(element));
    }
    if (element.is_array()) {
        const Array& pair = element.array();
        if (pair.size() != 2) {
            fail(40397, "$arrayToObject requires an array of size 2 arrays,found array of size: " +
                            std::to_string(pair.size()));
        }
        return {
            checked_key(pair[0], 40395,
                        "$arrayToObject requires an array of key-value pairs, where the key must "
                        "be of type string. Found key type: "),
            pair[1]};
    }
    const Document& pair = element.doc();
    if (pair.size() != 2) {
        fail(40392,
             "$arrayToObject requires an object keys of 'k' and 'v'. Found incorrect number of "
             "keys:" +
                 std::to_string(pair.size()));
    }
    const Value* k = pair.get("k");
    const Value* v = pair.get("v");
    if (!k || !v) {
        fail(40393,
             "$arrayToObject requires an object with keys 'k' and 'v'. Missing either or both keys "
             "from: " +
                 pair.to_json());
    }
    return {
        checked_key(*k, 40394,
                    "$arrayToObject requires an object with keys 'k' and 'v', where the value of "
                    "'k' must be of type string. Found type: "),
        *v};
}

Value array_to_object(const std::vector<Value>& a) {
    if (is_nullish(a[0])) return Value::null();
    if (!a[0].is_array())
        fail(40386, "$arrayToObject requires an array input, found: " + type_name(a[0]));
    Document out;
    const Array& input = a[0].array();
    if (input.empty()) return Value::document(std::move(out));
    bson_type_t format = input.front().type();
    if (format != BSON_TYPE_ARRAY && format != BSON_TYPE_DOCUMENT) {
        fail(40398,
             "Unrecognised input type format for $arrayToObject: " + type_name(input.front()));
    }
    for (const Value& element : input) {
        auto [key, value] = key_value_of(element, format);
        out.set(key, std::move(value));
    }
    return Value::document(std::move(out));
}

// $getField: {field, input} (input defaults to $$CURRENT) or the shorthand {$getField: "name"}.
NodePtr parse_get_field(const Value& args, ParseScope& scope) {
    Value field_spec = args;
    NodePtr input = parse(Value::string("$$CURRENT"), scope);
    if (args.is_document() && !args.doc().empty() && args.doc().fields().front().name[0] != '$') {
        reject_unknown_args(args.doc(), {"field", "input"}, 3041701,
                            "$getField found an unknown argument: ");
        const Value* field = args.doc().get("field");
        if (!field) fail(3041702, "$getField requires 'field' to be specified");
        field_spec = *field;
        if (const Value* in = args.doc().get("input")) input = parse(*in, scope);
    }
    NodePtr field = parse(field_spec, scope);
    if (!field->is_constant() || !field->evaluate(Document(), Variables(nullptr)).is_string()) {
        fail(5654602,
             "$getField requires 'field' to evaluate to a constant, but got a non-constant "
             "argument");
    }
    std::string name = field->evaluate(Document(), Variables(nullptr)).str();
    return make_function({input}, [name](const std::vector<Value>& a) {
        if (is_nullish(a[0])) return Value::null();
        if (!a[0].is_document())
            fail(3041705, "$getField requires 'input' to evaluate to type Object");
        const Value* v = a[0].doc().get(name);
        return v ? *v : missing_value();
    });
}

// $setField: {field, input, value}; a value of $$REMOVE removes the field.
NodePtr parse_set_field(const Value& args, ParseScope& scope) {
    if (!args.is_document()) fail(4161100, "$setField only supports an object as its argument");
    const Document& spec = args.doc();
    reject_unknown_args(spec, {"field", "input", "value"}, 4161101,
                        "$setField found an unknown argument: ");
    const Value* field = spec.get("field");
    const Value* input = spec.get("input");
    const Value* value = spec.get("value");
    if (!field) fail(4161102, "$setField requires 'field' to be specified");
    if (!input) fail(4161103, "$setField requires 'input' to be specified");
    if (!value) fail(4161104, "$setField requires 'value' to be specified");
    NodePtr field_node = parse(*field, scope);
    Value name =
        field_node->is_constant() ? field_node->evaluate(Document(), Variables(nullptr)) : Value();
    if (!name.is_string()) fail(4161106, "$setField requires 'field' to evaluate to type String");
    return make_function({parse(*input, scope), parse(*value, scope)},
                         [name = name.str()](const std::vector<Value>& a) {
                             if (is_nullish(a[0])) return Value::null();
                             if (!a[0].is_document()) {
                                 fail(4161105,
                                      "$setField requires 'input' to evaluate to type Object");
                             }
                             Document out = a[0].doc();
                             if (is_missing(a[1])) {
                                 out.remove(name);
                             } else {
                                 out.set(name, a[1]);
                             }
                             return Value::document(std::move(out));
                         });
}

}  // namespace

void register_array_operators(Registry& registry) {
    register_arrays(registry);
}

void register_object_operators(Registry& registry) {
    add_function(registry, "$mergeObjects", 0, -1, merge_objects);
    add_function(registry, "$objectToArray", 1, 1, object_to_array);
    add_function(registry, "$arrayToObject", 1, 1, array_to_object);
    registry["$getField"] = parse_get_field;
    registry["$setField"] = parse_set_field;
}

}  // namespace tmd::expr
