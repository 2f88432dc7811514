// Projection: find's projection as MongoDB 4.4+ applies it (manual, "Project Fields to Return
// from Query" and "Projection Restrictions"): inclusion or exclusion of dotted paths through
// embedded documents and arrays, _id included by default, positional "a.$", $slice, $elemMatch
// (returned after the other fields) and aggregation expressions for computed fields.
#include "engine/projection.h"

#include <algorithm>
#include <map>

#include "engine/error.h"
#include "engine/expression.h"
#include "engine/path.h"

namespace tmd {
namespace {

enum class Action { kNone, kInclude, kExclude, kExpression, kSlice, kElemMatch, kPositional };

struct SliceSpec {
    int64_t skip = 0;
    std::optional<int64_t>
        limit;  // {$slice: n} has no skip: n >= 0 keeps the first n, else last -n
    int64_t count = 0;
};

struct ProjNode {
    Action action = Action::kNone;
    std::vector<std::pair<std::string, ProjNode>> children;  // spec order
    std::shared_ptr<Expression> expression;
    SliceSpec slice;
    std::shared_ptr<Matcher> elem_match;  // {field: {$elemMatch: ...}} matched at the root

    ProjNode* child(const std::string& name) {
        for (auto& [n, node] : children) {
            if (n == name) return &node;
        }
        return nullptr;
    }
    const ProjNode* child(const std::string& name) const {
        return const_cast<ProjNode*>(this)->child(name);
    }
};

bool has_computed(const ProjNode& node) {
    return node.action == Action::kExpression ||
           std::any_of(node.children.begin(), node.children.end(),
                       [](const auto& child) { return has_computed(child.second); });
}

bool is_numeric_or_bool(const Value& v) {
    return v.is_number() || v.type() == BSON_TYPE_BOOL;
}

}  // namespace

struct Projection::Impl {
    ProjNode root;
    bool inclusion = false;
    bool exclude_id = false;
    bool empty = true;

    void parse(const Document& spec, const std::string& prefix);
    void add(const std::string& path, const Value& value);
    Action operator_action(const std::string& path, const Document& op, ProjNode& node);
    void set_mode(Action action, const std::string& path);

    Document include(const Document& doc, const ProjNode& node, const Document& root_doc,
                     const MatchDetails* details, bool top) const;
    Value include_value(const Value& value, const ProjNode& node, const Document& root_doc,
                        const MatchDetails* details) const;
    Document exclude(const Document& doc, const ProjNode& node) const;
    Value exclude_value(const Value& value, const ProjNode& node) const;
};

namespace {

std::optional<Value> sliced(const Value& value, const SliceSpec& slice) {
    if (!value.is_array()) return value;
    const Array& array = value.array();
    int64_t size = static_cast<int64_t>(array.size());
    int64_t begin = 0, end = size;
    if (!slice.limit) {
        begin = slice.count >= 0 ? 0 : std::max<int64_t>(0, size + slice.count);
        end = slice.count >= 0 ? std::min(size, slice.count) : size;
    } else {
        begin =
            slice.skip >= 0 ? std::min(size, slice.skip) : std::max<int64_t>(0, size + slice.skip);
        end = std::min(size, begin + *slice.limit);
    }
    return Value::array(Array(array.begin() + begin, array.begin() + end));
}

SliceSpec parse_slice(const Value& arg) {
    SliceSpec spec;
    if (arg.is_number()) {
        spec.count = arg.as_int64();
        return spec;
    }
    if (!arg.is_array() || arg.array().size() != 2 || !arg.array()[0].is_number() ||
        !arg.array()[1].is_number()) {
        throw MongoError(28724, "First argument to $slice must be an array");
    }
    spec.skip = arg.array()[0].as_int64();
    spec.limit = arg.array()[1].as_int64();
    if (*spec.limit <= 0) throw MongoError(28724, "$slice limit must be positive");
    return spec;
}

}  // namespace

void Projection::Impl::set_mode(Action action, const std::string& path) {
    bool includes = action == Action::kInclude || action == Action::kExpression ||
                    action == Action::kElemMatch || action == Action::kPositional;
    bool excludes = action == Action::kExclude;
    if (!includes && !excludes) return;
    if (path == "_id") {
        exclude_id = excludes;
        return;
    }
    if (!empty && includes != inclusion) {
        if (includes) {
            throw MongoError(31253,
                             "Cannot do inclusion on field " + path + " in exclusion projection");
        }
        throw MongoError(31254,
                         "Cannot do exclusion on field " + path + " in inclusion projection");
    }
    empty = false;
    inclusion = includes;
}

Action Projection::Impl::operator_action(const std::string& path, const Document& op,
                                         ProjNode& node) {
    const Field& first = op.fields().front();
    if (op.size() == 1 && first.name == "$slice") {
        node.slice = parse_slice(first.value);
        return Action::kSlice;
    }
    if (op.size() == 1 && first.name == "$elemMatch") {
        if (path.find('.') != std::string::npos) {
            throw MongoError(31275, "Cannot use $elemMatch projection on a nested field.");
        }
        if (!first.value.is_document())
            throw MongoError(code::BadValue, "$elemMatch needs an Object");
        Document filter;
        Document elem_match;
        elem_match.push_back("$elemMatch", first.value);
        filter.push_back(path, Value::document(std::move(elem_match)));
        node.elem_match = std::make_shared<Matcher>(filter);
        return Action::kElemMatch;
    }
    node.expression = std::make_shared<Expression>(Value::document(op));
    return Action::kExpression;
}

void Projection::Impl::add(const std::string& path, const Value& value) {
    FieldPath parts = split_path(path);
    bool positional = parts.size() > 1 && parts.back() == "$";
    if (positional) parts.pop_back();
    if (std::count(parts.begin(), parts.end(), "$")) {
        throw MongoError(31394,
                         "As of 4.4, it's illegal to specify positional operator in the "
                         "middle of a path.Positional projection may only be used at the end, "
                         "for example: a.b.$. If the query previously used a form like "
                         "a.b.$.d, remove the parts following the '$' and the results will "
                         "be equivalent.");
    }
    ProjNode* node = &root;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (node != &root && node->action != Action::kNone) {
            throw MongoError(31250, "Path collision at " + path);
        }
        ProjNode* next = node->child(parts[i]);
        if (!next) {
            node->children.emplace_back(parts[i], ProjNode{});
            next = &node->children.back().second;
        } else if (i + 1 == parts.size()) {
            throw MongoError(31250, "Path collision at " + path);
        }
        node = next;
    }
    if (!node->children.empty()) throw MongoError(31250, "Path collision at " + path);
    Action action;
    if (positional) {
        action = Action::kPositional;
    } else if (is_numeric_or_bool(value)) {
        action = value.truthy() ? Action::kInclude : Action::kExclude;
    } else if (value.is_document() && !value.doc().empty() &&
               value.doc().fields().front().name[0] == '$') {
        action = operator_action(path, value.doc(), *node);
    } else {
        node->expression = std::make_shared<Expression>(value);
        action = Action::kExpression;
    }
    node->action = action;
    set_mode(action, path);
}

// {a: {b: 1}} is the same projection as {"a.b": 1}.
void Projection::Impl::parse(const Document& spec, const std::string& prefix) {
    for (const auto& field : spec.fields()) {
        std::string path = prefix.empty() ? field.name : prefix + "." + field.name;
        bool nested = field.value.is_document() && !field.value.doc().empty() &&
                      field.value.doc().fields().front().name[0] != '$';
        if (nested) {
            parse(field.value.doc(), path);
        } else {
            add(path, field.value);
        }
    }
}

Value Projection::Impl::include_value(const Value& value, const ProjNode& node,
                                      const Document& root_doc, const MatchDetails* details) const {
    if (value.is_document())
        return Value::document(include(value.doc(), node, root_doc, details, false));
    Array out;
    for (const auto& element : value.array()) {
        if (element.is_document() || element.is_array()) {
            out.push_back(include_value(element, node, root_doc, details));
        }
    }
    return Value::array(std::move(out));
}

Document Projection::Impl::include(const Document& doc, const ProjNode& node,
                                   const Document& root_doc, const MatchDetails* details,
                                   bool top) const {
    Document out;
    std::vector<const std::pair<std::string, ProjNode>*> appended;
    for (const auto& field : doc.fields()) {
        const ProjNode* child = node.child(field.name);
        if (top && field.name == "_id" && !exclude_id && !child) {
            out.push_back(field.name, field.value);
            continue;
        }
        if (!child) continue;
        switch (child->action) {
            case Action::kInclude:
                out.push_back(field.name, field.value);
                break;
            case Action::kSlice:
                out.push_back(field.name, *sliced(field.value, child->slice));
                break;
            case Action::kNone:
                if (field.value.is_document() || field.value.is_array()) {
                    out.push_back(field.name,
                                  include_value(field.value, *child, root_doc, details));
                }
                break;
            case Action::kPositional:
                if (!field.value.is_array()) {
                    out.push_back(field.name, field.value);
                } else if (!details || !details->array_index ||
                           *details->array_index >= field.value.array().size()) {
                    throw MongoError(
                        51246,
                        "positional operator '.$' couldn't find a matching element in the array");
                } else {
                    out.push_back(field.name,
                                  Value::array({field.value.array()[*details->array_index]}));
                }
                break;
            default:
                break;  // expressions and $elemMatch are appended below
        }
    }
    for (const auto& entry : node.children) {
        const ProjNode& child = entry.second;
        if (child.action == Action::kNone && !doc.get(entry.first) && has_computed(child)) {
            // {"a.b": <expression>} creates a when the document has none.
            out.push_back(entry.first,
                          Value::document(include(Document(), child, root_doc, details, false)));
        } else if (child.action == Action::kExpression) {
            Value result = child.expression->evaluate(root_doc, Variables());
            if (!is_missing(result)) out.set(entry.first, std::move(result));
        } else if (child.action == Action::kElemMatch) {
            MatchDetails found;
            const Value* array = doc.get(entry.first);
            if (array && array->is_array() && child.elem_match->matches(doc, &found) &&
                found.array_index) {
                out.push_back(entry.first, Value::array({array->array()[*found.array_index]}));
            }
        }
    }
    return out;
}

Value Projection::Impl::exclude_value(const Value& value, const ProjNode& node) const {
    if (value.is_document()) return Value::document(exclude(value.doc(), node));
    if (!value.is_array()) return value;
    Array out;
    for (const auto& element : value.array())
        out.push_back(exclude_value(element, node));
    return Value::array(std::move(out));
}

Document Projection::Impl::exclude(const Document& doc, const ProjNode& node) const {
    Document out;
    for (const auto& field : doc.fields()) {
        const ProjNode* child = node.child(field.name);
        if (&node == &root && field.name == "_id" && exclude_id) continue;
        if (!child) {
            out.push_back(field.name, field.value);
        } else if (child->action == Action::kInclude) {
            out.push_back(field.name,
                          field.value);  // only _id: 1 can be in an exclusion projection
        } else if (child->action == Action::kSlice) {
            out.push_back(field.name, *sliced(field.value, child->slice));
        } else if (child->action == Action::kNone) {
            out.push_back(field.name, exclude_value(field.value, *child));
        }
    }
    return out;
}

Projection::Projection(const Document& spec) : impl_(std::make_unique<Impl>()) {
    impl_->parse(spec, "");
    // {_id: 1} alone is an inclusion projection of _id.
    const ProjNode* id = impl_->root.child("_id");
    if (impl_->empty && id && id->action == Action::kInclude) impl_->inclusion = true;
}
Projection::~Projection() = default;
Projection::Projection(Projection&&) noexcept = default;

Document Projection::apply(const Document& doc, const MatchDetails* details) const {
    if (impl_->inclusion) return impl_->include(doc, impl_->root, doc, details, true);
    return impl_->exclude(doc, impl_->root);
}

}  // namespace tmd
