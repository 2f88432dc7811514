// Document-shaping stages: $project (inclusion, exclusion, computed fields), $addFields/$set and
// $unset. Specs become a tree of paths; inclusion keeps the input's field order and appends
// computed fields in spec order, as mongod does, and all of them descend into arrays of documents.
#include <optional>

#include "engine/pipeline_internal.h"
#include "engine/update_delta.h"

namespace tmd::agg {
namespace {

enum class Kind { Include, Exclude, Compute, Subtree };

struct Node {
    struct Child {
        std::string name;
        Kind kind;
        std::optional<Expression> expression;
        std::unique_ptr<Node> subtree;
    };
    std::vector<Child> children;

    const Child* find(const std::string& name) const {
        for (const auto& child : children) {
            if (child.name == name) return &child;
        }
        return nullptr;
    }
    Child* find(const std::string& name) {
        return const_cast<Child*>(static_cast<const Node*>(this)->find(name));
    }
    bool has_computed() const {
        for (const auto& child : children) {
            if (child.kind == Kind::Compute || (child.subtree && child.subtree->has_computed()))
                return true;
        }
        return false;
    }
};

enum class Mode { Unknown, Inclusion, Exclusion, AddFields };

// Builds the path tree of a spec and, for $project, settles inclusion versus exclusion.
class TreeBuilder {
  public:
    TreeBuilder(std::string stage, Mode mode, const ParseContext& context)
        : stage_(std::move(stage)), mode_(mode), context_(context) {}

    void add_spec(Node& node, const Document& spec, const std::string& prefix) {
        for (const auto& field : spec.fields())
            add_field(node, field.name, field.value, prefix);
    }

    Mode mode() const { return mode_; }

  private:
    [[noreturn]] void invalid(int code, const std::string& message) const {
        fail(code, "Invalid " + stage_ + " :: caused by :: " + message);
    }

    void add_field(Node& node, const std::string& name, const Value& value,
                   const std::string& prefix) {
        if (name.empty()) invalid(40352, "FieldPath cannot be constructed with empty string");
        if (name[0] == '$') {
            invalid(16410,
                    "FieldPath field names may not start with '$'. Consider using $getField or "
                    "$setField.");
        }
        std::string path = prefix + name;
        bool nested_spec = value.is_document() && !value.doc().empty() &&
                           value.doc().fields().front().name[0] != '$';
        if (nested_spec) {
            Node& subtree = descend(node, path, prefix.size());
            add_spec(subtree, value.doc(), path + ".");
            return;
        }
        if (value.is_document() && value.doc().empty() && mode_ != Mode::AddFields) {
            invalid(51270,
                    "An empty sub-projection is not a valid value. Found empty object at path");
        }
        Node::Child leaf{leaf_name(path), classify(path, value), std::nullopt, nullptr};
        if (leaf.kind == Kind::Compute) leaf.expression = parse_expression(value, context_);
        Node& parent = parent_of(node, path, prefix.size());
        if (parent.find(leaf.name)) invalid(31250, "Path collision at " + path);
        parent.children.push_back(std::move(leaf));
    }

    static std::string leaf_name(const std::string& path) {
        size_t dot = path.rfind('.');
        return dot == std::string::npos ? path : path.substr(dot + 1);
    }

    // The node for `path` (creating subtrees), starting below `node` at character `start`.
    Node& descend(Node& node, const std::string& path, size_t start) {
        Node* current = &node;
        size_t begin = start;
        while (begin <= path.size()) {
            size_t dot = path.find('.', begin);
            std::string part =
                path.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
            if (part.empty()) invalid(15998, "FieldPath field names may not be empty strings.");
            Node::Child* child = current->find(part);
            if (!child) {
                current->children.push_back(
                    {part, Kind::Subtree, std::nullopt, std::make_unique<Node>()});
                child = &current->children.back();
            } else if (child->kind != Kind::Subtree) {
                invalid(31249, "Path collision at " + path.substr(0, dot) + " remaining portion " +
                                   (dot == std::string::npos ? "" : path.substr(dot + 1)));
            }
            current = child->subtree.get();
            if (dot == std::string::npos) break;
            begin = dot + 1;
        }
        return *current;
    }

    Node& parent_of(Node& node, const std::string& path, size_t start) {
        size_t dot = path.rfind('.');
        if (dot == std::string::npos || dot < start) return node;
        return descend(node, path.substr(0, dot), start);
    }

    Kind classify(const std::string& path, const Value& value) {
        if (mode_ == Mode::AddFields) return Kind::Compute;
        bool flag = value.is_number() || value.type() == BSON_TYPE_BOOL;
        Kind kind = !flag ? Kind::Compute : (value.truthy() ? Kind::Include : Kind::Exclude);
        if (path == "_id" && kind != Kind::Compute) return kind;  // _id never decides the mode
        if (kind == Kind::Exclude) {
            if (mode_ == Mode::Inclusion) {
                invalid(31254, "Cannot do exclusion on field " + path + " in inclusion projection");
            }
            mode_ = Mode::Exclusion;
        } else {
            if (mode_ == Mode::Exclusion) {
                if (kind == Kind::Compute) {
                    invalid(31252,
                            "Cannot use expression other than $meta in exclusion projection");
                }
                invalid(31253, "Cannot do inclusion on field " + path + " in exclusion projection");
            }
            mode_ = Mode::Inclusion;
        }
        return kind;
    }

    std::string stage_;
    Mode mode_;
    const ParseContext& context_;
};

struct Evaluation {
    const Document& root;
    const Variables& variables;
};

Document include(const Document& input, const Node& node, const Evaluation& eval);

// An included subtree applied to a value: documents recurse, arrays map over their documents
// and nested arrays (dropping scalars); scalars vanish unless computed fields create a document.
std::optional<Value> include_value(const Value& value, const Node& node, const Evaluation& eval) {
    if (value.is_document()) return Value::document(include(value.doc(), node, eval));
    if (value.is_array()) {
        Array out;
        for (const Value& element : value.array()) {
            if (!element.is_document() && !element.is_array()) continue;
            if (auto v = include_value(element, node, eval)) out.push_back(std::move(*v));
        }
        return Value::array(std::move(out));
    }
    if (node.has_computed()) return Value::document(include(Document(), node, eval));
    return std::nullopt;
}

Document include(const Document& input, const Node& node, const Evaluation& eval) {
    Document out;
    for (const auto& field : input.fields()) {
        const Node::Child* child = node.find(field.name);
        if (!child) continue;
        if (child->kind == Kind::Include) {
            out.push_back(field.name, field.value);
        } else if (child->kind == Kind::Subtree) {
            if (auto v = include_value(field.value, *child->subtree, eval))
                out.push_back(field.name, std::move(*v));
        }
    }
    for (const auto& child : node.children) {
        if (child.kind == Kind::Compute) {
            Value v = child.expression->evaluate(eval.root, eval.variables);
            if (!is_missing(v)) out.set(child.name, std::move(v));
        } else if (child.kind == Kind::Subtree && !out.get(child.name) &&
                   child.subtree->has_computed()) {
            out.push_back(child.name, Value::document(include(Document(), *child.subtree, eval)));
        }
    }
    return out;
}

Value exclude_value(const Value& value, const Node& node);

Document exclude(const Document& input, const Node& node) {
    Document out;
    for (const auto& field : input.fields()) {
        const Node::Child* child = node.find(field.name);
        if (child && child->kind == Kind::Exclude) continue;
        out.push_back(field.name, child && child->subtree
                                      ? exclude_value(field.value, *child->subtree)
                                      : field.value);
    }
    return out;
}

Value exclude_value(const Value& value, const Node& node) {
    if (value.is_document()) return Value::document(exclude(value.doc(), node));
    if (!value.is_array()) return value;
    Array out;
    for (const Value& element : value.array())
        out.push_back(exclude_value(element, node));
    return Value::array(std::move(out));
}

Document add_fields(Document doc, const Node& node, const Evaluation& eval);

// $addFields below a path: documents get the fields, arrays apply it to each element, and any
// other value is replaced by a document of the new fields.
Value add_fields_value(const Value* existing, const Node& node, const Evaluation& eval) {
    if (existing && existing->is_array()) {
        Array out;
        for (const Value& element : existing->array())
            out.push_back(add_fields_value(&element, node, eval));
        return Value::array(std::move(out));
    }
    Document base = existing && existing->is_document() ? existing->doc() : Document();
    return Value::document(add_fields(std::move(base), node, eval));
}

Document add_fields(Document doc, const Node& node, const Evaluation& eval) {
    for (const auto& child : node.children) {
        if (child.kind == Kind::Subtree) {
            doc.set(child.name, add_fields_value(doc.get(child.name), *child.subtree, eval));
            continue;
        }
        Value v = child.expression->evaluate(eval.root, eval.variables);
        if (is_missing(v)) {
            doc.remove(child.name);
        } else {
            doc.set(child.name, std::move(v));
        }
    }
    return doc;
}

class ProjectStage : public Stage {
  public:
    ProjectStage(std::unique_ptr<Node> tree, Mode mode) : tree_(std::move(tree)), mode_(mode) {}
    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        for (auto& doc : input) {
            Evaluation eval{doc, context.variables};
            switch (mode_) {
                case Mode::Exclusion:
                    doc = exclude(doc, *tree_);
                    break;
                case Mode::AddFields:
                    doc = add_fields(doc, *tree_, eval);
                    break;
                default:
                    doc = include(doc, *tree_, eval);
                    break;
            }
        }
        return input;
    }

  private:
    std::unique_ptr<Node> tree_;
    Mode mode_;
};

StagePtr parse_project(const Value& spec, const ParseContext& context) {
    if (!spec.is_document()) fail(15969, "$project specification must be an object");
    if (spec.doc().empty()) {
        fail(51272,
             "Invalid $project :: caused by :: projection specification must have at least one "
             "field");
    }
    auto tree = std::make_unique<Node>();
    TreeBuilder builder("$project", Mode::Unknown, context);
    builder.add_spec(*tree, spec.doc(), "");
    Mode mode = builder.mode();
    if (mode == Mode::Unknown) {
        // Only _id was given: {_id: 0} is an exclusion, {_id: 1} an inclusion.
        mode = tree->find("_id")->kind == Kind::Exclude ? Mode::Exclusion : Mode::Inclusion;
    }
    if (mode == Mode::Inclusion && !tree->find("_id")) {
        tree->children.insert(tree->children.begin(),
                              {"_id", Kind::Include, std::nullopt, nullptr});
    }
    return std::make_unique<ProjectStage>(std::move(tree), mode);
}

StagePtr parse_add_fields(const std::string& stage, const Value& spec,
                          const ParseContext& context) {
    if (!spec.is_document()) {
        fail(40272, stage + " specification stage must be an object, got " + type_name(spec));
    }
    auto tree = std::make_unique<Node>();
    TreeBuilder builder(stage, Mode::AddFields, context);
    builder.add_spec(*tree, spec.doc(), "");
    return std::make_unique<ProjectStage>(std::move(tree), Mode::AddFields);
}

StagePtr parse_unset(const Value& spec, const ParseContext& context) {
    Array paths = spec.is_string() ? Array{spec} : (spec.is_array() ? spec.array() : Array{});
    if (!spec.is_string() && !spec.is_array())
        fail(31002, "$unset specification must be a string or an array");
    if (paths.empty())
        fail(31119, "$unset specification must be a string or an array with at least one field");
    Document exclusion;
    for (const Value& path : paths) {
        if (!path.is_string()) {
            fail(31120,
                 "$unset specification must be a string or an array containing only string values");
        }
        exclusion.push_back(path.str(), Value::int32(0));
    }
    auto tree = std::make_unique<Node>();
    TreeBuilder builder("$unset", Mode::Unknown, context);
    builder.add_spec(*tree, exclusion, "");
    return std::make_unique<ProjectStage>(std::move(tree), Mode::Exclusion);
}

// $_internalApplyOplogUpdate (6.0+, document_source_internal_apply_oplog_update.cpp): applies a
// $v:2 oplog update ({"$v": 2, diff}, a change event's rawUpdateDescription) to each document.
class ApplyOplogUpdateStage : public Stage {
  public:
    explicit ApplyOplogUpdateStage(Document diff) : diff_(std::move(diff)) {}
    std::vector<Document> apply(std::vector<Document> input, const RunContext&) const override {
        for (auto& doc : input)
            doc = apply_delta(doc, diff_);
        return input;
    }

  private:
    Document diff_;
};

StagePtr parse_apply_oplog_update(const Value& spec, const ParseContext&) {
    const std::string stage = "$_internalApplyOplogUpdate";
    if (!spec.is_document()) {
        fail(6315901, "Argument to " + stage +
                          " stage must be an object, but found type: " + type_name(spec));
    }
    for (const auto& field : spec.doc().fields()) {
        if (field.name != "oplogUpdate")
            fail(code::Location40415,
                 "BSON field '" + stage + "." + field.name + "' is an unknown field.");
    }
    const Value* update = spec.doc().get("oplogUpdate");
    if (!update) {
        fail(40414, "BSON field '" + stage + ".oplogUpdate' is missing but a required field");
    }
    if (!update->is_document()) {
        fail(code::TypeMismatch, "BSON field '" + stage + ".oplogUpdate' is the wrong type '" +
                                     type_name(*update) + "', expected type 'object'");
    }
    const Value* version = update->doc().get("$v");
    const Value* diff = update->doc().get("diff");
    if (!version || !version->is_number() || version->as_int64() != 2 || !diff ||
        !diff->is_document()) {
        fail(code::FailedToParse,
             "Unsupported oplog update: only {$v: 2, diff: {...}} deltas can be applied: " +
                 update->to_json());
    }
    return std::make_unique<ApplyOplogUpdateStage>(diff->doc());
}

}  // namespace

void register_document_stages(StageRegistry& registry) {
    registry["$project"] = parse_project;
    registry["$unset"] = parse_unset;
    registry["$_internalApplyOplogUpdate"] = parse_apply_oplog_update;
    for (std::string stage : {"$addFields", "$set"}) {
        registry[stage] = [stage](const Value& spec, const ParseContext& context) {
            return parse_add_fields(stage, spec, context);
        };
    }
}

}  // namespace tmd::agg
