// Spec runner: owning libbson wrappers (Doc, Value) and small value helpers.
// Values are printed as relaxed extended JSON in failure messages.
#include "bson_util.h"

namespace spec {

Doc Doc::from_iter(const bson_iter_t& it) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&it) && !BSON_ITER_HOLDS_ARRAY(&it)) {
        throw TestFailure(std::string("expected a document or array at '") + bson_iter_key(&it) +
                          "', got " + value_json(it));
    }
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_iter_document(&it, &len, &data);
    } else {
        bson_iter_array(&it, &len, &data);
    }
    return Doc(bson_new_from_data(data, len));
}

Doc Doc::from_json(const std::string& json) {
    bson_error_t error;
    bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                     static_cast<ssize_t>(json.size()), &error);
    if (doc == nullptr) throw TestFailure(std::string("invalid extended JSON: ") + error.message);
    return Doc(doc);
}

std::optional<bson_iter_t> Doc::find(const char* key) const {
    bson_iter_t it;
    if (bson_iter_init_find(&it, bson_, key)) return it;
    return std::nullopt;
}

bson_iter_t Doc::at(const char* key) const {
    auto it = find(key);
    if (!it) throw TestFailure(std::string("missing field '") + key + "' in " + json());
    return *it;
}

DocPointers::DocPointers(const std::vector<Doc>& docs)
    : pointers_(static_cast<const bson_t**>(bson_malloc0(sizeof(bson_t*) * (docs.size() + 1)))),
      size_(docs.size()) {
    for (size_t i = 0; i < docs.size(); ++i)
        pointers_[i] = docs[i].get();
}

std::string Doc::json() const {
    size_t len = 0;
    char* text = bson_as_relaxed_extended_json(bson_, &len);
    std::string out(text, len);
    bson_free(text);
    return out;
}

std::string Doc::str(const char* key) const {
    auto value = opt_str(key);
    if (!value) throw TestFailure(std::string("missing string field '") + key + "' in " + json());
    return *value;
}

std::optional<std::string> Doc::opt_str(const char* key) const {
    auto it = find(key);
    if (!it) return std::nullopt;
    if (!BSON_ITER_HOLDS_UTF8(&*it)) {
        throw TestFailure(std::string("field '") + key + "' is not a string in " + json());
    }
    return std::string(bson_iter_utf8(&*it, nullptr));
}

Doc Doc::doc(const char* key) const {
    auto it = find(key);
    if (!it) throw TestFailure(std::string("missing field '") + key + "' in " + json());
    return from_iter(*it);
}

bool Doc::flag(const char* key, bool fallback) const {
    auto it = find(key);
    return it ? bson_iter_as_bool(&*it) : fallback;
}

Value Value::of_iter(const bson_iter_t& it) {
    Value v;
    bson_append_iter(v.holder_.get(), "v", 1, &it);
    return v;
}

Value Value::of_doc(const bson_t* doc) {
    Value v;
    bson_append_document(v.holder_.get(), "v", 1, doc);
    return v;
}

Value Value::of_array(const std::vector<Doc>& docs) {
    Value v;
    bson_t array;
    bson_append_array_begin(v.holder_.get(), "v", 1, &array);
    for (size_t i = 0; i < docs.size(); ++i) {
        std::string key = std::to_string(i);
        bson_append_document(&array, key.c_str(), -1, docs[i].get());
    }
    bson_append_array_end(v.holder_.get(), &array);
    return v;
}

Value Value::of_null() {
    Value v;
    bson_append_null(v.holder_.get(), "v", 1);
    return v;
}

bson_iter_t Value::iter() const {
    return *holder_.find("v");
}

bson_type_t Value::type() const {
    bson_iter_t it = iter();
    return bson_iter_type(&it);
}

std::string Value::json() const {
    return value_json(iter());
}

std::string value_json(const bson_iter_t& it) {
    Doc holder;
    bson_append_iter(holder.get(), "v", 1, &it);
    std::string text = holder.json();
    // Strip the wrapper: { "v" : <value> }
    const std::string prefix = "{ \"v\" : ";
    if (text.rfind(prefix, 0) == 0 && text.size() >= prefix.size() + 2) {
        return text.substr(prefix.size(), text.size() - prefix.size() - 2);
    }
    return text;
}

bool is_number(bson_type_t type) {
    return type == BSON_TYPE_INT32 || type == BSON_TYPE_INT64 || type == BSON_TYPE_DOUBLE;
}

double number_of(const bson_iter_t& it) {
    if (BSON_ITER_HOLDS_DOUBLE(&it)) return bson_iter_double(&it);
    return static_cast<double>(bson_iter_as_int64(&it));
}

std::vector<Doc> docs_of_array(const bson_iter_t& array_iter) {
    std::vector<Doc> docs;
    Doc array = Doc::from_iter(array_iter);
    for_each(array.get(),
             [&](const char*, const bson_iter_t& it) { docs.push_back(Doc::from_iter(it)); });
    return docs;
}

std::vector<std::string> strings_of(const Doc& array) {
    std::vector<std::string> out;
    for_each(array.get(), [&](const char*, const bson_iter_t& it) {
        if (BSON_ITER_HOLDS_UTF8(&it)) out.emplace_back(bson_iter_utf8(&it, nullptr));
    });
    return out;
}

std::string lower(std::string text) {
    for (auto& c : text)
        c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace spec
