// Value and Document: testmongod's mutable, in-memory model of a BSON document.
// Parsed from and written back to BSON losslessly, field order preserved; the update engine and
// the aggregation pipeline work on it. compare_values() implements MongoDB's BSON comparison order.
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tmd {

class Value;
class Collator;  // engine/collation.h
struct Field;

// An ordered list of fields; names may repeat only if the input BSON had them.
class Document {
  public:
    Document() = default;
    static Document from_bson(const bson_t& bson);
    static Document from_bytes(const uint8_t* data, size_t size);
    static Document from_json(std::string_view json);  // throws MongoError(FailedToParse)

    // Writes the fields into an initialised bson_t.
    void append_to(bson_t* out) const;
    std::string to_bytes() const;  // the BSON bytes
    std::string to_json() const;   // relaxed extended JSON, for logs and test failures

    const Value* get(std::string_view name) const;
    Value* get(std::string_view name);
    // Replaces the value of the first field with this name, or appends a new field.
    void set(std::string_view name, Value value);
    bool remove(std::string_view name);
    void push_back(std::string name, Value value);

    size_t size() const { return fields_.size(); }
    bool empty() const { return fields_.empty(); }
    std::vector<Field>& fields() { return fields_; }
    const std::vector<Field>& fields() const { return fields_; }

  private:
    std::vector<Field> fields_;
};

using Array = std::vector<Value>;

struct Binary {
    bson_subtype_t subtype = BSON_SUBTYPE_BINARY;
    std::string bytes;
};
struct Regex {
    std::string pattern;
    std::string options;
};
struct Timestamp {
    uint32_t t = 0;
    uint32_t i = 0;
};
struct DBPointer {
    std::string collection;
    bson_oid_t oid;
};
struct CodeWithScope {
    std::string code;
    std::shared_ptr<Document> scope;
};

class Value {
  public:
    // Payload by type: null/undefined/minkey/maxkey: monostate; bool; int32; int64 (int64 and
    // date-time ms); double; string (utf8, symbol, code); Document; Array; Binary; oid; Regex;
    // Timestamp; decimal128; DBPointer; CodeWithScope.
    using Payload = std::variant<std::monostate, bool, int32_t, int64_t, double, std::string,
                                 Document, Array, Binary, bson_oid_t, Regex, Timestamp,
                                 bson_decimal128_t, DBPointer, CodeWithScope>;

    Value() : type_(BSON_TYPE_NULL) {}
    Value(bson_type_t type, Payload payload) : type_(type), payload_(std::move(payload)) {}
    static Value null() { return Value(); }
    static Value undefined() { return Value(BSON_TYPE_UNDEFINED, std::monostate{}); }
    static Value min_key() { return Value(BSON_TYPE_MINKEY, std::monostate{}); }
    static Value max_key() { return Value(BSON_TYPE_MAXKEY, std::monostate{}); }
    static Value boolean(bool v) { return Value(BSON_TYPE_BOOL, v); }
    static Value int32(int32_t v) { return Value(BSON_TYPE_INT32, v); }
    static Value int64(int64_t v) { return Value(BSON_TYPE_INT64, v); }
    static Value dbl(double v) { return Value(BSON_TYPE_DOUBLE, v); }
    static Value string(std::string v) { return Value(BSON_TYPE_UTF8, std::move(v)); }
    static Value date(int64_t ms) { return Value(BSON_TYPE_DATE_TIME, ms); }
    static Value oid(const bson_oid_t& v) { return Value(BSON_TYPE_OID, v); }
    static Value timestamp(uint32_t t, uint32_t i) {
        return Value(BSON_TYPE_TIMESTAMP, Timestamp{t, i});
    }
    static Value document(Document v) { return Value(BSON_TYPE_DOCUMENT, std::move(v)); }
    static Value array(Array v) { return Value(BSON_TYPE_ARRAY, std::move(v)); }
    static Value decimal(const bson_decimal128_t& v) { return Value(BSON_TYPE_DECIMAL128, v); }

    static Value from_iter(const bson_iter_t& iter);
    void append_to(bson_t* out, std::string_view key) const;

    bson_type_t type() const { return type_; }
    bool is_null() const { return type_ == BSON_TYPE_NULL; }
    bool is_number() const;
    bool is_document() const { return type_ == BSON_TYPE_DOCUMENT; }
    bool is_array() const { return type_ == BSON_TYPE_ARRAY; }
    bool is_string() const { return type_ == BSON_TYPE_UTF8; }
    // MongoDB truthiness: false, null, undefined and numeric zero are false.
    bool truthy() const;

    // Numeric views (valid when is_number()).
    double as_double() const;
    int64_t as_int64() const;  // truncates doubles/decimals

    bool as_bool() const { return std::get<bool>(payload_); }
    int32_t as_int32() const { return std::get<int32_t>(payload_); }
    const std::string& str() const { return std::get<std::string>(payload_); }
    const Document& doc() const { return std::get<Document>(payload_); }
    Document& doc() { return std::get<Document>(payload_); }
    const Array& array() const { return std::get<Array>(payload_); }
    Array& array() { return std::get<Array>(payload_); }
    const Payload& payload() const { return payload_; }

    std::string to_json() const;  // relaxed extended JSON of {"": value}, minus the wrapper

  private:
    bson_type_t type_;
    Payload payload_;
};

struct Field {
    std::string name;
    Value value;
};

// MongoDB's canonical type order: MinKey < null/undefined < numbers < symbol/string < object <
// array < binData < ObjectId < bool < date < timestamp < regex < ... < MaxKey.
// https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/
int canonical_type_rank(bson_type_t type);

// <0, 0, >0 as a sorts before, equal to, after b. Numbers compare by value across int32, int64,
// double and decimal128; NaN sorts below every other number; documents compare field by field
// (type rank, then name, then value); arrays element by element.
// With a collator (engine/collation.h), strings and symbols compare under its collation, at any
// depth; field names always compare by bytes. nullptr is the simple (binary) collation.
int compare_values(const Value& a, const Value& b, const Collator* collator = nullptr);
int compare_documents(const Document& a, const Document& b, const Collator* collator = nullptr);
// Binary-collation equality (kept a plain two-argument function: callers pass it to algorithms).
inline bool values_equal(const Value& a, const Value& b) {
    return compare_values(a, b) == 0;
}

// A document stored by testmongod: immutable BSON bytes shared between storage, cursors and
// change events without copying.
using StoredDoc = std::shared_ptr<const std::string>;
inline bson_t view_of(const StoredDoc& doc) {
    bson_t view;
    bson_init_static(&view, reinterpret_cast<const uint8_t*>(doc->data()), doc->size());
    return view;
}

// The BSON type name mongod's typeName() gives: what $type returns and error messages quote
// ("double", "string", "missing" for an absent value, ...).
std::string type_name(bson_type_t type);
std::string type_name(const Value& v);

}  // namespace tmd
