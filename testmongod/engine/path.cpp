// Dotted path helpers: the array-aware traversal used by the matcher and sort, and plain lookup.
// Semantics follow MongoDB's "Query on Embedded Documents / Arrays" manual pages.
#include "engine/path.h"

namespace tmd {
namespace {

struct Traversal {
    const FieldPath& path;
    bool expand_leaf_arrays;
    const PathVisitor& visit;

    bool leaf(const Value* value, std::optional<size_t> position) const {
        if (visit(value, position)) return true;
        if (!value || !value->is_array() || !expand_leaf_arrays) return false;
        const Array& elements = value->array();
        for (size_t i = 0; i < elements.size(); ++i) {
            if (visit(&elements[i], position ? position : std::optional<size_t>(i))) return true;
        }
        return false;
    }

    bool step(const Value* value, size_t depth, std::optional<size_t> position) const {
        if (depth == path.size()) return leaf(value, position);
        if (!value) return leaf(nullptr, position);
        if (value->is_document()) return step(value->doc().get(path[depth]), depth + 1, position);
        if (value->is_array()) return through_array(value->array(), depth, position);
        return leaf(nullptr, position);  // a scalar has no fields
    }

    // An array in the middle of a path: index it and search the documents it holds. Scalars
    // yield nothing, so an array without documents yields nothing, not "missing" (mongod's
    // jstests/core/null2.js: {"a.b": null} does not match {a: []} nor {a: [5]}).
    bool through_array(const Array& elements, size_t depth, std::optional<size_t> position) const {
        if (auto index = array_index_of(path[depth]); index && *index < elements.size()) {
            if (step(&elements[*index], depth + 1, position ? position : index)) return true;
        }
        for (size_t i = 0; i < elements.size(); ++i) {
            if (!elements[i].is_document()) continue;
            const Value* child = elements[i].doc().get(path[depth]);
            if (step(child, depth + 1, position ? position : std::optional<size_t>(i))) return true;
        }
        return false;
    }
};

}  // namespace

FieldPath split_path(std::string_view path) {
    FieldPath parts;
    size_t start = 0;
    while (true) {
        size_t dot = path.find('.', start);
        parts.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos) return parts;
        start = dot + 1;
    }
}

std::string join_path(const FieldPath& parts, size_t count) {
    std::string joined;
    for (size_t i = 0; i < count && i < parts.size(); ++i) {
        if (i) joined += '.';
        joined += parts[i];
    }
    return joined;
}

std::optional<size_t> array_index_of(std::string_view part) {
    if (part.empty() || part.size() > 18 || (part.size() > 1 && part[0] == '0')) return {};
    size_t index = 0;
    for (char c : part) {
        if (c < '0' || c > '9') return {};
        index = index * 10 + static_cast<size_t>(c - '0');
    }
    return index;
}

bool visit_path(const Document& doc, const FieldPath& path, bool expand_leaf_arrays,
                const PathVisitor& visit) {
    Traversal traversal{path, expand_leaf_arrays, visit};
    return traversal.step(doc.get(path.front()), 1, std::nullopt);
}

const Value* lookup_path(const Document& doc, const FieldPath& path) {
    const Value* value = doc.get(path.front());
    for (size_t i = 1; value && i < path.size(); ++i) {
        if (value->is_document()) {
            value = value->doc().get(path[i]);
        } else if (auto index = array_index_of(path[i]); value->is_array() && index) {
            value = *index < value->array().size() ? &value->array()[*index] : nullptr;
        } else {
            value = nullptr;
        }
    }
    return value;
}

}  // namespace tmd
