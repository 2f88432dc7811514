#include "engine/value.h"

#include <cmath>
#include <cstring>
#include <string>

#include "engine/collation.h"
#include "engine/error.h"

namespace tmd {
namespace {

Document parse_document(const bson_iter_t& parent) {
    bson_iter_t child;
    bson_iter_recurse(&parent, &child);
    Document doc;
    while (bson_iter_next(&child))
        doc.push_back(bson_iter_key(&child), Value::from_iter(child));
    return doc;
}

Array parse_array(const bson_iter_t& parent) {
    bson_iter_t child;
    bson_iter_recurse(&parent, &child);
    Array array;
    while (bson_iter_next(&child))
        array.push_back(Value::from_iter(child));
    return array;
}

std::string utf8_of(const bson_iter_t& iter) {
    uint32_t length = 0;
    const char* text = bson_iter_utf8(&iter, &length);
    return std::string(text, length);
}

// Decimal128 to long double through its string form; exact enough to order values that testmongod
// stores (MongoDB compares decimals exactly, we only claim correct order for finite values that
// differ within long double precision).
long double decimal_to_long_double(const bson_decimal128_t& value) {
    char text[BSON_DECIMAL128_STRING];
    bson_decimal128_to_string(&value, text);
    std::string s(text);
    if (s == "NaN" || s == "-NaN") return std::nanl("");
    if (s == "Infinity") return HUGE_VALL;
    if (s == "-Infinity") return -HUGE_VALL;
    return std::strtold(text, nullptr);
}

long double number_of(const Value& v) {
    switch (v.type()) {
        case BSON_TYPE_INT32:
            return std::get<int32_t>(v.payload());
        case BSON_TYPE_INT64:
            return static_cast<long double>(std::get<int64_t>(v.payload()));
        case BSON_TYPE_DOUBLE:
            return std::get<double>(v.payload());
        case BSON_TYPE_DECIMAL128:
            return decimal_to_long_double(std::get<bson_decimal128_t>(v.payload()));
        default:
            return 0;
    }
}

int sign(long double x) {
    return x < 0 ? -1 : (x > 0 ? 1 : 0);
}

int compare_numbers(const Value& a, const Value& b) {
    if (a.type() == BSON_TYPE_INT64 && b.type() == BSON_TYPE_INT64) {
        auto x = std::get<int64_t>(a.payload()), y = std::get<int64_t>(b.payload());
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    long double x = number_of(a), y = number_of(b);
    bool xnan = std::isnan(x), ynan = std::isnan(y);
    if (xnan || ynan) return xnan && ynan ? 0 : (xnan ? -1 : 1);
    return sign(x - y);
}

int compare_strings(const std::string& a, const std::string& b) {
    int c = a.compare(b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int compare_arrays(const Array& a, const Array& b, const Collator* collator) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (int c = compare_values(a[i], b[i], collator)) return c;
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

int compare_binary(const Binary& a, const Binary& b) {
    // MongoDB: length first, then subtype, then bytes.
    if (a.bytes.size() != b.bytes.size()) return a.bytes.size() < b.bytes.size() ? -1 : 1;
    if (a.subtype != b.subtype) return a.subtype < b.subtype ? -1 : 1;
    int c = std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int compare_same_rank(const Value& a, const Value& b, const Collator* collator) {
    const auto& pa = a.payload();
    const auto& pb = b.payload();
    switch (a.type()) {
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128:
            return compare_numbers(a, b);
        case BSON_TYPE_UTF8:
        case BSON_TYPE_SYMBOL: {
            const auto& x = std::get<std::string>(pa);
            const auto& y = std::get<std::string>(pb);
            return collator ? collator->compare(x, y) : compare_strings(x, y);
        }
        case BSON_TYPE_DOCUMENT:
            return compare_documents(a.doc(), b.doc(), collator);
        case BSON_TYPE_ARRAY:
            return compare_arrays(a.array(), b.array(), collator);
        case BSON_TYPE_BINARY:
            return compare_binary(std::get<Binary>(pa), std::get<Binary>(pb));
        case BSON_TYPE_OID: {
            int c = bson_oid_compare(&std::get<bson_oid_t>(pa), &std::get<bson_oid_t>(pb));
            return c < 0 ? -1 : (c > 0 ? 1 : 0);
        }
        case BSON_TYPE_BOOL:
            return int(a.as_bool()) - int(b.as_bool());
        case BSON_TYPE_DATE_TIME: {
            auto x = std::get<int64_t>(pa), y = std::get<int64_t>(pb);
            return x < y ? -1 : (x > y ? 1 : 0);
        }
        case BSON_TYPE_TIMESTAMP: {
            auto x = std::get<Timestamp>(pa), y = std::get<Timestamp>(pb);
            uint64_t u = (uint64_t(x.t) << 32) | x.i, v = (uint64_t(y.t) << 32) | y.i;
            return u < v ? -1 : (u > v ? 1 : 0);
        }
        case BSON_TYPE_REGEX: {
            auto x = std::get<Regex>(pa), y = std::get<Regex>(pb);
            if (int c = compare_strings(x.pattern, y.pattern)) return c;
            return compare_strings(x.options, y.options);
        }
        case BSON_TYPE_DBPOINTER: {
            auto x = std::get<DBPointer>(pa), y = std::get<DBPointer>(pb);
            if (int c = compare_strings(x.collection, y.collection)) return c;
            int c = bson_oid_compare(&x.oid, &y.oid);
            return c < 0 ? -1 : (c > 0 ? 1 : 0);
        }
        case BSON_TYPE_CODE:
            return compare_strings(a.str(), b.str());
        case BSON_TYPE_CODEWSCOPE: {
            auto x = std::get<CodeWithScope>(pa), y = std::get<CodeWithScope>(pb);
            if (int c = compare_strings(x.code, y.code)) return c;
            return compare_documents(*x.scope, *y.scope);
        }
        default:
            return 0;  // null, undefined, minKey, maxKey: all equal within their rank
    }
}

}  // namespace

Document Document::from_bson(const bson_t& bson) {
    bson_iter_t iter;
    Document doc;
    if (!bson_iter_init(&iter, &bson))
        throw MongoError(code::InvalidLength, "invalid BSON document");
    while (bson_iter_next(&iter))
        doc.push_back(bson_iter_key(&iter), Value::from_iter(iter));
    return doc;
}

Document Document::from_bytes(const uint8_t* data, size_t size) {
    bson_t view;
    if (!bson_init_static(&view, data, size))
        throw MongoError(code::InvalidLength, "invalid BSON document");
    return from_bson(view);
}

Document Document::from_json(std::string_view json) {
    bson_error_t error;
    bson_t* parsed = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                        static_cast<ssize_t>(json.size()), &error);
    if (!parsed) throw MongoError(code::FailedToParse, error.message);
    Document doc = from_bson(*parsed);
    bson_destroy(parsed);
    return doc;
}

void Document::append_to(bson_t* out) const {
    for (const auto& field : fields_)
        field.value.append_to(out, field.name);
}

std::string Document::to_bytes() const {
    bson_t out = BSON_INITIALIZER;
    append_to(&out);
    std::string bytes(reinterpret_cast<const char*>(bson_get_data(&out)), out.len);
    bson_destroy(&out);
    return bytes;
}

std::string Document::to_json() const {
    bson_t out = BSON_INITIALIZER;
    append_to(&out);
    char* json = bson_as_relaxed_extended_json(&out, nullptr);
    std::string text = json ? json : "";
    bson_free(json);
    bson_destroy(&out);
    return text;
}

const Value* Document::get(std::string_view name) const {
    for (const auto& field : fields_) {
        if (field.name == name) return &field.value;
    }
    return nullptr;
}

Value* Document::get(std::string_view name) {
    for (auto& field : fields_) {
        if (field.name == name) return &field.value;
    }
    return nullptr;
}

void Document::set(std::string_view name, Value value) {
    if (Value* existing = get(name)) {
        *existing = std::move(value);
    } else {
        fields_.push_back(Field{std::string(name), std::move(value)});
    }
}

bool Document::remove(std::string_view name) {
    for (auto it = fields_.begin(); it != fields_.end(); ++it) {
        if (it->name == name) {
            fields_.erase(it);
            return true;
        }
    }
    return false;
}

void Document::push_back(std::string name, Value value) {
    fields_.push_back(Field{std::move(name), std::move(value)});
}

Value Value::from_iter(const bson_iter_t& iter) {
    bson_type_t type = bson_iter_type(&iter);
    switch (type) {
        case BSON_TYPE_DOUBLE:
            return dbl(bson_iter_double(&iter));
        case BSON_TYPE_UTF8:
            return Value(type, utf8_of(iter));
        case BSON_TYPE_DOCUMENT:
            return document(parse_document(iter));
        case BSON_TYPE_ARRAY:
            return array(parse_array(iter));
        case BSON_TYPE_BINARY: {
            Binary bin;
            uint32_t length = 0;
            const uint8_t* data = nullptr;
            bson_iter_binary(&iter, &bin.subtype, &length, &data);
            bin.bytes.assign(reinterpret_cast<const char*>(data), length);
            return Value(type, std::move(bin));
        }
        case BSON_TYPE_UNDEFINED:
            return undefined();
        case BSON_TYPE_OID:
            return oid(*bson_iter_oid(&iter));
        case BSON_TYPE_BOOL:
            return boolean(bson_iter_bool(&iter));
        case BSON_TYPE_DATE_TIME:
            return date(bson_iter_date_time(&iter));
        case BSON_TYPE_NULL:
            return null();
        case BSON_TYPE_REGEX: {
            const char* options = nullptr;
            const char* pattern = bson_iter_regex(&iter, &options);
            return Value(type, Regex{pattern, options ? options : ""});
        }
        case BSON_TYPE_DBPOINTER: {
            uint32_t length = 0;
            const char* collection = nullptr;
            const bson_oid_t* target = nullptr;
            bson_iter_dbpointer(&iter, &length, &collection, &target);
            return Value(type, DBPointer{std::string(collection, length), *target});
        }
        case BSON_TYPE_CODE: {
            uint32_t length = 0;
            const char* code = bson_iter_code(&iter, &length);
            return Value(type, std::string(code, length));
        }
        case BSON_TYPE_SYMBOL: {
            uint32_t length = 0;
            const char* symbol = bson_iter_symbol(&iter, &length);
            return Value(type, std::string(symbol, length));
        }
        case BSON_TYPE_CODEWSCOPE: {
            uint32_t length = 0, scope_length = 0;
            const uint8_t* scope = nullptr;
            const char* code = bson_iter_codewscope(&iter, &length, &scope_length, &scope);
            auto scope_doc = std::make_shared<Document>(Document::from_bytes(scope, scope_length));
            return Value(type, CodeWithScope{std::string(code, length), std::move(scope_doc)});
        }
        case BSON_TYPE_INT32:
            return int32(bson_iter_int32(&iter));
        case BSON_TYPE_TIMESTAMP: {
            uint32_t t = 0, i = 0;
            bson_iter_timestamp(&iter, &t, &i);
            return timestamp(t, i);
        }
        case BSON_TYPE_INT64:
            return int64(bson_iter_int64(&iter));
        case BSON_TYPE_DECIMAL128: {
            bson_decimal128_t value;
            bson_iter_decimal128(&iter, &value);
            return decimal(value);
        }
        case BSON_TYPE_MAXKEY:
            return max_key();
        case BSON_TYPE_MINKEY:
            return min_key();
        default:
            throw MongoError(code::InvalidLength, "invalid BSON element type");
    }
}

void Value::append_to(bson_t* out, std::string_view key) const {
    const char* k = key.data();
    int kl = static_cast<int>(key.size());
    switch (type_) {
        case BSON_TYPE_DOUBLE:
            bson_append_double(out, k, kl, std::get<double>(payload_));
            break;
        case BSON_TYPE_UTF8:
            bson_append_utf8(out, k, kl, str().data(), static_cast<int>(str().size()));
            break;
        case BSON_TYPE_DOCUMENT: {
            bson_t child;
            bson_append_document_begin(out, k, kl, &child);
            doc().append_to(&child);
            bson_append_document_end(out, &child);
            break;
        }
        case BSON_TYPE_ARRAY: {
            bson_t child;
            bson_append_array_begin(out, k, kl, &child);
            char buffer[16];
            const char* index_key = nullptr;
            for (uint32_t i = 0; i < array().size(); ++i) {
                size_t length = bson_uint32_to_string(i, &index_key, buffer, sizeof buffer);
                array()[i].append_to(&child, std::string_view(index_key, length));
            }
            bson_append_array_end(out, &child);
            break;
        }
        case BSON_TYPE_BINARY: {
            const auto& bin = std::get<Binary>(payload_);
            bson_append_binary(out, k, kl, bin.subtype,
                               reinterpret_cast<const uint8_t*>(bin.bytes.data()),
                               static_cast<uint32_t>(bin.bytes.size()));
            break;
        }
        case BSON_TYPE_UNDEFINED:
            bson_append_undefined(out, k, kl);
            break;
        case BSON_TYPE_OID:
            bson_append_oid(out, k, kl, &std::get<bson_oid_t>(payload_));
            break;
        case BSON_TYPE_BOOL:
            bson_append_bool(out, k, kl, as_bool());
            break;
        case BSON_TYPE_DATE_TIME:
            bson_append_date_time(out, k, kl, std::get<int64_t>(payload_));
            break;
        case BSON_TYPE_NULL:
            bson_append_null(out, k, kl);
            break;
        case BSON_TYPE_REGEX: {
            const auto& re = std::get<Regex>(payload_);
            bson_append_regex_w_len(out, k, kl, re.pattern.data(),
                                    static_cast<int>(re.pattern.size()), re.options.c_str());
            break;
        }
        case BSON_TYPE_DBPOINTER: {
            const auto& ptr = std::get<DBPointer>(payload_);
            bson_append_dbpointer(out, k, kl, ptr.collection.c_str(), &ptr.oid);
            break;
        }
        case BSON_TYPE_CODE:
            bson_append_code(out, k, kl, str().c_str());
            break;
        case BSON_TYPE_SYMBOL:
            bson_append_symbol(out, k, kl, str().data(), static_cast<int>(str().size()));
            break;
        case BSON_TYPE_CODEWSCOPE: {
            const auto& cws = std::get<CodeWithScope>(payload_);
            bson_t scope = BSON_INITIALIZER;
            cws.scope->append_to(&scope);
            bson_append_code_with_scope(out, k, kl, cws.code.c_str(), &scope);
            bson_destroy(&scope);
            break;
        }
        case BSON_TYPE_INT32:
            bson_append_int32(out, k, kl, as_int32());
            break;
        case BSON_TYPE_TIMESTAMP: {
            const auto& ts = std::get<Timestamp>(payload_);
            bson_append_timestamp(out, k, kl, ts.t, ts.i);
            break;
        }
        case BSON_TYPE_INT64:
            bson_append_int64(out, k, kl, std::get<int64_t>(payload_));
            break;
        case BSON_TYPE_DECIMAL128:
            bson_append_decimal128(out, k, kl, &std::get<bson_decimal128_t>(payload_));
            break;
        case BSON_TYPE_MAXKEY:
            bson_append_maxkey(out, k, kl);
            break;
        case BSON_TYPE_MINKEY:
            bson_append_minkey(out, k, kl);
            break;
        default:
            break;
    }
}

bool Value::is_number() const {
    return type_ == BSON_TYPE_INT32 || type_ == BSON_TYPE_INT64 || type_ == BSON_TYPE_DOUBLE ||
           type_ == BSON_TYPE_DECIMAL128;
}

bool Value::truthy() const {
    switch (type_) {
        case BSON_TYPE_BOOL:
            return as_bool();
        case BSON_TYPE_NULL:
        case BSON_TYPE_UNDEFINED:
            return false;
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128:
            return number_of(*this) != 0;
        default:
            return true;
    }
}

double Value::as_double() const {
    return static_cast<double>(number_of(*this));
}

int64_t Value::as_int64() const {
    if (type_ == BSON_TYPE_INT64) return std::get<int64_t>(payload_);
    return static_cast<int64_t>(number_of(*this));
}

std::string Value::to_json() const {
    bson_t out = BSON_INITIALIZER;
    append_to(&out, "v");
    bson_iter_t iter;
    std::string text;
    if (bson_iter_init(&iter, &out) && bson_iter_next(&iter)) {
        char* json = bson_as_relaxed_extended_json(&out, nullptr);
        text = json ? json : "";
        bson_free(json);
        // {"v" : X } -> X
        auto start = text.find(':');
        if (start != std::string::npos && text.size() >= start + 4)
            text = text.substr(start + 2, text.size() - start - 4);
    }
    bson_destroy(&out);
    return text;
}

int canonical_type_rank(bson_type_t type) {
    switch (type) {
        case BSON_TYPE_MINKEY:
            return -1;
        case BSON_TYPE_UNDEFINED:
        case BSON_TYPE_NULL:
            return 5;  // undefined is treated as null for ordering
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128:
            return 10;
        case BSON_TYPE_UTF8:
        case BSON_TYPE_SYMBOL:
            return 15;
        case BSON_TYPE_DOCUMENT:
            return 20;
        case BSON_TYPE_ARRAY:
            return 25;
        case BSON_TYPE_BINARY:
            return 30;
        case BSON_TYPE_OID:
            return 35;
        case BSON_TYPE_BOOL:
            return 40;
        case BSON_TYPE_DATE_TIME:
            return 45;
        case BSON_TYPE_TIMESTAMP:
            return 47;
        case BSON_TYPE_REGEX:
            return 50;
        case BSON_TYPE_DBPOINTER:
            return 55;
        case BSON_TYPE_CODE:
            return 60;
        case BSON_TYPE_CODEWSCOPE:
            return 65;
        case BSON_TYPE_MAXKEY:
            return 127;
        default:
            return 0;
    }
}

int compare_values(const Value& a, const Value& b, const Collator* collator) {
    int ra = canonical_type_rank(a.type()), rb = canonical_type_rank(b.type());
    if (ra != rb) return ra < rb ? -1 : 1;
    return compare_same_rank(a, b, collator);
}

int compare_documents(const Document& a, const Document& b, const Collator* collator) {
    const auto& fa = a.fields();
    const auto& fb = b.fields();
    for (size_t i = 0; i < fa.size() && i < fb.size(); ++i) {
        int ra = canonical_type_rank(fa[i].value.type()),
            rb = canonical_type_rank(fb[i].value.type());
        if (ra != rb) return ra < rb ? -1 : 1;
        if (int c = compare_strings(fa[i].name, fb[i].name)) return c;
        if (int c = compare_same_rank(fa[i].value, fb[i].value, collator)) return c;
    }
    return fa.size() < fb.size() ? -1 : (fa.size() > fb.size() ? 1 : 0);
}

// mongod's typeName(): the names $type returns and error messages quote (EOO is "missing").
std::string type_name(bson_type_t type) {
    switch (type) {
        case BSON_TYPE_EOD:
            return "missing";
        case BSON_TYPE_DOUBLE:
            return "double";
        case BSON_TYPE_UTF8:
            return "string";
        case BSON_TYPE_DOCUMENT:
            return "object";
        case BSON_TYPE_ARRAY:
            return "array";
        case BSON_TYPE_BINARY:
            return "binData";
        case BSON_TYPE_UNDEFINED:
            return "undefined";
        case BSON_TYPE_OID:
            return "objectId";
        case BSON_TYPE_BOOL:
            return "bool";
        case BSON_TYPE_DATE_TIME:
            return "date";
        case BSON_TYPE_NULL:
            return "null";
        case BSON_TYPE_REGEX:
            return "regex";
        case BSON_TYPE_DBPOINTER:
            return "dbPointer";
        case BSON_TYPE_CODE:
            return "javascript";
        case BSON_TYPE_SYMBOL:
            return "symbol";
        case BSON_TYPE_CODEWSCOPE:
            return "javascriptWithScope";
        case BSON_TYPE_INT32:
            return "int";
        case BSON_TYPE_TIMESTAMP:
            return "timestamp";
        case BSON_TYPE_INT64:
            return "long";
        case BSON_TYPE_DECIMAL128:
            return "decimal";
        case BSON_TYPE_MINKEY:
            return "minKey";
        case BSON_TYPE_MAXKEY:
            return "maxKey";
        default:
            return "unknown";
    }
}

std::string type_name(const Value& v) {
    return type_name(v.type());
}

}  // namespace tmd
