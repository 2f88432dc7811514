// Matcher: parses a query filter into a tree of nodes and evaluates it against documents.
// Semantics and error messages follow the MongoDB manual's "Query Predicates" pages and mongod's
// src/mongo/db/matcher/expression_parser.cpp.
#include "engine/matcher.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "engine/error.h"
#include "engine/expression.h"
#include "engine/json_schema.h"
#include "engine/path.h"
#include "engine/regex.h"

namespace tmd {

struct Matcher::Node {
    virtual ~Node() = default;
    virtual bool matches(const Document& doc, MatchDetails* details) const = 0;
    // Adds the (path, value) equalities an upsert seeds its document with.
    virtual void collect_equalities(std::vector<std::pair<std::string, Value>>&) const {}
};

const std::map<std::string, bson_type_t>& type_aliases() {
    static const std::map<std::string, bson_type_t> aliases = {
        {"double", BSON_TYPE_DOUBLE},
        {"string", BSON_TYPE_UTF8},
        {"object", BSON_TYPE_DOCUMENT},
        {"array", BSON_TYPE_ARRAY},
        {"binData", BSON_TYPE_BINARY},
        {"undefined", BSON_TYPE_UNDEFINED},
        {"objectId", BSON_TYPE_OID},
        {"bool", BSON_TYPE_BOOL},
        {"date", BSON_TYPE_DATE_TIME},
        {"null", BSON_TYPE_NULL},
        {"regex", BSON_TYPE_REGEX},
        {"dbPointer", BSON_TYPE_DBPOINTER},
        {"javascript", BSON_TYPE_CODE},
        {"symbol", BSON_TYPE_SYMBOL},
        {"javascriptWithScope", BSON_TYPE_CODEWSCOPE},
        {"int", BSON_TYPE_INT32},
        {"timestamp", BSON_TYPE_TIMESTAMP},
        {"long", BSON_TYPE_INT64},
        {"decimal", BSON_TYPE_DECIMAL128},
        {"minKey", BSON_TYPE_MINKEY},
        {"maxKey", BSON_TYPE_MAXKEY},
    };
    return aliases;
}

namespace {

using Node = Matcher::Node;
using NodePtr = std::unique_ptr<Node>;

bool is_nan(const Value& v) {
    return v.is_number() && std::isnan(v.as_double());
}

// ---- Leaf predicates: tests on the value(s) a path reaches (nullptr when missing). -------------

class Predicate {
  public:
    virtual ~Predicate() = default;
    // `element` receives the array position of the element that matched, for predicates that
    // look inside an array they are given whole ($elemMatch).
    virtual bool test(const Value* value, std::optional<size_t>* element) const = 0;
    // Whether an array at the end of the path is also tested element by element.
    virtual bool expands_arrays() const { return true; }
    virtual const Value* equality() const { return nullptr; }
};
using PredicatePtr = std::unique_ptr<Predicate>;

// Equality; null also matches a missing field (manual: "Query for Null or Missing Fields").
class EqualsPredicate : public Predicate {
  public:
    EqualsPredicate(Value rhs, const Collator* collator)
        : rhs_(std::move(rhs)), collator_(collator) {}
    bool test(const Value* value, std::optional<size_t>*) const override {
        if (rhs_.is_null()) return !value || value->is_null();
        return value && compare_values(*value, rhs_, collator_) == 0;
    }
    const Value* equality() const override { return &rhs_; }

  private:
    Value rhs_;
    const Collator* collator_;
};

enum class Comparison { kLess, kLessEqual, kGreater, kGreaterEqual };

// $lt $lte $gt $gte: only values of the operand's type bracket compare, except against
// MinKey/MaxKey; NaN only equals NaN.
class ComparePredicate : public Predicate {
  public:
    ComparePredicate(Comparison op, Value rhs, const Collator* collator)
        : op_(op), rhs_(std::move(rhs)), collator_(collator) {}
    bool test(const Value* value, std::optional<size_t>*) const override {
        bool inclusive = op_ == Comparison::kLessEqual || op_ == Comparison::kGreaterEqual;
        if (!value) return inclusive && rhs_.is_null();
        bool bracketless = rhs_.type() == BSON_TYPE_MINKEY || rhs_.type() == BSON_TYPE_MAXKEY;
        if (!bracketless &&
            canonical_type_rank(value->type()) != canonical_type_rank(rhs_.type())) {
            return false;
        }
        if (is_nan(*value) || is_nan(rhs_)) return inclusive && is_nan(*value) && is_nan(rhs_);
        int c = compare_values(*value, rhs_, collator_);
        switch (op_) {
            case Comparison::kLess:
                return c < 0;
            case Comparison::kLessEqual:
                return c <= 0;
            case Comparison::kGreater:
                return c > 0;
            case Comparison::kGreaterEqual:
                return c >= 0;
        }
        return false;
    }

  private:
    Comparison op_;
    Value rhs_;
    const Collator* collator_;
};

class RegexPredicate : public Predicate {
  public:
    explicit RegexPredicate(QueryRegex regex) : regex_(std::move(regex)) {}
    bool test(const Value* value, std::optional<size_t>*) const override {
        if (!value) return false;
        if (value->type() == BSON_TYPE_UTF8 || value->type() == BSON_TYPE_SYMBOL) {
            return regex_.search(value->str());
        }
        if (value->type() != BSON_TYPE_REGEX) return false;
        const auto& stored = std::get<Regex>(value->payload());
        return stored.pattern == regex_.pattern() && stored.options == regex_.options();
    }

  private:
    QueryRegex regex_;
};

QueryRegex regex_of(const Value& value) {
    const auto& re = std::get<Regex>(value.payload());
    return QueryRegex(re.pattern, re.options);
}

class InPredicate : public Predicate {
  public:
    InPredicate(std::vector<EqualsPredicate> equals, std::vector<RegexPredicate> regexes)
        : equals_(std::move(equals)), regexes_(std::move(regexes)) {}
    bool test(const Value* value, std::optional<size_t>*) const override {
        for (const auto& eq : equals_) {
            if (eq.test(value, nullptr)) return true;
        }
        for (const auto& re : regexes_) {
            if (re.test(value, nullptr)) return true;
        }
        return false;
    }
    // mongod rewrites a one-element $in to $eq, which an upsert then seeds from.
    const Value* equality() const override {
        return equals_.size() == 1 && regexes_.empty() ? equals_[0].equality() : nullptr;
    }

  private:
    std::vector<EqualsPredicate> equals_;
    std::vector<RegexPredicate> regexes_;
};

class ExistsPredicate : public Predicate {
  public:
    bool test(const Value* value, std::optional<size_t>*) const override { return value; }
};

class TypePredicate : public Predicate {
  public:
    TypePredicate(std::set<bson_type_t> types, bool any_number)
        : types_(std::move(types)), any_number_(any_number) {}
    bool test(const Value* value, std::optional<size_t>*) const override {
        if (!value) return false;
        return types_.count(value->type()) || (any_number_ && value->is_number());
    }

  private:
    std::set<bson_type_t> types_;
    bool any_number_;
};

class SizePredicate : public Predicate {
  public:
    explicit SizePredicate(std::optional<size_t> size) : size_(size) {}
    bool test(const Value* value, std::optional<size_t>*) const override {
        return value && value->is_array() && size_ && value->array().size() == *size_;
    }
    bool expands_arrays() const override { return false; }

  private:
    std::optional<size_t> size_;  // nullopt for a size no array has (fractional)
};

class ModPredicate : public Predicate {
  public:
    ModPredicate(int64_t divisor, int64_t remainder) : divisor_(divisor), remainder_(remainder) {}
    bool test(const Value* value, std::optional<size_t>*) const override {
        if (!value || !value->is_number() || !std::isfinite(value->as_double())) return false;
        return value->as_int64() % divisor_ == remainder_;
    }

  private:
    int64_t divisor_;
    int64_t remainder_;
};

// $elemMatch: the array itself must hold one element satisfying every condition. `condition`
// is evaluated on each element, wrapped as {"": element} for the value form.
class ElemMatchPredicate : public Predicate {
  public:
    ElemMatchPredicate(NodePtr condition, bool value_form)
        : condition_(std::move(condition)), value_form_(value_form) {}
    bool test(const Value* value, std::optional<size_t>* element) const override {
        if (!value || !value->is_array()) return false;
        const Array& elements = value->array();
        for (size_t i = 0; i < elements.size(); ++i) {
            if (!element_matches(elements[i])) continue;
            if (element) *element = i;
            return true;
        }
        return false;
    }
    bool expands_arrays() const override { return false; }

  private:
    bool element_matches(const Value& element) const {
        if (!value_form_)
            return element.is_document() && condition_->matches(element.doc(), nullptr);
        Document wrapper;
        wrapper.push_back("", element);
        return condition_->matches(wrapper, nullptr);
    }
    NodePtr condition_;
    bool value_form_;
};

// ---- Nodes ------------------------------------------------------------------------------------

class PathNode : public Node {
  public:
    PathNode(std::string path, PredicatePtr predicate, bool expand_leaf_arrays)
        : path_(std::move(path)),
          parts_(split_path(path_)),
          predicate_(std::move(predicate)),
          expand_(expand_leaf_arrays && predicate_->expands_arrays()) {}

    bool matches(const Document& doc, MatchDetails* details) const override {
        std::optional<size_t> position;
        bool hit = visit_path(doc, parts_, expand_, [&](const Value* value, auto array_position) {
            std::optional<size_t> element;
            if (!predicate_->test(value, &element)) return false;
            position = array_position ? array_position : element;
            return true;
        });
        if (hit && details && position) details->array_index = position;
        return hit;
    }
    void collect_equalities(std::vector<std::pair<std::string, Value>>& out) const override {
        if (const Value* value = predicate_->equality()) out.emplace_back(path_, *value);
    }

  private:
    std::string path_;
    FieldPath parts_;
    PredicatePtr predicate_;
    bool expand_;
};

enum class Logic { kAnd, kOr, kNor };

class LogicalNode : public Node {
  public:
    LogicalNode(Logic logic, std::vector<NodePtr> children)
        : logic_(logic), children_(std::move(children)) {}
    bool matches(const Document& doc, MatchDetails* details) const override {
        bool want = logic_ != Logic::kAnd;  // the child result that decides early
        for (const auto& child : children_) {
            if (child->matches(doc, details) == want) return logic_ == Logic::kOr;
        }
        return logic_ != Logic::kOr;
    }
    void collect_equalities(std::vector<std::pair<std::string, Value>>& out) const override {
        // mongod seeds from $and clauses and from a single-clause $or.
        if (logic_ == Logic::kAnd || (logic_ == Logic::kOr && children_.size() == 1)) {
            for (const auto& child : children_)
                child->collect_equalities(out);
        }
    }
    bool empty() const { return children_.empty(); }

  private:
    Logic logic_;
    std::vector<NodePtr> children_;
};

class NotNode : public Node {
  public:
    explicit NotNode(NodePtr child) : child_(std::move(child)) {}
    bool matches(const Document& doc, MatchDetails*) const override {
        return !child_->matches(doc, nullptr);
    }

  private:
    NodePtr child_;
};

class ConstantNode : public Node {
  public:
    explicit ConstantNode(bool result) : result_(result) {}
    bool matches(const Document&, MatchDetails*) const override { return result_; }

  private:
    bool result_;
};

// $jsonSchema: the whole document against a JSON Schema (engine/json_schema.h).
class JsonSchemaNode : public Node {
  public:
    explicit JsonSchemaNode(const Value& spec) : schema_(spec) {}
    bool matches(const Document& doc, MatchDetails*) const override { return schema_.matches(doc); }

  private:
    JsonSchema schema_;
};

// $expr: an aggregation expression evaluated against the whole document, true when truthy.
class ExprNode : public Node {
  public:
    ExprNode(const Value& spec, const Variables* variables)
        : owned_(variables ? nullptr : std::make_shared<Variables>()),
          variables_(variables ? variables : owned_.get()),
          expression_(spec, variables_) {}
    bool matches(const Document& doc, MatchDetails*) const override {
        Value result = expression_.evaluate(doc, *variables_);
        return !is_missing(result) && result.truthy();
    }

  private:
    std::shared_ptr<Variables> owned_;  // $$NOW fixed at parse time when the caller has no scope
    const Variables* variables_;
    Expression expression_;
};

// ---- Parsing ----------------------------------------------------------------------------------

bool starts_with_dollar(std::string_view name) {
    return !name.empty() && name[0] == '$';
}

class Parser {
  public:
    Parser(const Variables* variables, const Collator* collator)
        : variables_(variables), collator_(collator) {}

    NodePtr parse_filter(const Document& filter, bool expand = true) const {
        std::vector<NodePtr> children;
        for (const auto& field : filter.fields()) {
            children.push_back(starts_with_dollar(field.name)
                                   ? parse_top_level(field.name, field.value)
                                   : parse_condition(field.name, field.value, expand));
        }
        return std::make_unique<LogicalNode>(Logic::kAnd, std::move(children));
    }

  private:
    NodePtr parse_top_level(const std::string& name, const Value& arg) const {
        if (name == "$and") return parse_logical(Logic::kAnd, name, arg);
        if (name == "$or") return parse_logical(Logic::kOr, name, arg);
        if (name == "$nor") return parse_logical(Logic::kNor, name, arg);
        if (name == "$comment") return std::make_unique<ConstantNode>(true);
        if (name == "$alwaysTrue") return std::make_unique<ConstantNode>(true);
        if (name == "$alwaysFalse") return std::make_unique<ConstantNode>(false);
        if (name == "$expr") return parse_expr(arg);
        if (name == "$jsonSchema") return std::make_unique<JsonSchemaNode>(arg);
        if (name == "$not") {
            bad_value(
                "unknown top level operator: $not. If you are trying to negate an entire "
                "expression, use $nor.");
        }
        bad_value("unknown top level operator: " + name +
                  ". If you have a field name that starts with a '$' symbol, consider using "
                  "$getField or $setField.");
    }

    NodePtr parse_expr(const Value& arg) const;

    NodePtr parse_logical(Logic logic, const std::string& name, const Value& arg) const {
        if (!arg.is_array()) bad_value(name + " must be an array");
        if (arg.array().empty()) bad_value("$and/$or/$nor must be a nonempty array");
        std::vector<NodePtr> children;
        for (const auto& clause : arg.array()) {
            if (!clause.is_document()) bad_value("$or/$and/$nor entries need to be full objects");
            children.push_back(parse_filter(clause.doc()));
        }
        return std::make_unique<LogicalNode>(logic, std::move(children));
    }

    // One field of a filter: {path: value}, {path: /re/} or {path: {$op: arg, ...}}.
    NodePtr parse_condition(const std::string& path, const Value& value, bool expand) const {
        if (value.type() == BSON_TYPE_REGEX) {
            return leaf(path, std::make_unique<RegexPredicate>(regex_of(value)), expand);
        }
        if (!is_query_operator_document(value)) {
            return leaf(path, std::make_unique<EqualsPredicate>(value, collator_), expand);
        }
        std::vector<NodePtr> children;
        const Document& ops = value.doc();
        for (const auto& op : ops.fields()) {
            if (NodePtr node = parse_operator(path, op.name, op.value, ops, expand)) {
                children.push_back(std::move(node));
            }
        }
        return std::make_unique<LogicalNode>(Logic::kAnd, std::move(children));
    }

    static NodePtr leaf(const std::string& path, PredicatePtr predicate, bool expand) {
        return std::make_unique<PathNode>(path, std::move(predicate), expand);
    }

    static NodePtr negate(NodePtr node) { return std::make_unique<NotNode>(std::move(node)); }

    // Returns nullptr for operators that only modify a sibling ($options).
    NodePtr parse_operator(const std::string& path, const std::string& op, const Value& arg,
                           const Document& siblings, bool expand) const {
        auto compare = [&](Comparison c) {
            if (arg.type() == BSON_TYPE_REGEX)
                bad_value("Can't have RegEx as arg to predicate over field '" + path + "'.");
            return leaf(path, std::make_unique<ComparePredicate>(c, arg, collator_), expand);
        };
        if (op == "$eq") return leaf(path, equals(arg), expand);
        if (op == "$ne") return negate(leaf(path, equals(arg), expand));
        if (op == "$lt") return compare(Comparison::kLess);
        if (op == "$lte") return compare(Comparison::kLessEqual);
        if (op == "$gt") return compare(Comparison::kGreater);
        if (op == "$gte") return compare(Comparison::kGreaterEqual);
        if (op == "$in") return leaf(path, parse_in(op, arg), expand);
        if (op == "$nin") return negate(leaf(path, parse_in(op, arg), expand));
        if (op == "$exists") {
            NodePtr exists = leaf(path, std::make_unique<ExistsPredicate>(), expand);
            return arg.truthy() ? std::move(exists) : negate(std::move(exists));
        }
        if (op == "$type") return leaf(path, parse_type(arg), expand);
        if (op == "$size") return leaf(path, parse_size(arg), expand);
        if (op == "$mod") return leaf(path, parse_mod(arg), expand);
        if (op == "$regex") return leaf(path, parse_regex(arg, siblings), expand);
        if (op == "$options") {
            if (!siblings.get("$regex")) bad_value("$options needs a $regex");
            return nullptr;
        }
        if (op == "$elemMatch") return leaf(path, parse_elem_match(arg), expand);
        if (op == "$all") return parse_all(path, arg, expand);
        if (op == "$not") return negate(parse_not(path, arg, expand));
        bad_value("unknown operator: " + op);
    }

    PredicatePtr equals(const Value& arg) const {
        return std::make_unique<EqualsPredicate>(arg, collator_);
    }

    PredicatePtr parse_in(const std::string& op, const Value& arg) const {
        if (!arg.is_array()) bad_value(op + " needs an array");
        std::vector<EqualsPredicate> equals;
        std::vector<RegexPredicate> regexes;
        for (const auto& element : arg.array()) {
            if (is_query_operator_document(element)) bad_value("cannot nest $ under " + op);
            if (element.type() == BSON_TYPE_REGEX) {
                regexes.emplace_back(regex_of(element));
            } else {
                equals.emplace_back(element, collator_);
            }
        }
        return std::make_unique<InPredicate>(std::move(equals), std::move(regexes));
    }

    static bson_type_t type_of_code(const Value& arg) {
        double number = arg.as_double();
        static const std::set<int> valid = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                            12, 13, 14, 15, 16, 17, 18, 19, -1, 127};
        if (number != std::floor(number) || !valid.count(static_cast<int>(number))) {
            bad_value("Invalid numerical type code: " + arg.to_json());
        }
        int type = static_cast<int>(number);
        return type == -1 ? BSON_TYPE_MINKEY : static_cast<bson_type_t>(type);
    }

    static PredicatePtr parse_type(const Value& arg) {
        std::set<bson_type_t> types;
        bool any_number = false;
        auto add = [&](const Value& type) {
            if (type.is_number()) {
                types.insert(type_of_code(type));
            } else if (type.is_string() && type.str() == "number") {
                any_number = true;
            } else if (type.is_string()) {
                auto it = type_aliases().find(type.str());
                if (it == type_aliases().end()) bad_value("Unknown type name alias: " + type.str());
                types.insert(it->second);
            } else {
                throw MongoError(code::TypeMismatch,
                                 "type must be represented as a number or a string");
            }
        };
        if (arg.is_array()) {
            if (arg.array().empty()) bad_value("$type must match at least one type");
            for (const auto& type : arg.array())
                add(type);
        } else {
            add(arg);
        }
        return std::make_unique<TypePredicate>(std::move(types), any_number);
    }

    static PredicatePtr parse_size(const Value& arg) {
        if (!arg.is_number()) bad_value("$size needs a number");
        double size = arg.as_double();
        if (size < 0) bad_value("$size may not be negative");
        bool whole = size == std::floor(size);
        return std::make_unique<SizePredicate>(whole ? std::optional<size_t>(arg.as_int64())
                                                     : std::nullopt);
    }

    static PredicatePtr parse_mod(const Value& arg) {
        if (!arg.is_array()) bad_value("malformed mod, needs to be an array");
        const Array& parts = arg.array();
        if (parts.size() < 2) bad_value("malformed mod, not enough elements");
        if (parts.size() > 2) bad_value("malformed mod, too many elements");
        if (!parts[0].is_number()) bad_value("malformed mod, divisor not a number");
        if (!parts[1].is_number()) bad_value("malformed mod, remainder not a number");
        if (!std::isfinite(parts[0].as_double()) || !std::isfinite(parts[1].as_double())) {
            bad_value(
                "malformed mod, divisor value is invalid :: caused by :: Unable to coerce "
                "NaN/Inf to integral type");
        }
        int64_t divisor = parts[0].as_int64();
        if (divisor == 0) bad_value("divisor cannot be 0");
        return std::make_unique<ModPredicate>(divisor, parts[1].as_int64());
    }

    static PredicatePtr parse_regex(const Value& arg, const Document& siblings) {
        const Value* options = siblings.get("$options");
        if (options && !options->is_string()) bad_value("$options has to be a string");
        std::string flags = options ? options->str() : "";
        if (arg.type() == BSON_TYPE_REGEX) {
            const auto& re = std::get<Regex>(arg.payload());
            if (options && !re.options.empty())
                bad_value("options set in both $regex and $options");
            return std::make_unique<RegexPredicate>(
                QueryRegex(re.pattern, options ? flags : re.options));
        }
        if (!arg.is_string()) bad_value("$regex has to be a string");
        return std::make_unique<RegexPredicate>(QueryRegex(arg.str(), flags));
    }

    // Value form ({$elemMatch: {$gt: 1}}) when the first field is a field operator, document
    // form ({$elemMatch: {a: 1}}) otherwise.
    PredicatePtr parse_elem_match(const Value& arg) const {
        if (!arg.is_document()) bad_value("$elemMatch needs an Object");
        const Document& spec = arg.doc();
        bool value_form =
            is_query_operator_document(arg) && !is_logical(spec.fields().front().name);
        NodePtr condition = value_form ? parse_condition("", arg, false) : parse_filter(spec);
        return std::make_unique<ElemMatchPredicate>(std::move(condition), value_form);
    }

    static bool is_logical(const std::string& name) {
        return name == "$and" || name == "$or" || name == "$nor" || name == "$expr" ||
               name == "$where" || name == "$comment" || name == "$jsonSchema";
    }

    // $all: every listed value is present (an $and of equalities), or every $elemMatch holds.
    NodePtr parse_all(const std::string& path, const Value& arg, bool expand) const {
        if (!arg.is_array()) bad_value("$all needs an array");
        const Array& items = arg.array();
        if (items.empty()) return std::make_unique<ConstantNode>(false);
        auto is_elem_match = [](const Value& v) {
            return is_query_operator_document(v) && v.doc().fields().front().name == "$elemMatch";
        };
        bool elem_matches = is_elem_match(items.front());
        std::vector<NodePtr> children;
        for (const auto& item : items) {
            if (is_elem_match(item) != elem_matches)
                bad_value("$all/$elemMatch has to be consistent");
            if (elem_matches) {
                children.push_back(
                    leaf(path, parse_elem_match(item.doc().fields().front().value), expand));
            } else if (is_query_operator_document(item)) {
                bad_value("no $ expressions in $all");
            } else {
                children.push_back(parse_condition(path, item, expand));
            }
        }
        return std::make_unique<LogicalNode>(Logic::kAnd, std::move(children));
    }

    NodePtr parse_not(const std::string& path, const Value& arg, bool expand) const {
        if (arg.type() == BSON_TYPE_REGEX) {
            return leaf(path, std::make_unique<RegexPredicate>(regex_of(arg)), expand);
        }
        if (!arg.is_document()) bad_value("$not needs a regex or a document");
        if (arg.doc().empty()) bad_value("$not cannot be empty");
        if (!is_query_operator_document(arg))
            bad_value("unknown operator: " + arg.doc().fields().front().name);
        return parse_condition(path, arg, expand);
    }

    const Variables* variables_;
    const Collator* collator_;  // string comparisons; nullptr: simple (binary)
};

}  // namespace

NodePtr Parser::parse_expr(const Value& arg) const {
    return std::make_unique<ExprNode>(arg, variables_);
}

bool is_query_operator_document(const Value& value) {
    if (!value.is_document() || value.doc().empty()) return false;
    const std::string& first = value.doc().fields().front().name;
    return starts_with_dollar(first) && first != "$ref" && first != "$id" && first != "$db";
}

Matcher::Matcher(const Document& filter, const Variables* variables,
                 std::shared_ptr<const Collator> collator)
    : collator_(std::move(collator)),
      root_(Parser(variables, collator_.get()).parse_filter(filter)) {}
Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

bool Matcher::matches(const Document& doc, MatchDetails* details) const {
    return root_->matches(doc, details);
}

bool Matcher::matches_everything() const {
    return static_cast<const LogicalNode&>(*root_).empty();
}

namespace {

// Sets `path` in `doc`, creating the intermediate documents (upsert seeds never conflict).
void seed_path(Document& doc, const FieldPath& parts, size_t depth, const Value& value) {
    if (depth + 1 == parts.size()) {
        doc.set(parts[depth], value);
        return;
    }
    Value* child = doc.get(parts[depth]);
    if (!child) {
        doc.push_back(parts[depth], Value::document({}));
        child = doc.get(parts[depth]);
    }
    seed_path(child->doc(), parts, depth + 1, value);
}

bool is_prefix(const FieldPath& shorter, const FieldPath& longer) {
    return shorter.size() < longer.size() &&
           std::equal(shorter.begin(), shorter.end(), longer.begin());
}

}  // namespace

// mongod collects the equalities into a FieldRef-ordered set (update_driver.cpp
// populateDocumentWithQueryFields), so the seeded fields come out sorted by path.
Document Matcher::upsert_seed() const {
    std::vector<std::pair<std::string, Value>> equalities;
    root_->collect_equalities(equalities);
    std::map<FieldPath, const Value*> by_path;
    for (const auto& [path, value] : equalities) {
        FieldPath parts = split_path(path);
        if (!by_path.emplace(parts, &value).second) {
            throw MongoError(code::NotSingleValueField, "cannot infer query fields to set, path '" +
                                                            path + "' is matched twice");
        }
    }
    for (auto it = by_path.begin(); it != by_path.end(); ++it) {
        auto next = std::next(it);
        if (next != by_path.end() && is_prefix(it->first, next->first)) {
            throw MongoError(code::NotSingleValueField,
                             "cannot infer query fields to set, both paths '" +
                                 join_path(next->first, next->first.size()) + "' and '" +
                                 join_path(it->first, it->first.size()) + "' are matched");
        }
    }
    Document seed;
    if (auto id = by_path.find(FieldPath{"_id"}); id != by_path.end())
        seed.push_back("_id", *id->second);
    for (const auto& [parts, value] : by_path) {
        if (parts != FieldPath{"_id"}) seed_path(seed, parts, 0, *value);
    }
    return seed;
}

}  // namespace tmd
