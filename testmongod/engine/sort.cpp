// SortOrder: parses a sort specification and orders documents by it. Per the manual ("Sort
// consistency", "Ascending/Descending Sort" and "Sort by an array field"), an array contributes
// its smallest element to an ascending sort and its largest to a descending one; an empty array
// sorts before null, and a missing field sorts as null.
#include "engine/sort.h"

#include "engine/error.h"
#include "engine/path.h"

namespace tmd {
namespace {

// The value a document sorts by for one key: a Value, or "empty array" (below null).
struct SortKey {
    bool empty_array = false;
    Value value;
};

int compare_keys(const SortKey& a, const SortKey& b, const Collator* collator) {
    if (a.empty_array || b.empty_array) return int(b.empty_array) - int(a.empty_array);
    return compare_values(a.value, b.value, collator);
}

SortKey sort_key(const Document& doc, const FieldPath& path, int direction,
                 const Collator* collator) {
    std::optional<SortKey> best;
    auto consider = [&](SortKey candidate) {
        if (!best || compare_keys(candidate, *best, collator) * direction < 0) {
            best = std::move(candidate);
        }
    };
    visit_path(doc, path, false, [&](const Value* value, std::optional<size_t>) {
        if (!value) {
            consider(SortKey{false, Value::null()});
        } else if (!value->is_array()) {
            consider(SortKey{false, *value});
        } else if (value->array().empty()) {
            consider(SortKey{true, Value::null()});
        } else {
            for (const auto& element : value->array())
                consider(SortKey{false, element});
        }
        return false;
    });
    return best ? std::move(*best) : SortKey{false, Value::null()};
}

int direction_of(const std::string& path, const Value& order) {
    if (order.is_document() && order.doc().get("$meta")) {
        throw MongoError(code::BadValue, "$meta sort by " + order.doc().get("$meta")->to_json() +
                                             " is not supported by testmongod");
    }
    if (!order.is_number()) {
        throw MongoError(15974,
                         "Illegal key in $sort specification: " + path + ": " + order.to_json());
    }
    int64_t direction = order.as_int64();
    if (direction != 1 && direction != -1) {
        throw MongoError(15975,
                         "$sort key ordering must be 1 (for ascending) or -1 (for descending)");
    }
    return static_cast<int>(direction);
}

}  // namespace

SortOrder::SortOrder(const Document& spec, std::shared_ptr<const Collator> collator)
    : collator_(std::move(collator)) {
    for (const auto& field : spec.fields()) {
        if (field.name.empty()) {
            throw MongoError(40352, "FieldPath cannot be constructed with empty string");
        }
        keys_.push_back(Key{split_path(field.name), direction_of(field.name, field.value)});
    }
}

int SortOrder::compare(const Document& a, const Document& b) const {
    for (const auto& key : keys_) {
        const Collator* collator = collator_.get();
        int c = compare_keys(sort_key(a, key.path, key.direction, collator),
                             sort_key(b, key.path, key.direction, collator), collator);
        if (c != 0) return c * key.direction;
    }
    return 0;
}

}  // namespace tmd
