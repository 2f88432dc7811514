// Thin RAII over libbson: an owning, move-only Document and relaxed-JSON text for logs.
// Views are plain `const bson_t*`; nothing of libbson is re-implemented here.
#pragma once

#include <bson/bson.h>

#include <string>
#include <string_view>

namespace tributary::bson {

// A BSON Timestamp (cluster time / operationTime): seconds and increment.
struct Timestamp {
    uint32_t t = 0;
    uint32_t i = 0;
    bool is_null() const { return t == 0 && i == 0; }
    auto operator<=>(const Timestamp&) const = default;
};

// Owns one bson_t (heap-allocated by libbson). Move-only: copying a document is explicit (copy()).
class Document {
  public:
    Document() : doc_(bson_new()) {}
    // Takes ownership of `doc` (must come from bson_new/bson_copy/...).
    explicit Document(bson_t* doc) : doc_(doc) {}
    // Copies the bytes of a view, e.g. a document borrowed from a cursor.
    static Document copy_of(const bson_t* view) { return Document(bson_copy(view)); }
    // Copies the embedded document or array `iter` points at (which must hold one of those);
    // throws std::invalid_argument when its bytes are not a well-formed document.
    static Document copy_of_subdocument(const bson_iter_t& iter);
    // Parses relaxed or canonical extended JSON; throws std::invalid_argument on bad text.
    static Document from_json(std::string_view json);

    Document(Document&& other) noexcept : doc_(other.doc_) { other.doc_ = nullptr; }
    Document& operator=(Document&& other) noexcept;
    Document(const Document&) = delete;
    Document& operator=(const Document&) = delete;
    ~Document() { reset(); }

    Document copy() const { return copy_of(doc_); }
    const bson_t* view() const { return doc_; }
    bson_t* get() { return doc_; }
    // Gives up ownership; the caller must bson_destroy the result.
    bson_t* release();
    bool empty() const { return doc_ == nullptr || bson_empty(doc_); }
    uint32_t size() const { return doc_ ? doc_->len : 0; }
    std::string to_json() const;

  private:
    void reset();
    bson_t* doc_;
};

// Relaxed extended JSON of a borrowed document ("{}" for null), for log lines and messages.
std::string to_json(const bson_t* view);
// The bytes of a document as a string_view (valid while the document lives).
std::string_view bytes(const bson_t* view);
// Compares the raw bytes of two documents (byte-equal BSON, field order included).
bool byte_equal(const bson_t* a, const bson_t* b);

}  // namespace tributary::bson
