// Spec runner: a small owning layer over libbson (documents and single values) shared by the
// matcher, the entity map and the operations.
#pragma once

#include <bson/bson.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace spec {

// Raised when a test cannot pass: an assertion failed or the runner met an unexpected error.
struct TestFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Raised when a test must be skipped at run time (a feature the runner cannot observe).
struct TestSkip : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An owned bson_t.
class Doc {
  public:
    Doc() : bson_(bson_new()) {}
    static Doc adopt(bson_t* owned) { return Doc(owned); }
    static Doc copy_of(const bson_t* other) { return Doc(bson_copy(other)); }
    // The embedded document or array the iterator points at.
    static Doc from_iter(const bson_iter_t& it);
    static Doc from_json(const std::string& json);  // throws TestFailure on bad JSON

    Doc(const Doc& other) : bson_(bson_copy(other.bson_)) {}
    Doc(Doc&& other) noexcept : bson_(other.bson_) { other.bson_ = nullptr; }
    Doc& operator=(Doc other) noexcept {
        std::swap(bson_, other.bson_);
        return *this;
    }
    ~Doc() {
        if (bson_ != nullptr) bson_destroy(bson_);
    }

    bson_t* get() { return bson_; }
    const bson_t* get() const { return bson_; }
    bool empty() const { return bson_count_keys(bson_) == 0; }
    // Exact key lookups: field names may contain dots (bson_has_field would follow them).
    bool has(const char* key) const { return find(key).has_value(); }
    std::optional<bson_iter_t> find(const char* key) const;
    bson_iter_t at(const char* key) const;  // throws TestFailure when missing
    std::string json() const;

    // Accessors that throw TestFailure naming the key when it is missing or mistyped.
    std::string str(const char* key) const;
    Doc doc(const char* key) const;  // document or array
    std::optional<std::string> opt_str(const char* key) const;
    bool flag(const char* key, bool fallback) const;

  private:
    explicit Doc(bson_t* owned) : bson_(owned) {}
    bson_t* bson_;
};

// A reply out-parameter of libmongoc, which initialises it itself (even on failure).
struct Reply {
    bson_t bson = BSON_INITIALIZER;
    Reply() = default;
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;
    ~Reply() { bson_destroy(&bson); }
    bson_t* get() { return &bson; }
    Doc copy() const { return Doc::copy_of(&bson); }
};

// Pointers to documents in the `const bson_t**` shape libmongoc's insert_many takes (a
// std::vector<const bson_t*> trips -Wignored-attributes: bson_t is over-aligned).
class DocPointers {
  public:
    explicit DocPointers(const std::vector<Doc>& docs);
    DocPointers(const DocPointers&) = delete;
    DocPointers& operator=(const DocPointers&) = delete;
    ~DocPointers() { bson_free(pointers_); }
    const bson_t** data() { return pointers_; }
    size_t size() const { return size_; }

  private:
    const bson_t** pointers_;
    size_t size_;
};

// Any single BSON value (a document, an array, a scalar), held as the field "v" of a document.
class Value {
  public:
    static Value of_iter(const bson_iter_t& it);
    static Value of_doc(const bson_t* doc);
    static Value of_array(const std::vector<Doc>& docs);
    static Value of_null();

    bson_iter_t iter() const;  // positioned on the value
    bson_type_t type() const;
    std::string json() const;

  private:
    Doc holder_;
};

// Calls fn(key, iter) for each element of a document or array.
template <typename Fn>
void for_each(const bson_t* doc, Fn&& fn) {
    bson_iter_t it;
    if (!bson_iter_init(&it, doc)) return;
    while (bson_iter_next(&it))
        fn(bson_iter_key(&it), it);
}

std::string value_json(const bson_iter_t& it);
bool is_number(bson_type_t type);
double number_of(const bson_iter_t& it);  // int32/int64/double/bool as double
std::vector<Doc> docs_of_array(const bson_iter_t& array_iter);
std::vector<std::string> strings_of(const Doc& array);  // its string elements, in order
std::string lower(std::string text);                    // A-Z turned to a-z

}  // namespace spec
