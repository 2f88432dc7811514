// Update: parses an update argument once (replacement, operator document or pipeline) and applies
// it to documents. Operator updates are applied field by field in the order MongoDB 5.0+ uses
// (manual, "Update Operators": lexicographic order of field names, numeric names in numeric
// order), so new fields are appended in that order.
#include "engine/update.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <type_traits>
#include <variant>

#include "engine/error.h"
#include "engine/expression.h"
#include "engine/path.h"
#include "engine/pipeline.h"
#include "engine/update_delta.h"
#include "engine/update_ops.h"

namespace tmd {
namespace {

bool is_positional(const std::string& part) {
    return part == "$" || part.rfind("$[", 0) == 0;
}

// "$[ident]" -> "ident"; "$[]" -> "".
std::string array_filter_id(const std::string& part) {
    return part.substr(2, part.size() - 3);
}

// Orders paths as mongod's update tree does: component by component, numeric names by value.
bool path_less(const FieldPath& a, const FieldPath& b) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (a[i] == b[i]) continue;
        auto x = array_index_of(a[i]), y = array_index_of(b[i]);
        if (x && y) return *x < *y;
        return a[i] < b[i];
    }
    return a.size() < b.size();
}

bool is_prefix_or_equal(const FieldPath& shorter, const FieldPath& longer) {
    return shorter.size() <= longer.size() &&
           std::equal(shorter.begin(), shorter.end(), longer.begin());
}

const std::vector<std::string>& supported_operators() {
    static const std::vector<std::string> ops = {
        "$set",  "$unset",    "$inc", "$mul",  "$min",     "$max",         "$rename",
        "$push", "$addToSet", "$pop", "$pull", "$pullAll", "$currentDate", "$setOnInsert"};
    return ops;
}

FieldPath parse_update_path(const std::string& path) {
    if (path.empty()) throw MongoError(code::EmptyFieldName, "An empty update path is not valid.");
    FieldPath parts = split_path(path);
    for (const auto& part : parts) {
        if (part.empty()) {
            throw MongoError(code::EmptyFieldName,
                             "The update path '" + path +
                                 "' contains an empty field name, which is not allowed.");
        }
    }
    if (std::count(parts.begin(), parts.end(), "$") > 1) {
        bad_value("Too many positional (i.e. '$') elements found in path '" + path + "'");
    }
    return parts;
}

}  // namespace

struct Modification {
    std::string op;
    std::string path;
    FieldPath parts;
    std::unique_ptr<FieldOperator> field_op;  // null for $rename
    FieldPath rename_from;                    // $rename only: `parts` is the destination
};

struct Update::Impl {
    enum class Kind { kReplacement, kOperators, kPipeline } kind = Kind::kOperators;
    Document replacement;
    std::vector<Modification> modifications;  // in application order
    std::map<std::string, Matcher> array_filters;
    std::unique_ptr<Pipeline> pipeline;

    void parse_operators(const Document& spec);
    void parse_modifier(const std::string& op, const Field& field);
    void parse_rename(const Field& field);
    void check_conflicts() const;
    void parse_array_filters(const Array& filters);
    void check_array_filters_used(const Document& spec) const;

    // Applies the operators to `doc`, a copy of `original` (which operators read from).
    void apply_operators(Document& doc, const Document& original, bool inserting,
                         const MatchDetails* details, DeltaLog* log) const;
    void apply_rename(Document& doc, const Modification& mod, DeltaLog* log) const;
    // The document replacing `doc`: the replacement with doc's _id first.
    Document replacement_of(const Document& doc) const;
    void apply_pipeline(Document& doc) const;
};

// ---- Parsing ----------------------------------------------------------------------------------

void Update::Impl::parse_operators(const Document& spec) {
    for (const auto& entry : spec.fields()) {
        const auto& ops = supported_operators();
        if (std::find(ops.begin(), ops.end(), entry.name) == ops.end()) {
            throw MongoError(code::FailedToParse,
                             "Unknown modifier: " + entry.name +
                                 ". Expected a valid update modifier or pipeline-style update "
                                 "specified as an array");
        }
        if (!entry.value.is_document()) {
            throw MongoError(code::FailedToParse,
                             "Modifiers operate on fields but we found type " +
                                 type_name(entry.value) +
                                 " instead. For example: {$mod: {<field>: ...}} not {" +
                                 entry.name + ": " + entry.value.to_json() + "}");
        }
        for (const auto& field : entry.value.doc().fields()) {
            if (entry.name == "$rename") {
                parse_rename(field);
            } else {
                parse_modifier(entry.name, field);
            }
        }
    }
    check_conflicts();
    std::stable_sort(
        modifications.begin(), modifications.end(),
        [](const Modification& a, const Modification& b) { return path_less(a.parts, b.parts); });
}

void Update::Impl::parse_modifier(const std::string& op, const Field& field) {
    Modification mod{op, field.name, parse_update_path(field.name), nullptr, {}};
    if (mod.parts.front()[0] == '$' && !is_positional(mod.parts.front())) {
        throw MongoError(code::DollarPrefixedFieldName,
                         "The dollar ($) prefixed field '" + mod.parts.front() + "' in '" +
                             field.name + "' is not valid for storage.");
    }
    mod.field_op = make_field_operator(op, field.value, field.name);
    modifications.push_back(std::move(mod));
}

void Update::Impl::parse_rename(const Field& field) {
    const Value& to = field.value;
    if (!to.is_string()) {
        bad_value("The 'to' field for $rename must be a string: " + field.name + ": " +
                  to.to_json());
    }
    FieldPath from = parse_update_path(field.name);
    FieldPath dest = parse_update_path(to.str());
    auto dynamic = [](const FieldPath& p) {
        return std::any_of(p.begin(), p.end(), is_positional);
    };
    if (dynamic(from)) bad_value("The source field for $rename may not be dynamic: " + field.name);
    if (dynamic(dest))
        bad_value("The destination field for $rename may not be dynamic: " + to.str());
    if (from == dest) {
        bad_value("The source and target field for $rename must differ: " + field.name + ": " +
                  to.to_json());
    }
    if (is_prefix_or_equal(from, dest) || is_prefix_or_equal(dest, from)) {
        bad_value("The source and target field for $rename must not be on the same path: " +
                  field.name + ": " + to.to_json());
    }
    modifications.push_back(
        Modification{"$rename", to.str(), std::move(dest), nullptr, std::move(from)});
}

// Two modifications may not touch the same path or a path and its prefix (mongod:
// "Updating the path 'a.b' would create a conflict at 'a'").
void Update::Impl::check_conflicts() const {
    std::vector<std::pair<const FieldPath*, std::string>> seen;
    for (const auto& mod : modifications) {
        std::vector<std::pair<const FieldPath*, std::string>> touched = {{&mod.parts, mod.path}};
        if (mod.op == "$rename")
            touched.emplace_back(&mod.rename_from,
                                 join_path(mod.rename_from, mod.rename_from.size()));
        for (const auto& [parts, path] : touched) {
            for (const auto& [other, other_path] : seen) {
                const FieldPath& shorter = other->size() <= parts->size() ? *other : *parts;
                const FieldPath& longer = other->size() <= parts->size() ? *parts : *other;
                if (is_prefix_or_equal(shorter, longer)) {
                    throw MongoError(code::ConflictingUpdateOperators,
                                     "Updating the path '" + path +
                                         "' would create a conflict at '" +
                                         join_path(shorter, shorter.size()) + "'");
                }
            }
            seen.emplace_back(parts, path);
        }
    }
}

// Each filter names one identifier ({"i.b": 1, "i.c": 2} -> "i"), matched against {i: element}.
void Update::Impl::parse_array_filters(const Array& filters) {
    for (const auto& filter : filters) {
        if (!filter.is_document()) {
            throw MongoError(code::TypeMismatch,
                             "Each array filter must be an object, found " + type_name(filter));
        }
        std::string id;
        for (const auto& field : filter.doc().fields()) {
            std::string top = field.name.substr(0, field.name.find('.'));
            if (!id.empty() && top != id) {
                throw MongoError(code::FailedToParse,
                                 "Error parsing array filter :: caused by :: Expected a single "
                                 "top-level field name, found '" +
                                     id + "' and '" + top + "'");
            }
            id = top;
        }
        if (id.empty()) {
            throw MongoError(
                code::FailedToParse,
                "Cannot use an expression without a top-level field name in arrayFilters");
        }
        bool valid = id[0] >= 'a' && id[0] <= 'z' && std::all_of(id.begin(), id.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c));
                     });
        if (!valid) {
            bad_value(
                "Error parsing array filter :: caused by :: The top-level field name must be an "
                "alphanumeric string beginning with a lowercase letter, found '" +
                id + "'");
        }
        if (array_filters.count(id)) {
            throw MongoError(
                code::FailedToParse,
                "Found multiple array filters with the same top-level field name " + id);
        }
        array_filters.emplace(id, Matcher(filter.doc()));
    }
}

void Update::Impl::check_array_filters_used(const Document& spec) const {
    std::set<std::string> used;
    for (const auto& mod : modifications) {
        for (const auto& part : mod.parts) {
            if (part.rfind("$[", 0) != 0 || part == "$[]") continue;
            std::string id = array_filter_id(part);
            if (!array_filters.count(id)) {
                bad_value("No array filter found for identifier '" + id + "' in path '" + mod.path +
                          "'");
            }
            used.insert(id);
        }
    }
    for (const auto& [id, matcher] : array_filters) {
        if (!used.count(id)) {
            throw MongoError(code::FailedToParse, "The array filter for identifier '" + id +
                                                      "' was not used in the update " +
                                                      spec.to_json());
        }
    }
}

// ---- Applying operator updates --------------------------------------------------------------

namespace {

bool identical(const Value& a, const Value& b);

// Walks one modification's path through a document, creating what the operator needs and
// expanding "$[]" and "$[id]" over array elements. With a log, records what the operator did as
// mongod's ModifierNode does (modifier_node.cpp): an update of an existing field, a created
// path (from its first new component), a removed field, or nothing for a no-op.
class PathWalker {
  public:
    PathWalker(const Modification& mod, const FieldPath& parts, const Document& root,
               const std::map<std::string, Matcher>& array_filters, DeltaLog* log)
        : mod_(mod), parts_(parts), root_(root), array_filters_(array_filters), log_(log) {}

    void in_document(Document& doc, size_t depth, const std::string& prefix) {
        const std::string& name = parts_[depth];
        std::string path = prefix.empty() ? name : prefix + "." + name;
        if (is_positional(name)) {
            bad_value("Cannot apply array updates to non-array element " + prefix + ": " +
                      Value::document(doc).to_json());
        }
        Step step(*this, name, false);
        Value* child = doc.get(name);
        if (depth + 1 == parts_.size()) {
            apply_leaf(
                child,
                [&](Value v) {
                    doc.push_back(name, std::move(v));
                    return &doc.fields().back().value;
                },
                [&] { doc.remove(name); }, false, path);
            return;
        }
        if (!child) {
            if (is_positional(parts_[depth + 1])) {
                bad_value("The path '" + path +
                          "' must exist in the document in order to apply array updates.");
            }
            if (!mod_.field_op->creates_path()) return;
            doc.push_back(name, Value::document({}));
            child = doc.get(name);
            mark_created();
        }
        descend(*child, depth + 1, path);
    }

  private:
    // The component of the path taken at the current depth, for the log.
    struct Step {
        Step(PathWalker& walker, std::string name, bool array_index) : walker_(walker) {
            walker_.taken_.push_back({std::move(name), array_index});
        }
        ~Step() {
            walker_.taken_.pop_back();
            if (walker_.first_new_ && *walker_.first_new_ >= walker_.taken_.size()) {
                walker_.first_new_.reset();
            }
        }
        PathWalker& walker_;
    };

    void mark_created() {
        if (!first_new_) first_new_ = taken_.size() - 1;
    }

    void descend(Value& value, size_t depth, const std::string& path) {
        if (value.is_document()) return in_document(value.doc(), depth, path);
        if (value.is_array()) return in_array(value.array(), depth, path);
        if (is_positional(parts_[depth])) {
            bad_value("Cannot apply array updates to non-array element " + path + ": " +
                      value.to_json());
        }
        if (!mod_.field_op->creates_path()) return;
        throw MongoError(code::PathNotViable, "Cannot create field '" + parts_[depth] +
                                                  "' in element {" + parts_[depth - 1] + ": " +
                                                  value.to_json() + "}");
    }

    void in_array(Array& array, size_t depth, const std::string& prefix) {
        const std::string& name = parts_[depth];
        if (name.rfind("$[", 0) == 0) {
            for (size_t i = 0; i < array.size(); ++i) {
                if (element_selected(name, array[i]))
                    at_element(array, i, depth, prefix + "." + std::to_string(i));
            }
            return;
        }
        auto index = array_index_of(name);
        if (!index) {
            if (!mod_.field_op->creates_path()) return;
            throw MongoError(code::PathNotViable, "Cannot create field '" + name +
                                                      "' in element {" + parts_[depth - 1] + ": " +
                                                      Value::array(array).to_json() + "}");
        }
        if (*index >= array.size()) {
            if (!mod_.field_op->creates_path()) return;
            if (depth + 1 == parts_.size()) {
                Step step(*this, std::to_string(*index), true);
                apply_leaf(
                    nullptr, [&](Value v) { return pad_and_set(array, *index, std::move(v)); },
                    [] {}, true, prefix + "." + name);
                return;
            }
            pad_and_set(array, *index, Value::document({}));
            Step step(*this, std::to_string(*index), true);
            mark_created();
            return descend(array[*index], depth + 1, prefix + "." + name);
        }
        at_element(array, *index, depth, prefix + "." + name);
    }

    static Value* pad_and_set(Array& array, size_t index, Value v) {
        array.resize(std::max(array.size(), index + 1), Value::null());
        array[index] = std::move(v);
        return &array[index];
    }

    void at_element(Array& array, size_t index, size_t depth, const std::string& path) {
        Step step(*this, std::to_string(index), true);
        if (depth + 1 < parts_.size()) return descend(array[index], depth + 1, path);
        apply_leaf(
            &array[index], [&, index](Value v) { return &(array[index] = std::move(v)); },
            [&, index] { array[index] = Value::null(); }, true, path);
    }

    void apply_leaf(Value* existing, std::function<Value*(Value)> create,
                    std::function<void()> remove, bool in_array, const std::string& path) {
        std::optional<Value> before;
        if (log_ && existing) before = *existing;
        Value* created = nullptr;
        bool removed = false;
        UpdateSlot slot{existing,
                        [&](Value v) { return created = create(std::move(v)); },
                        [&] {
                            removed = true;
                            remove();
                        },
                        path,
                        root_,
                        false};
        mod_.field_op->apply(slot);
        if (!log_) return;
        if (removed) {
            // $unset of an array element sets it to null (UnsetNode).
            in_array ? log_->updated(taken_, Value::null()) : log_->deleted(taken_);
        } else if (created) {
            log_->created(taken_, first_new_.value_or(taken_.size() - 1), *created);
        } else if (before && !identical(*before, *slot.value)) {
            log_change(*before, *slot.value, slot.appended);
        }
    }

    // PushNode::logUpdate: an append logs each new element as created at its index.
    void log_change(const Value& before, const Value& after, bool appended) {
        if (!appended) return log_->updated(taken_, after);
        for (size_t i = before.array().size(); i < after.array().size(); ++i) {
            Step step(*this, std::to_string(i), true);
            log_->created(taken_, taken_.size() - 1, after.array()[i]);
        }
    }

    bool element_selected(const std::string& part, const Value& element) const {
        if (part == "$[]") return true;
        std::string id = array_filter_id(part);
        Document wrapper;
        wrapper.push_back(id, element);
        return array_filters_.at(id).matches(wrapper);
    }

    const Modification& mod_;
    const FieldPath& parts_;
    const Document& root_;
    const std::map<std::string, Matcher>& array_filters_;
    DeltaLog* log_;
    DeltaPath taken_;                  // the components walked so far
    std::optional<size_t> first_new_;  // the first component this walk created
};

// Replaces "$" by the array position the query matched.
FieldPath resolve_positional(const FieldPath& parts, const MatchDetails* details) {
    FieldPath resolved = parts;
    for (auto& part : resolved) {
        if (part != "$") continue;
        if (!details || !details->array_index) {
            bad_value("The positional operator did not find the match needed from the query.");
        }
        part = std::to_string(*details->array_index);
    }
    return resolved;
}

// mongod's immutable-field check: _id may not change value or disappear once it exists.
void check_id_unchanged(const Value* before, const Document& after) {
    if (!before) return;
    const Value* now = after.get("_id");
    if (!now || compare_values(*before, *now) != 0) {
        throw MongoError(
            code::ImmutableField,
            "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
}

// mongod's storage_validation.cpp for updated documents.
void check_updated_id(const Document& doc) {
    const Value* id = doc.get("_id");
    if (!id) return;
    bson_type_t type = id->type();
    if (type == BSON_TYPE_ARRAY || type == BSON_TYPE_REGEX || type == BSON_TYPE_UNDEFINED) {
        throw MongoError(code::InvalidIdField,
                         "The '_id' value cannot be of type " + type_name(*id));
    }
}

bool identical(const Document& a, const Document& b);

bool identical(const Array& a, const Array& b);

// Same BSON type and same payload, bit for bit (doubles by their bytes: 0.0 and -0.0 differ,
// a NaN equals the same NaN), i.e. the two values encode to the same BSON bytes.
bool identical(const Value& a, const Value& b) {
    if (a.type() != b.type() || a.payload().index() != b.payload().index()) return false;
    return std::visit(
        [&b](const auto& x) -> bool {
            using T = std::decay_t<decltype(x)>;
            const T& y = std::get<T>(b.payload());
            if constexpr (std::is_same_v<T, Document> || std::is_same_v<T, Array>) {
                return identical(x, y);
            } else if constexpr (std::is_same_v<T, std::monostate>) {
                return true;
            } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, int32_t> ||
                                 std::is_same_v<T, int64_t> || std::is_same_v<T, std::string>) {
                return x == y;
            } else if constexpr (std::is_same_v<T, Binary>) {
                return x.subtype == y.subtype && x.bytes == y.bytes;
            } else if constexpr (std::is_same_v<T, Regex>) {
                return x.pattern == y.pattern && x.options == y.options;
            } else if constexpr (std::is_same_v<T, Timestamp>) {
                return x.t == y.t && x.i == y.i;
            } else if constexpr (std::is_same_v<T, DBPointer>) {
                return x.collection == y.collection &&
                       std::memcmp(&x.oid, &y.oid, sizeof x.oid) == 0;
            } else if constexpr (std::is_same_v<T, CodeWithScope>) {
                return x.code == y.code && identical(*x.scope, *y.scope);
            } else {  // double, bson_oid_t, bson_decimal128_t: plain bytes
                return std::memcmp(&x, &y, sizeof x) == 0;
            }
        },
        a.payload());
}

bool identical(const Array& a, const Array& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const Value& x, const Value& y) { return identical(x, y); });
}

bool identical(const Document& a, const Document& b) {
    return std::equal(a.fields().begin(), a.fields().end(), b.fields().begin(), b.fields().end(),
                      [](const Field& x, const Field& y) {
                          return x.name == y.name && identical(x.value, y.value);
                      });
}

void check_replacement_field_names(const Document& replacement) {
    for (const auto& field : replacement.fields()) {
        if (field.name.empty() || field.name[0] != '$') continue;
        throw MongoError(code::DollarPrefixedFieldName,
                         "The dollar ($) prefixed field '" + field.name + "' in '" + field.name +
                             "' is not allowed in the context of an update's replacement document. "
                             "Consider using an aggregation pipeline with $replaceWith.");
    }
}

}  // namespace

void Update::Impl::apply_rename(Document& doc, const Modification& mod, DeltaLog* log) const {
    // Read the source without array traversal; $rename does not work inside arrays.
    Document* parent = &doc;
    for (size_t i = 0; i + 1 < mod.rename_from.size(); ++i) {
        Value* next = parent->get(mod.rename_from[i]);
        if (!next) return;
        if (next->is_array()) {
            bad_value("The source field cannot be an array element, '" +
                      join_path(mod.rename_from, mod.rename_from.size()) + "' in doc with " +
                      join_path(mod.rename_from, i + 1) + " = " + next->to_json() +
                      " has an array field called '" + mod.rename_from[i] + "'");
        }
        if (!next->is_document()) return;
        parent = &next->doc();
    }
    const Value* source = parent->get(mod.rename_from.back());
    if (!source) return;
    for (size_t i = 0; i + 1 < mod.parts.size(); ++i) {
        const Value* step =
            lookup_path(doc, FieldPath(mod.parts.begin(), mod.parts.begin() + i + 1));
        if (step && step->is_array()) {
            bad_value("The destination field cannot be an array element, '" + mod.path +
                      "' in doc with " + join_path(mod.parts, i + 1) + " = " + step->to_json() +
                      " has an array field called '" + mod.parts[i] + "'");
        }
    }
    Value moved = *source;
    parent->remove(mod.rename_from.back());
    Modification set{"$set", mod.path, mod.parts, make_field_operator("$set", moved, mod.path), {}};
    PathWalker(set, set.parts, doc, array_filters, log).in_document(doc, 0, "");
    // RenameNode: the destination is set, then the source logged as deleted.
    if (log) {
        DeltaPath from;
        for (const auto& part : mod.rename_from)
            from.push_back({part, false});
        log->deleted(from);
    }
}

void Update::Impl::apply_operators(Document& doc, const Document& original, bool inserting,
                                   const MatchDetails* details, DeltaLog* log) const {
    for (const auto& mod : modifications) {
        if (mod.op == "$setOnInsert" && !inserting) continue;
        if (mod.op == "$rename") {
            apply_rename(doc, mod, log);
            continue;
        }
        FieldPath parts = resolve_positional(mod.parts, details);
        PathWalker(mod, parts, original, array_filters, log).in_document(doc, 0, "");
    }
    check_id_unchanged(original.get("_id"), doc);
}

// ---- Replacement and pipeline -----------------------------------------------------------------

Document Update::Impl::replacement_of(const Document& doc) const {
    const Value* id = doc.get("_id");
    const Value* new_id = replacement.get("_id");
    if (new_id) check_id_unchanged(id, replacement);
    Document result;
    result.fields().reserve(replacement.size() + 1);
    if (id || new_id) result.push_back("_id", id ? *id : *new_id);
    for (const auto& field : replacement.fields()) {
        if (field.name != "_id") result.push_back(field.name, field.value);
    }
    return result;
}

// The manual ("Updates with Aggregation Pipeline"): the pipeline runs on the one document and
// its output replaces it; _id stays immutable. Like mongod (PipelineExecutor hands the output to
// ObjectReplaceExecutor::applyReplacementUpdate), an output without _id keeps the original one.
void Update::Impl::apply_pipeline(Document& doc) const {
    std::vector<Document> output = pipeline->run({doc});
    if (output.size() != 1) {
        throw MongoError(code::InternalError,
                         "an update pipeline must produce exactly one document");
    }
    Document& result = output.front();
    const Value* id = doc.get("_id");
    if (id && !result.get("_id"))
        result.fields().insert(result.fields().begin(), Field{"_id", *id});
    check_id_unchanged(id, result);
    doc = std::move(result);
}

// ---- Update -----------------------------------------------------------------------------------

Update::Update(Value spec, const Array* array_filters, const Variables* let)
    : impl_(std::make_unique<Impl>()) {
    if (spec.is_array()) {
        if (array_filters && !array_filters->empty()) {
            throw MongoError(code::FailedToParse,
                             "arrayFilters may not be specified for pipeline-style updates");
        }
        impl_->kind = Impl::Kind::kPipeline;
        impl_->pipeline = std::make_unique<Pipeline>(Pipeline::for_update(spec.array(), let));
        return;
    }
    if (!spec.is_document())
        throw MongoError(code::FailedToParse,
                         "Update argument must be either an object or an array");
    const Document& doc = spec.doc();
    bool operators = !doc.empty() && doc.fields().front().name[0] == '$';
    if (!operators) {
        impl_->kind = Impl::Kind::kReplacement;
        check_replacement_field_names(doc);
        impl_->replacement = std::move(spec.doc());
        if (array_filters && !array_filters->empty()) {
            throw MongoError(code::FailedToParse,
                             "arrayFilters may not be specified for replacement-style updates");
        }
        return;
    }
    impl_->parse_operators(doc);
    if (array_filters) impl_->parse_array_filters(*array_filters);
    impl_->check_array_filters_used(doc);
}

Update::~Update() = default;
Update::Update(Update&&) noexcept = default;

bool Update::is_replacement() const {
    return impl_->kind == Impl::Kind::kReplacement;
}

// Works on a copy so that `doc` is unchanged when the update throws; a replacement builds its
// result from the replacement and the old _id alone, so it skips copying the old document. The
// result replaces `doc` only when its bytes differ (mongod's no-op check is BSONObj::binaryEqual,
// e.g. ObjectReplaceExecutor::applyReplacementUpdate), compared field by field here rather than
// by encoding both documents.
bool Update::apply(Document& doc, bool inserting, const MatchDetails* details,
                   DeltaLog* log) const {
    Document working;
    switch (impl_->kind) {
        case Impl::Kind::kReplacement:
            working = impl_->replacement_of(doc);
            break;
        case Impl::Kind::kOperators:
            working = doc;
            impl_->apply_operators(working, doc, inserting, details, log);
            break;
        case Impl::Kind::kPipeline:
            working = doc;
            impl_->apply_pipeline(working);
            break;
    }
    check_updated_id(working);
    if (identical(working, doc)) return false;
    doc = std::move(working);
    return true;
}

namespace {

// BSONObj::storageValidEmbedded: no '$'-prefixed name at any depth, except a DBRef's leading
// $ref (a string) and $id followed by an optional $db (a string). Returns the offending name.
std::optional<std::string> invalid_embedded_name(const Document& doc);

std::optional<std::string> invalid_embedded_name_in(const Value& value) {
    if (value.is_document()) return invalid_embedded_name(value.doc());
    if (!value.is_array()) return std::nullopt;
    for (const auto& element : value.array()) {
        if (auto name = invalid_embedded_name_in(element)) return name;
    }
    return std::nullopt;
}

size_t dbref_prefix_length(const std::vector<Field>& fields) {
    if (fields.size() < 2 || fields[0].name != "$ref" || fields[1].name != "$id" ||
        fields[0].value.type() != BSON_TYPE_UTF8) {
        return 0;
    }
    bool has_db =
        fields.size() > 2 && fields[2].name == "$db" && fields[2].value.type() == BSON_TYPE_UTF8;
    return has_db ? 3 : 2;
}

std::optional<std::string> invalid_embedded_name(const Document& doc) {
    const auto& fields = doc.fields();
    for (size_t i = 0; i < fields.size(); ++i) {
        bool dbref_field = i < dbref_prefix_length(fields);
        if (!dbref_field && !fields[i].name.empty() && fields[i].name[0] == '$') {
            return fields[i].name;
        }
        if (auto name = invalid_embedded_name_in(fields[i].value)) return name;
    }
    return std::nullopt;
}

void check_id_for_insert(const Value& id) {
    switch (id.type()) {
        case BSON_TYPE_ARRAY:
            bad_value("can't use an array for _id");
        case BSON_TYPE_REGEX:
            bad_value("can't use a regex for _id");
        case BSON_TYPE_UNDEFINED:
            bad_value("can't use a undefined for _id");
        case BSON_TYPE_DOCUMENT:
            if (auto name = invalid_embedded_name(id.doc())) {
                throw MongoError(code::DollarPrefixedFieldName,
                                 "_id fields may not contain '$'-prefixed fields: " + *name +
                                     " is not valid for storage.");
            }
            return;
        default:
            return;
    }
}

}  // namespace

// mongod's insert path (fixDocumentForInsert): BadValue for an _id that is an array, a regex or
// undefined, DollarPrefixedFieldName (52) for an _id document holding a '$' name at any depth
// (storageValidIdField). The manual ("Dollar-Prefixed Field Names", 5.0+): "Dollar ($)
// prefixed fields are permitted as top level and nested field names for inserts"; servers
// before 5.0 rejected top-level ones (allow_top_level_dollar false).
namespace {

bool is_dbref_field(const std::string& name, size_t position) {
    static const char* const kDbRefFields[] = {"$ref", "$id", "$db"};
    return position < 3 && name == kDbRefFields[position];
}

void check_nested_names(const Value& value, const std::string& path);

void check_nested_object(const Document& doc, const std::string& path) {
    for (size_t i = 0; i < doc.size(); ++i) {
        const Field& field = doc.fields()[i];
        std::string child = path + "." + field.name;
        if (!field.name.empty() && field.name[0] == '$' && !is_dbref_field(field.name, i)) {
            throw MongoError(code::DollarPrefixedFieldName, "The dollar ($) prefixed field '" +
                                                                field.name + "' in '" + child +
                                                                "' is not valid for storage.");
        }
        check_nested_names(field.value, child);
    }
}

void check_nested_names(const Value& value, const std::string& path) {
    if (value.is_document()) {
        check_nested_object(value.doc(), path);
    } else if (value.is_array()) {
        for (size_t i = 0; i < value.array().size(); ++i)
            check_nested_names(value.array()[i], path + "." + std::to_string(i));
    }
}

}  // namespace

void validate_nested_names_before_50(const Document& doc) {
    for (const auto& field : doc.fields())
        check_nested_names(field.value, field.name);
}

void validate_for_storage(const Document& doc, bool allow_top_level_dollar) {
    for (const auto& field : doc.fields()) {
        if (!allow_top_level_dollar && !field.name.empty() && field.name[0] == '$') {
            bad_value("Document can't have $ prefixed field names: " + field.name);
        }
    }
    if (const Value* id = doc.get("_id")) check_id_for_insert(*id);
}

}  // namespace tmd
