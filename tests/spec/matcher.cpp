// Spec runner: matching expected values against actual ones as the unified test format's
// "Evaluating Matches" section specifies.
#include "matcher.h"

#include <cstring>
#include <map>
#include <set>

namespace spec {
namespace {

// The $type query operator's aliases, which $$type uses.
const std::map<std::string, std::set<bson_type_t>>& type_aliases() {
    static const std::map<std::string, std::set<bson_type_t>> aliases = {
        {"double", {BSON_TYPE_DOUBLE}},
        {"string", {BSON_TYPE_UTF8}},
        {"object", {BSON_TYPE_DOCUMENT}},
        {"array", {BSON_TYPE_ARRAY}},
        {"binData", {BSON_TYPE_BINARY}},
        {"undefined", {BSON_TYPE_UNDEFINED}},
        {"objectId", {BSON_TYPE_OID}},
        {"bool", {BSON_TYPE_BOOL}},
        {"date", {BSON_TYPE_DATE_TIME}},
        {"null", {BSON_TYPE_NULL}},
        {"regex", {BSON_TYPE_REGEX}},
        {"dbPointer", {BSON_TYPE_DBPOINTER}},
        {"javascript", {BSON_TYPE_CODE}},
        {"symbol", {BSON_TYPE_SYMBOL}},
        {"javascriptWithScope", {BSON_TYPE_CODEWSCOPE}},
        {"int", {BSON_TYPE_INT32}},
        {"timestamp", {BSON_TYPE_TIMESTAMP}},
        {"long", {BSON_TYPE_INT64}},
        {"decimal", {BSON_TYPE_DECIMAL128}},
        {"minKey", {BSON_TYPE_MINKEY}},
        {"maxKey", {BSON_TYPE_MAXKEY}},
        {"number", {BSON_TYPE_INT32, BSON_TYPE_INT64, BSON_TYPE_DOUBLE, BSON_TYPE_DECIMAL128}},
    };
    return aliases;
}

bool has_type(const bson_iter_t& actual, const std::string& alias) {
    auto found = type_aliases().find(alias);
    if (found == type_aliases().end()) throw TestFailure("unknown $$type alias " + alias);
    return found->second.count(bson_iter_type(&actual)) > 0;
}

std::string hex_of(const uint8_t* data, size_t len) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < len; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0xf];
    }
    return out;
}

bool scalars_equal(const bson_iter_t& expected, const bson_iter_t& actual) {
    bson_type_t et = bson_iter_type(&expected);
    bson_type_t at = bson_iter_type(&actual);
    if (is_number(et) && is_number(at)) {
        if (et != BSON_TYPE_DOUBLE && at != BSON_TYPE_DOUBLE) {
            return bson_iter_as_int64(&expected) == bson_iter_as_int64(&actual);
        }
        return number_of(expected) == number_of(actual);
    }
    if (et != at) return false;
    if (et == BSON_TYPE_UTF8) {
        return strcmp(bson_iter_utf8(&expected, nullptr), bson_iter_utf8(&actual, nullptr)) == 0;
    }
    // Same type: the canonical text of both values decides (the format allows this approach).
    return value_json(expected) == value_json(actual);
}

std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

}  // namespace

std::string special_operator(const bson_iter_t& value) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&value)) return "";
    Doc doc = Doc::from_iter(value);
    if (bson_count_keys(doc.get()) != 1) return "";
    bson_iter_t it;
    bson_iter_init(&it, doc.get());
    bson_iter_next(&it);
    std::string key = bson_iter_key(&it);
    return key.rfind("$$", 0) == 0 ? key : "";
}

void Matcher::match(const bson_iter_t& expected, const bson_iter_t* actual, Root root,
                    const std::string& what) const {
    try {
        match_value(expected, actual, root != Root::kNo, "");
    } catch (const TestFailure& failure) {
        throw TestFailure(what + ": " + failure.what());
    }
}

void Matcher::match_exactly(const bson_t* expected, const bson_t* actual, const std::string& what) {
    EntityMap no_entities;
    Matcher matcher(no_entities);
    matcher.exact_ = true;
    Doc expected_holder, actual_holder;
    bson_append_document(expected_holder.get(), "v", 1, expected);
    bson_append_document(actual_holder.get(), "v", 1, actual);
    auto e = expected_holder.find("v");
    auto a = actual_holder.find("v");
    matcher.match(*e, &*a, Root::kNo, what);
}

void Matcher::match_value(const bson_iter_t& expected, const bson_iter_t* actual, bool root,
                          const std::string& path) const {
    std::string where = path.empty() ? "" : " at " + path;
    if (!exact_) {
        std::string op = special_operator(expected);
        if (!op.empty()) {
            Doc doc = Doc::from_iter(expected);
            match_operator(op, *doc.find(op.c_str()), actual, root, path);
            return;
        }
    }
    if (actual == nullptr)
        throw TestFailure("expected " + value_json(expected) + where + ", got nothing");
    if (BSON_ITER_HOLDS_DOCUMENT(&expected)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(actual)) {
            throw TestFailure("expected a document" + where + ", got " + value_json(*actual));
        }
        match_document(Doc::from_iter(expected).get(), *actual, root, path);
    } else if (BSON_ITER_HOLDS_ARRAY(&expected)) {
        match_array(expected, *actual, root, path);
    } else if (!scalars_equal(expected, *actual)) {
        throw TestFailure("expected " + value_json(expected) + where + ", got " +
                          value_json(*actual));
    }
}

void Matcher::match_document(const bson_t* expected, const bson_iter_t& actual_iter, bool root,
                             const std::string& path) const {
    Doc actual = Doc::from_iter(actual_iter);
    for_each(expected, [&](const char* key, const bson_iter_t& value) {
        auto found = actual.find(key);
        match_value(value, found ? &*found : nullptr, false, join(path, key));
    });
    if (root && !exact_) return;
    for_each(actual.get(), [&](const char* key, const bson_iter_t& value) {
        bson_iter_t in_expected;
        if (!bson_iter_init_find(&in_expected, expected, key)) {
            throw TestFailure("unexpected field " + join(path, key) + " = " + value_json(value));
        }
    });
}

void Matcher::match_array(const bson_iter_t& expected, const bson_iter_t& actual,
                          bool root_elements, const std::string& path) const {
    std::string where = path.empty() ? "" : " at " + path;
    if (!BSON_ITER_HOLDS_ARRAY(&actual)) {
        throw TestFailure("expected an array" + where + ", got " + value_json(actual));
    }
    Doc e = Doc::from_iter(expected);
    Doc a = Doc::from_iter(actual);
    if (bson_count_keys(e.get()) != bson_count_keys(a.get())) {
        throw TestFailure("expected " + std::to_string(bson_count_keys(e.get())) + " elements" +
                          where + ", got " + value_json(actual));
    }
    for_each(e.get(), [&](const char* key, const bson_iter_t& value) {
        auto found = a.find(key);
        match_value(value, &*found, root_elements, join(path, key));
    });
}

void Matcher::match_operator(const std::string& op, const bson_iter_t& operand,
                             const bson_iter_t* actual, bool root, const std::string& path) const {
    std::string where = path.empty() ? "" : " at " + path;
    auto require_actual = [&] {
        if (actual == nullptr) throw TestFailure(op + " expects a value" + where + ", got nothing");
    };
    if (op == "$$exists") {
        bool wanted = bson_iter_as_bool(&operand);
        if (wanted != (actual != nullptr)) {
            throw TestFailure(std::string(wanted ? "missing field" : "unexpected field") + where +
                              (actual ? " = " + value_json(*actual) : ""));
        }
    } else if (op == "$$unsetOrMatches") {
        if (actual != nullptr) match_value(operand, actual, root, path);
    } else if (op == "$$type") {
        require_actual();
        bool ok = false;
        if (BSON_ITER_HOLDS_UTF8(&operand)) {
            ok = has_type(*actual, bson_iter_utf8(&operand, nullptr));
        } else {
            for_each(Doc::from_iter(operand).get(), [&](const char*, const bson_iter_t& alias) {
                ok = ok || has_type(*actual, bson_iter_utf8(&alias, nullptr));
            });
        }
        if (!ok) {
            throw TestFailure("expected $$type " + value_json(operand) + where + ", got " +
                              value_json(*actual));
        }
    } else if (op == "$$matchesEntity") {
        Value entity = entities_.value(bson_iter_utf8(&operand, nullptr));
        match_value(entity.iter(), actual, root, path);
    } else if (op == "$$matchesHexBytes") {
        require_actual();
        std::string got;
        if (BSON_ITER_HOLDS_BINARY(actual)) {
            uint32_t len = 0;
            const uint8_t* data = nullptr;
            bson_iter_binary(actual, nullptr, &len, &data);
            got = hex_of(data, len);
        } else if (BSON_ITER_HOLDS_UTF8(actual)) {
            uint32_t len = 0;
            const char* text = bson_iter_utf8(actual, &len);
            got = hex_of(reinterpret_cast<const uint8_t*>(text), len);
        }
        if (got != lower(bson_iter_utf8(&operand, nullptr))) {
            throw TestFailure("expected bytes " + value_json(operand) + where + ", got " +
                              value_json(*actual));
        }
    } else if (op == "$$sessionLsid") {
        require_actual();
        const bson_t* lsid = entities_.session_lsid(bson_iter_utf8(&operand, nullptr));
        Doc holder;
        bson_append_document(holder.get(), "v", 1, lsid);
        match_value(*holder.find("v"), actual, false, path);
    } else if (op == "$$lte") {
        require_actual();
        if (!is_number(bson_iter_type(actual)) || number_of(*actual) > number_of(operand)) {
            throw TestFailure("expected a number <= " + value_json(operand) + where + ", got " +
                              value_json(*actual));
        }
    } else if (op == "$$matchAsRoot") {
        match_value(operand, actual, true, path);
    } else if (op == "$$matchAsDocument") {
        require_actual();
        if (!BSON_ITER_HOLDS_UTF8(actual)) throw TestFailure("expected a JSON string" + where);
        Doc parsed = Doc::from_json(bson_iter_utf8(actual, nullptr));
        Doc holder;
        bson_append_document(holder.get(), "v", 1, parsed.get());
        bson_iter_t parsed_value = holder.at("v");
        match_value(operand, &parsed_value, false, path);
    } else if (op != "$$placeholder") {
        throw TestFailure("unsupported special operator " + op);
    }
}

}  // namespace spec
