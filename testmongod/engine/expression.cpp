// Expression parsing and evaluation core: literals, field paths, $$variables, expression objects
// and arrays, the operator registry, and the scoping/control-flow operators ($let $map $filter
// $reduce $cond $switch $ifNull $and $or $not $literal). Other families: expression_*.cpp.
#include "engine/expression.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "engine/expression_internal.h"

namespace tmd {

// ---- Variables ----------------------------------------------------------------------------

namespace {

int64_t now_millis() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

Variables::Variables() {
    set_now(now_millis());
}

Variables::Variables(const Variables& other) {
    for (const auto& name : other.names())
        bindings_.emplace_back(name, *other.lookup(name));
}

Variables Variables::from_let(const Document& let, const Value* cluster_time) {
    Variables variables;
    if (cluster_time) variables.set_cluster_time(*cluster_time);
    for (const auto& field : let.fields()) {
        validate_variable_name(field.name);
        Value value = Expression(field.value, &variables).evaluate(Document(), variables);
        variables.define(field.name, std::move(value));
    }
    return variables;
}

void Variables::define(std::string name, Value value) {
    for (auto& binding : bindings_) {
        if (binding.first == name) {
            binding.second = std::move(value);
            return;
        }
    }
    bindings_.emplace_back(std::move(name), std::move(value));
}

const Value* Variables::lookup(std::string_view name) const {
    for (const auto& binding : bindings_) {
        if (binding.first == name) return &binding.second;
    }
    return parent_ ? parent_->lookup(name) : nullptr;
}

std::vector<std::string> Variables::names() const {
    std::vector<std::string> all = parent_ ? parent_->names() : std::vector<std::string>{};
    for (const auto& binding : bindings_) {
        if (std::find(all.begin(), all.end(), binding.first) == all.end()) {
            all.push_back(binding.first);
        }
    }
    return all;
}

namespace {

bool is_ascii_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_non_ascii(char c) {
    return static_cast<unsigned char>(c) >= 0x80;
}

// Variables::validateNameForUserRead: user code may read builtins (upper case) too.
void validate_name(std::string_view name, bool for_write) {
    if (name.empty()) expr::fail(16866, "empty variable names are not allowed");
    char first = name[0];
    bool first_ok = (first >= 'a' && first <= 'z') || is_non_ascii(first) ||
                    (!for_write && first >= 'A' && first <= 'Z');
    // CURRENT is the one builtin a user may rebind.
    if (!first_ok && !(for_write && name == "CURRENT")) {
        expr::fail(for_write ? 16867 : 16870, "'" + std::string(name) +
                                                  "' starts with an invalid character for a " +
                                                  (for_write ? "user " : "") + "variable name");
    }
    for (char c : name.substr(1)) {
        if (!is_ascii_letter(c) && !(c >= '0' && c <= '9') && c != '_' && !is_non_ascii(c)) {
            expr::fail(for_write ? 16868 : 16871, "'" + std::string(name) +
                                                      "' contains an invalid character for a " +
                                                      "variable name: '" + std::string(1, c) + "'");
        }
    }
}

}  // namespace

void validate_variable_name(std::string_view name) {
    validate_name(name, true);
}

// ---- field paths --------------------------------------------------------------------------

namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t dot = path.find('.', start);
        parts.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return parts;
}

Value path_in_value(const Value& base, const std::vector<std::string>& parts, size_t index);

Value path_in_document(const Document& doc, const std::vector<std::string>& parts, size_t index) {
    const Value* field = doc.get(parts[index]);
    if (!field) return missing_value();
    if (index + 1 == parts.size()) return *field;
    return path_in_value(*field, parts, index + 1);
}

// ExpressionFieldPath::evaluatePath: documents are descended, arrays map the rest of the path
// over their elements (dropping elements where it is missing), anything else is missing.
Value path_in_value(const Value& base, const std::vector<std::string>& parts, size_t index) {
    if (base.is_document()) return path_in_document(base.doc(), parts, index);
    if (!base.is_array()) return missing_value();
    Array found;
    for (const Value& element : base.array()) {
        if (!element.is_document() && !element.is_array()) continue;
        Value v = path_in_value(element, parts, index);
        if (!is_missing(v)) found.push_back(std::move(v));
    }
    return Value::array(std::move(found));
}

void validate_field_path(std::string_view path) {
    for (const auto& part : split_path(path)) {
        if (part.empty()) expr::fail(15998, "FieldPath field names may not be empty strings.");
        if (part[0] == '$') {
            expr::fail(16410,
                       "FieldPath field names may not start with '$'. Consider using $getField "
                       "or $setField.");
        }
        if (part.find('\0') != std::string::npos) {
            expr::fail(16411, "FieldPath field names may not contain '\\0'.");
        }
    }
}

}  // namespace

Value get_path(const Document& doc, std::string_view path) {
    return path_in_document(doc, split_path(path), 0);
}

namespace expr {

// ---- helpers --------------------------------------------------------------------------------

void fail(int code, const std::string& message) {
    throw MongoError(code, message);
}

bool ParseScope::has(std::string_view name) const {
    return std::find(names.begin(), names.end(), name) != names.end();
}

void reject_unknown_args(const Document& spec, const std::vector<std::string_view>& allowed,
                         int code, const std::string& prefix) {
    for (const auto& field : spec.fields()) {
        if (std::find(allowed.begin(), allowed.end(), field.name) == allowed.end()) {
            fail(code, prefix + field.name);
        }
    }
}

std::string show(const Value& v) {
    return is_missing(v) ? "missing" : v.to_json();
}

// ---- nodes ------------------------------------------------------------------------------------

namespace {

class ConstantNode : public Expression::Node {
  public:
    explicit ConstantNode(Value value) : value_(std::move(value)) {}
    Value evaluate(const Document&, const Variables&) const override { return value_; }
    bool is_constant() const override { return true; }

  private:
    Value value_;
};

// "$a.b": a path in CURRENT (the root document unless CURRENT was rebound).
class FieldPathNode : public Expression::Node {
  public:
    explicit FieldPathNode(std::string_view path) : parts_(split_path(path)) {}
    Value evaluate(const Document& root, const Variables& variables) const override {
        const Value* current = variables.lookup("CURRENT");
        if (current) return path_in_value(*current, parts_, 0);
        return path_in_document(root, parts_, 0);
    }

  private:
    std::vector<std::string> parts_;
};

// "$$name" or "$$name.path".
class VariableNode : public Expression::Node {
  public:
    VariableNode(std::string name, std::vector<std::string> path)
        : name_(std::move(name)), path_(std::move(path)) {}
    Value evaluate(const Document& root, const Variables& variables) const override {
        Value base = variable_value(root, variables);
        if (path_.empty()) return base;
        return path_in_value(base, path_, 0);
    }

  private:
    Value variable_value(const Document& root, const Variables& variables) const {
        if (name_ == "REMOVE") return missing_value();
        if (const Value* bound = variables.lookup(name_)) return *bound;
        if (name_ == "ROOT" || name_ == "CURRENT") return Value::document(root);
        if (name_ == "NOW") return Value::date(now_millis());  // a scope built without NOW
        if (name_ == "CLUSTER_TIME") {
            fail(51144, "Builtin variable '$$CLUSTER_TIME' is not available");
        }
        fail(17276, "Use of undefined variable: " + name_);
    }

    std::string name_;
    std::vector<std::string> path_;
};

// {a: <expr>, b: {...}}: a document whose fields are expressions; missing values are omitted.
class ObjectNode : public Expression::Node {
  public:
    explicit ObjectNode(std::vector<std::pair<std::string, NodePtr>> fields)
        : fields_(std::move(fields)) {}
    Value evaluate(const Document& root, const Variables& variables) const override {
        Document out;
        for (const auto& [name, node] : fields_) {
            Value v = node->evaluate(root, variables);
            if (!is_missing(v)) out.push_back(name, std::move(v));
        }
        return Value::document(std::move(out));
    }

  private:
    std::vector<std::pair<std::string, NodePtr>> fields_;
};

// [<expr>, ...]: missing elements become null, as in mongod.
class ArrayNode : public Expression::Node {
  public:
    explicit ArrayNode(NodeList elements) : elements_(std::move(elements)) {}
    Value evaluate(const Document& root, const Variables& variables) const override {
        Array out;
        for (const auto& node : elements_) {
            Value v = node->evaluate(root, variables);
            out.push_back(is_missing(v) ? Value::null() : std::move(v));
        }
        return Value::array(std::move(out));
    }

  private:
    NodeList elements_;
};

class FunctionNode : public Expression::Node {
  public:
    FunctionNode(NodeList args, Function fn) : args_(std::move(args)), fn_(std::move(fn)) {}
    Value evaluate(const Document& root, const Variables& variables) const override {
        std::vector<Value> values;
        values.reserve(args_.size());
        for (const auto& node : args_)
            values.push_back(node->evaluate(root, variables));
        return fn_(values);
    }

  private:
    NodeList args_;
    Function fn_;
};

NodePtr parse_variable(std::string_view text, ParseScope& scope) {
    auto parts = split_path(text);
    std::string name = parts.front();
    parts.erase(parts.begin());
    validate_name(name, false);
    static const std::vector<std::string_view> builtins = {"ROOT", "CURRENT", "REMOVE", "NOW",
                                                           "CLUSTER_TIME"};
    bool builtin = std::find(builtins.begin(), builtins.end(), name) != builtins.end();
    if (!builtin && !scope.has(name)) fail(17276, "Use of undefined variable: " + name);
    if (!parts.empty()) validate_field_path(text.substr(name.size() + 1));
    return std::make_shared<VariableNode>(std::move(name), std::move(parts));
}

NodePtr parse_string(const Value& spec, ParseScope& scope) {
    const std::string& text = spec.str();
    if (text.empty() || text[0] != '$') return make_constant(spec);
    if (text.size() >= 2 && text[1] == '$')
        return parse_variable(std::string_view(text).substr(2), scope);
    if (text.size() == 1) fail(16872, "'$' by itself is not a valid FieldPath");
    validate_field_path(std::string_view(text).substr(1));
    return std::make_shared<FieldPathNode>(std::string_view(text).substr(1));
}

const Registry& registry();

NodePtr parse_operator(const Document& spec, ParseScope& scope) {
    if (spec.size() != 1) {
        fail(15983,
             "an expression specification must contain exactly one field, the name of the "
             "expression. Found " +
                 std::to_string(spec.size()) + " fields in " + spec.to_json() +
                 ", while parsing object " + spec.to_json());
    }
    const Field& op = spec.fields().front();
    const auto& table = registry();
    auto it = table.find(op.name);
    if (it == table.end())
        fail(code::InvalidPipelineOperator, "Unrecognized expression '" + op.name + "'");
    return it->second(op.value, scope);
}

NodePtr parse_document(const Document& spec, ParseScope& scope) {
    if (!spec.empty() && !spec.fields().front().name.empty() &&
        spec.fields().front().name[0] == '$') {
        return parse_operator(spec, scope);
    }
    std::vector<std::pair<std::string, NodePtr>> fields;
    bool constant = true;
    for (const auto& field : spec.fields()) {
        if (field.name.empty()) fail(16412, "FieldPath field names may not be empty strings.");
        if (field.name[0] == '$') {
            fail(16410,
                 "FieldPath field names may not start with '$'. Consider using $getField or "
                 "$setField.");
        }
        if (field.name.find('.') != std::string::npos) {
            fail(16412,
                 "FieldPath field names may not contain '.'. Consider using $getField or "
                 "$setField.");
        }
        NodePtr node = parse(field.value, scope);
        constant = constant && node->is_constant();
        fields.emplace_back(field.name, std::move(node));
    }
    auto node = std::make_shared<ObjectNode>(std::move(fields));
    if (!constant) return node;
    return make_constant(node->evaluate(Document(), Variables(nullptr)));
}

}  // namespace

NodePtr make_constant(Value value) {
    return std::make_shared<ConstantNode>(std::move(value));
}

NodePtr make_function(NodeList args, Function fn) {
    return std::make_shared<FunctionNode>(std::move(args), std::move(fn));
}

NodePtr parse(const Value& spec, ParseScope& scope) {
    switch (spec.type()) {
        case BSON_TYPE_UTF8:
            return parse_string(spec, scope);
        case BSON_TYPE_DOCUMENT:
            return parse_document(spec.doc(), scope);
        case BSON_TYPE_ARRAY: {
            NodeList elements;
            for (const auto& element : spec.array())
                elements.push_back(parse(element, scope));
            return std::make_shared<ArrayNode>(std::move(elements));
        }
        default:
            return make_constant(spec);
    }
}

NodeList parse_operands(const Value& args, ParseScope& scope) {
    NodeList nodes;
    if (!args.is_array()) {
        nodes.push_back(parse(args, scope));
        return nodes;
    }
    for (const auto& element : args.array())
        nodes.push_back(parse(element, scope));
    return nodes;
}

namespace {

void check_arity(const std::string& name, int min_args, int max_args, size_t count) {
    int n = static_cast<int>(count);
    if (min_args == max_args && n != min_args) {
        fail(16020, "Expression " + name + " takes exactly " + std::to_string(min_args) +
                        " arguments. " + std::to_string(n) + " were passed in.");
    }
    if (max_args < 0 && n < min_args) {
        fail(16021, "Expression " + name + " takes at least " + std::to_string(min_args) +
                        " arguments, and " + std::to_string(n) + " were passed in.");
    }
    if (n < min_args || (max_args >= 0 && n > max_args)) {
        fail(28667, "Expression " + name + " takes at least " + std::to_string(min_args) +
                        " arguments, and at most " + std::to_string(max_args) + ", but " +
                        std::to_string(n) + " were passed in.");
    }
}

}  // namespace

void add_function(Registry& registry, std::string name, int min_args, int max_args, Function fn) {
    registry[name] = [name, min_args, max_args, fn](const Value& args,
                                                    ParseScope& scope) -> NodePtr {
        NodeList nodes = parse_operands(args, scope);
        check_arity(name, min_args, max_args, nodes.size());
        return make_function(std::move(nodes), fn);
    };
}

// ---- control flow and scoping operators -------------------------------------------------------

namespace {

const Document& object_arg(const Value& args, int code, const std::string& op) {
    if (!args.is_document()) fail(code, op + " only supports an object as its argument");
    return args.doc();
}

const Value& required_arg(const Document& spec, std::string_view name, int code,
                          const std::string& message) {
    const Value* v = spec.get(name);
    if (!v) fail(code, message);
    return *v;
}

class LambdaNode : public Expression::Node {
  public:
    explicit LambdaNode(Evaluator fn) : fn_(std::move(fn)) {}
    Value evaluate(const Document& root, const Variables& variables) const override {
        return fn_(root, variables);
    }

  private:
    Evaluator fn_;
};

// Parses `body` with `names` added to the scope.
NodePtr parse_with_names(const Value& body, ParseScope& scope,
                         const std::vector<std::string>& names) {
    size_t before = scope.names.size();
    scope.names.insert(scope.names.end(), names.begin(), names.end());
    NodePtr node = parse(body, scope);
    scope.names.resize(before);
    return node;
}

NodePtr parse_let(const Value& args, ParseScope& scope) {
    const Document& spec = object_arg(args, 16874, "$let");
    reject_unknown_args(spec, {"vars", "in"}, 16875, "Unrecognized parameter to $let: ");
    const Value& vars = required_arg(spec, "vars", 16876, "Missing 'vars' parameter to $let");
    const Value& in = required_arg(spec, "in", 16877, "Missing 'in' parameter to $let");
    if (!vars.is_document()) fail(10065, "invalid parameter: expected an object (vars)");
    std::vector<std::pair<std::string, NodePtr>> bindings;
    std::vector<std::string> names;
    for (const auto& field : vars.doc().fields()) {
        validate_variable_name(field.name);
        bindings.emplace_back(field.name, parse(field.value, scope));
        names.push_back(field.name);
    }
    NodePtr body = parse_with_names(in, scope, names);
    return make_lambda([bindings, body](const Document& root, const Variables& variables) {
        Variables inner(&variables);
        for (const auto& [name, node] : bindings)
            inner.define(name, node->evaluate(root, variables));
        return body->evaluate(root, inner);
    });
}

std::string variable_name_arg(const Document& spec) {
    const Value* as = spec.get("as");
    if (!as) return "this";
    if (!as->is_string()) fail(code::TypeMismatch, "'as' must be a string");
    validate_variable_name(as->str());
    return as->str();
}

// $map {input, as, in} and $filter {input, as, cond, limit}.
NodePtr parse_map(const Value& args, ParseScope& scope) {
    const Document& spec = object_arg(args, 16878, "$map");
    reject_unknown_args(spec, {"input", "as", "in"}, 16879, "Unrecognized parameter to $map: ");
    NodePtr input =
        parse(required_arg(spec, "input", 16880, "Missing 'input' parameter to $map"), scope);
    const Value& in_spec = required_arg(spec, "in", 16882, "Missing 'in' parameter to $map");
    std::string name = variable_name_arg(spec);
    NodePtr in = parse_with_names(in_spec, scope, {name});
    return make_lambda([input, name, in](const Document& root, const Variables& variables) {
        Value list = input->evaluate(root, variables);
        if (is_nullish(list)) return Value::null();
        if (!list.is_array()) fail(16883, "input to $map must be an array not " + type_name(list));
        Array out;
        Variables inner(&variables);
        for (const Value& element : list.array()) {
            inner.define(name, element);
            Value v = in->evaluate(root, inner);
            out.push_back(is_missing(v) ? Value::null() : std::move(v));
        }
        return Value::array(std::move(out));
    });
}

NodePtr parse_filter(const Value& args, ParseScope& scope) {
    const Document& spec = object_arg(args, 28646, "$filter");
    reject_unknown_args(spec, {"input", "as", "cond", "limit"}, 28647,
                        "Unrecognized parameter to $filter: ");
    NodePtr input =
        parse(required_arg(spec, "input", 28648, "Missing 'input' parameter to $filter"), scope);
    const Value& cond_spec =
        required_arg(spec, "cond", 28649, "Missing 'cond' parameter to $filter");
    std::string name = variable_name_arg(spec);
    NodePtr cond = parse_with_names(cond_spec, scope, {name});
    NodePtr limit = spec.get("limit") ? parse(*spec.get("limit"), scope) : nullptr;
    return make_lambda([input, name, cond, limit](const Document& root,
                                                  const Variables& variables) {
        Value list = input->evaluate(root, variables);
        if (is_nullish(list)) return Value::null();
        if (!list.is_array())
            fail(28651, "input to $filter must be an array not " + type_name(list));
        int64_t max = INT64_MAX;
        if (limit) {
            Value l = limit->evaluate(root, variables);
            if (!is_nullish(l)) {
                if (!fits_int32(l))
                    fail(327391, "$filter: limit must be represented as a 32-bit integral value");
                if (l.as_int64() < 1) fail(327392, "$filter: limit must be greater than 0");
                max = l.as_int64();
            }
        }
        Array out;
        Variables inner(&variables);
        for (const Value& element : list.array()) {
            if (static_cast<int64_t>(out.size()) >= max) break;
            inner.define(name, element);
            if (is_true(cond->evaluate(root, inner))) out.push_back(element);
        }
        return Value::array(std::move(out));
    });
}

NodePtr conditional(NodePtr if_node, NodePtr then_node, NodePtr else_node) {
    return make_lambda([=](const Document& root, const Variables& variables) {
        bool test = is_true(if_node->evaluate(root, variables));
        return (test ? then_node : else_node)->evaluate(root, variables);
    });
}

NodePtr parse_cond(const Value& args, ParseScope& scope) {
    if (!args.is_document()) {
        NodeList nodes = parse_operands(args, scope);
        check_arity("$cond", 3, 3, nodes.size());
        return conditional(nodes[0], nodes[1], nodes[2]);
    }
    const Document& spec = args.doc();
    reject_unknown_args(spec, {"if", "then", "else"}, 17083, "Unrecognized parameter to $cond: ");
    return conditional(
        parse(required_arg(spec, "if", 17080, "Missing 'if' parameter to $cond"), scope),
        parse(required_arg(spec, "then", 17081, "Missing 'then' parameter to $cond"), scope),
        parse(required_arg(spec, "else", 17082, "Missing 'else' parameter to $cond"), scope));
}

NodePtr parse_switch(const Value& args, ParseScope& scope) {
    if (!args.is_document())
        fail(40060, "$switch requires an object as an argument, found: " + type_name(args));
    std::vector<std::pair<NodePtr, NodePtr>> branches;
    NodePtr fallback;
    for (const auto& field : args.doc().fields()) {
        if (field.name == "default") {
            fallback = parse(field.value, scope);
            continue;
        }
        if (field.name != "branches")
            fail(40067, "$switch found an unknown argument: " + field.name);
        if (!field.value.is_array()) {
            fail(40061,
                 "$switch expected an array for 'branches', found: " + type_name(field.value));
        }
        for (const Value& branch : field.value.array()) {
            if (!branch.is_document()) {
                fail(40062,
                     "$switch expected each branch to be an object, found: " + type_name(branch));
            }
            reject_unknown_args(branch.doc(), {"case", "then"}, 40063,
                                "$switch found an unknown argument to a branch: ");
            const Value* when = branch.doc().get("case");
            const Value* then = branch.doc().get("then");
            if (!when) fail(40064, "$switch requires each branch have a 'case' expression");
            if (!then) fail(40065, "$switch requires each branch have a 'then' expression.");
            branches.emplace_back(parse(*when, scope), parse(*then, scope));
        }
    }
    if (branches.empty()) fail(40068, "$switch requires at least one branch.");
    return make_lambda([branches, fallback](const Document& root, const Variables& variables) {
        for (const auto& [when, then] : branches) {
            if (is_true(when->evaluate(root, variables))) return then->evaluate(root, variables);
        }
        if (!fallback) {
            fail(40066,
                 "$switch could not find a matching branch for an input, and no default was "
                 "specified.");
        }
        return fallback->evaluate(root, variables);
    });
}

// $reduce {input, initialValue, in}: folds the array with $$value (the running result) and $$this.
NodePtr parse_reduce(const Value& args, ParseScope& scope) {
    const Document& spec = object_arg(args, 40075, "$reduce");
    reject_unknown_args(spec, {"input", "initialValue", "in"}, 40076,
                        "$reduce found an unknown argument: ");
    NodePtr input = parse(
        required_arg(spec, "input", 40077, "$reduce requires 'input' to be specified"), scope);
    NodePtr initial = parse(required_arg(spec, "initialValue", 40078,
                                         "$reduce requires 'initialValue' to be specified"),
                            scope);
    NodePtr in =
        parse_with_names(required_arg(spec, "in", 40079, "$reduce requires 'in' to be specified"),
                         scope, {"value", "this"});
    return make_lambda([input, initial, in](const Document& root, const Variables& variables) {
        Value list = input->evaluate(root, variables);
        if (is_nullish(list)) return Value::null();
        if (!list.is_array()) {
            fail(40080, "$reduce requires 'input' to be an array, found: " + type_name(list));
        }
        Value accumulated = initial->evaluate(root, variables);
        Variables inner(&variables);
        for (const Value& element : list.array()) {
            inner.define("value", accumulated);
            inner.define("this", element);
            accumulated = in->evaluate(root, inner);
        }
        return accumulated;
    });
}

// $ifNull: the first argument that is not null/missing/undefined, else the last argument.
NodePtr parse_if_null(const Value& args, ParseScope& scope) {
    NodeList nodes = parse_operands(args, scope);
    if (nodes.size() < 2) fail(16020, "Expression $ifNull needs at least two arguments");
    return make_lambda([nodes](const Document& root, const Variables& variables) {
        for (size_t i = 0; i + 1 < nodes.size(); ++i) {
            Value v = nodes[i]->evaluate(root, variables);
            if (!is_nullish(v)) return v;
        }
        return nodes.back()->evaluate(root, variables);
    });
}

// $and / $or short-circuit; with no arguments $and is true and $or false.
NodePtr parse_logical(const Value& args, ParseScope& scope, bool is_and) {
    NodeList nodes = parse_operands(args, scope);
    return make_lambda([nodes, is_and](const Document& root, const Variables& variables) {
        for (const auto& node : nodes) {
            if (is_true(node->evaluate(root, variables)) != is_and) return Value::boolean(!is_and);
        }
        return Value::boolean(is_and);
    });
}

}  // namespace

NodePtr make_lambda(Evaluator fn) {
    return std::make_shared<LambdaNode>(std::move(fn));
}

namespace {

Registry build_registry() {
    Registry table;
    table["$literal"] = [](const Value& args, ParseScope&) { return make_constant(args); };
    table["$let"] = parse_let;
    table["$map"] = parse_map;
    table["$filter"] = parse_filter;
    table["$cond"] = parse_cond;
    table["$switch"] = parse_switch;
    table["$reduce"] = parse_reduce;
    table["$ifNull"] = parse_if_null;
    table["$and"] = [](const Value& a, ParseScope& s) { return parse_logical(a, s, true); };
    table["$or"] = [](const Value& a, ParseScope& s) { return parse_logical(a, s, false); };
    add_function(table, "$not", 1, 1,
                 [](const std::vector<Value>& a) { return Value::boolean(!is_true(a[0])); });
    register_math_operators(table);
    register_string_operators(table);
    register_date_operators(table);
    register_array_operators(table);
    register_object_operators(table);
    register_convert_operators(table);
    register_accumulator_operators(table);
    return table;
}

const Registry& registry() {
    static const Registry table = build_registry();
    return table;
}

}  // namespace
}  // namespace expr

// ---- Expression -------------------------------------------------------------------------------

Expression::Expression(const Value& spec, const Variables* variables)
    : Expression(spec, variables ? variables->names() : std::vector<std::string>{}) {}

Expression::Expression(const Value& spec, const std::vector<std::string>& scope) {
    expr::ParseScope parse_scope{scope};
    root_ = expr::parse(spec, parse_scope);
}

Expression::~Expression() = default;
Expression::Expression(const Expression&) = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;

Value Expression::evaluate(const Document& root, const Variables& variables) const {
    return root_->evaluate(root, variables);
}

bool Expression::is_constant() const {
    return root_->is_constant();
}

}  // namespace tmd
