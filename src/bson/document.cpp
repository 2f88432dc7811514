// Thin RAII over libbson: ownership transfer and relaxed extended JSON rendering.
// Kept minimal on purpose: libbson does the work, this file only manages lifetimes.
#include "bson/document.h"

#include <cstring>
#include <stdexcept>

namespace tributary::bson {

Document Document::copy_of_subdocument(const bson_iter_t& iter) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    if (BSON_ITER_HOLDS_DOCUMENT(&iter)) {
        bson_iter_document(&iter, &length, &data);
    } else {
        bson_iter_array(&iter, &length, &data);
    }
    bson_t* copy = bson_new_from_data(data, length);
    // A server never sends one, but a corrupt embedded document must not reach libbson's
    // asserting functions.
    if (!copy) throw std::invalid_argument("malformed embedded BSON document");
    return Document(copy);
}

Document Document::from_json(std::string_view json) {
    bson_error_t error;
    bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                     static_cast<ssize_t>(json.size()), &error);
    if (!doc) throw std::invalid_argument(std::string("invalid JSON document: ") + error.message);
    return Document(doc);
}

Document& Document::operator=(Document&& other) noexcept {
    if (this != &other) {
        reset();
        doc_ = other.doc_;
        other.doc_ = nullptr;
    }
    return *this;
}

bson_t* Document::release() {
    bson_t* doc = doc_;
    doc_ = nullptr;
    return doc;
}

void Document::reset() {
    if (doc_) bson_destroy(doc_);
    doc_ = nullptr;
}

std::string Document::to_json() const {
    return bson::to_json(doc_);
}

std::string to_json(const bson_t* view) {
    if (!view) return "{}";
    size_t length = 0;
    char* text = bson_as_relaxed_extended_json(view, &length);
    if (!text) return "<invalid BSON>";
    std::string result(text, length);
    bson_free(text);
    return result;
}

std::string_view bytes(const bson_t* view) {
    return {reinterpret_cast<const char*>(bson_get_data(view)), view->len};
}

bool byte_equal(const bson_t* a, const bson_t* b) {
    return a->len == b->len && std::memcmp(bson_get_data(a), bson_get_data(b), a->len) == 0;
}

}  // namespace tributary::bson
