// Index key extraction and unique-key enforcement, following MongoDB's multikey rules:
// https://www.mongodb.com/docs/manual/core/index-multikey/ and index-unique/ (missing = null).
#include "server/index.h"

#include <algorithm>

namespace tmd {
namespace {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t dot = path.find('.', start);
        parts.push_back(path.substr(start, dot - start));
        if (dot == std::string::npos) return parts;
        start = dot + 1;
    }
}

void collect(const Value& value, const std::vector<std::string>& parts, size_t i,
             std::vector<Value>& out) {
    if (i == parts.size()) {
        if (!value.is_array()) {
            out.push_back(value);
        } else if (value.array().empty()) {
            out.push_back(Value::undefined());  // an empty array indexes as undefined
        } else {
            for (const auto& element : value.array())
                out.push_back(element);
        }
        return;
    }
    if (value.is_document()) {
        if (const Value* child = value.doc().get(parts[i])) collect(*child, parts, i + 1, out);
    } else if (value.is_array()) {
        for (const auto& element : value.array()) {
            if (element.is_document()) collect(element, parts, i, out);
        }
    }
}

// mongod prints keys in its shell-like BSON form: { a: 1, b: "x" }.
std::string shell_form(const Value& value) {
    if (value.type() == BSON_TYPE_OID) {
        char hex[25];
        bson_oid_to_string(&std::get<bson_oid_t>(value.payload()), hex);
        return std::string("ObjectId('") + hex + "')";
    }
    return value.to_json();
}

std::string shell_form(const Document& doc) {
    if (doc.empty()) return "{}";
    std::string text = "{ ";
    for (size_t i = 0; i < doc.size(); ++i) {
        if (i) text += ", ";
        text += doc.fields()[i].name + ": " + shell_form(doc.fields()[i].value);
    }
    return text + " }";
}

}  // namespace

bool IndexKeyLess::operator()(const IndexKey& a, const IndexKey& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](const Value& x, const Value& y) { return compare_values(x, y) < 0; });
}

std::vector<Value> path_values(const Document& doc, const std::string& path) {
    std::vector<Value> out;
    auto parts = split_path(path);
    if (const Value* top = doc.get(parts[0])) collect(*top, parts, 1, out);
    return out;
}

Index::Index(Document spec) : spec_(std::move(spec)) {
    if (const Value* key = spec_.get("key"); key && key->is_document()) key_ = key->doc();
    if (const Value* name = spec_.get("name"); name && name->is_string()) name_ = name->str();
    read_options();
}

void Index::read_options() {
    const Value* clustered = spec_.get("clustered");
    clustered_ = clustered && clustered->truthy();
    // The clustered index's uniqueness is the collection's _id index.
    const Value* unique = spec_.get("unique");
    unique_ = unique && unique->truthy() && !clustered_;
    const Value* prepare_unique = spec_.get("prepareUnique");
    prepare_unique_ = prepare_unique && prepare_unique->truthy();
    const Value* sparse = spec_.get("sparse");
    sparse_ = sparse && sparse->truthy();
    partial_.reset();
    if (const Value* partial = spec_.get("partialFilterExpression");
        partial && partial->is_document()) {
        partial_ = std::make_shared<Matcher>(partial->doc());
    }
}

void Index::set_option(const std::string& option, Value value) {
    spec_.set(option, std::move(value));
    read_options();
}

void Index::remove_option(const std::string& option) {
    spec_.remove(option);
    read_options();
}

std::vector<IndexKey> Index::keys_of(const Document& doc) const {
    if (partial_ && !partial_->matches(doc)) return {};
    std::vector<IndexKey> keys{IndexKey{}};
    bool any_present = false;
    for (const auto& field : key_.fields()) {
        auto values = path_values(doc, field.name);
        any_present = any_present || !values.empty();
        if (values.empty()) values.push_back(Value::null());  // missing fields index as null
        std::vector<IndexKey> expanded;
        for (const auto& prefix : keys) {
            for (const auto& value : values) {
                IndexKey key = prefix;
                key.push_back(value);
                expanded.push_back(std::move(key));
            }
        }
        keys = std::move(expanded);
    }
    if (sparse_ && !any_present) return {};
    std::sort(keys.begin(), keys.end(), IndexKeyLess{});
    keys.erase(std::unique(keys.begin(), keys.end(),
                           [](const IndexKey& a, const IndexKey& b) {
                               return !IndexKeyLess{}(a, b) && !IndexKeyLess{}(b, a);
                           }),
               keys.end());
    return keys;
}

Document Index::key_value(const IndexKey& key) const {
    Document doc;
    for (size_t i = 0; i < key.size() && i < key_.size(); ++i) {
        doc.push_back(key_.fields()[i].name, key[i]);
    }
    return doc;
}

void Index::check_unique(const std::vector<IndexKey>& keys, RecordId self,
                         const std::string& ns) const {
    for (const auto& key : keys) {
        auto it = entries_.find(key);
        // A key the record already holds is not a new entry: prepareUnique keeps the duplicates
        // that existed before it was set (mongod: only inserted keys are checked).
        if (it == entries_.end() || it->second.count(self)) continue;
        throw_duplicate_key(ns, name_, key_, key_value(key));
    }
}

void Index::add(const std::vector<IndexKey>& keys, RecordId id) {
    for (const auto& key : keys)
        entries_[key].insert(id);
}

void Index::remove(const std::vector<IndexKey>& keys, RecordId id) {
    for (const auto& key : keys) {
        auto it = entries_.find(key);
        if (it == entries_.end()) continue;
        it->second.erase(id);
        if (it->second.empty()) entries_.erase(it);
    }
}

std::vector<std::vector<RecordId>> Index::duplicate_groups() const {
    std::vector<std::vector<RecordId>> groups;
    for (const auto& [key, records] : entries_) {
        if (records.size() > 1) groups.emplace_back(records.begin(), records.end());
    }
    return groups;
}

void throw_duplicate_key(const std::string& ns, const std::string& index_name,
                         const Document& key_pattern, const Document& key_value) {
    Document info;
    info.push_back("keyPattern", Value::document(key_pattern));
    info.push_back("keyValue", Value::document(key_value));
    // Message format of mongod 4.4+: "E11000 duplicate key error collection: db.c index: a_1
    // dup key: { a: 1 }".
    throw DetailedError(code::DuplicateKey,
                        "E11000 duplicate key error collection: " + ns + " index: " + index_name +
                            " dup key: " + shell_form(key_value),
                        std::move(info));
}

std::string default_index_name(const Document& key) {
    std::string name;
    for (const auto& field : key.fields()) {
        if (!name.empty()) name += "_";
        name += field.name + "_";
        const Value& v = field.value;
        if (v.is_string()) {
            name += v.str();
        } else if (v.is_number()) {
            double d = v.as_double();
            name += d == static_cast<double>(static_cast<int64_t>(d))
                        ? std::to_string(static_cast<int64_t>(d))
                        : std::to_string(d);
        }
    }
    return name;
}

}  // namespace tmd
