// Expression: MongoDB's aggregation expression language (field paths, $$variables, literals and
// operator expressions), parsed once with mongod's error codes and evaluated against documents.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/value.h"

namespace tmd {

// "Missing" (a field that does not exist, or $$REMOVE) is a Value of type EOD, so that it stays
// distinguishable from null: {$eq: ["$nope", null]} is false in MongoDB.
inline Value missing_value() {
    return Value(BSON_TYPE_EOD, std::monostate{});
}
inline bool is_missing(const Value& v) {
    return v.type() == BSON_TYPE_EOD;
}
// Null, undefined or missing: the inputs for which most operators return null.
inline bool is_nullish(const Value& v) {
    return is_missing(v) || v.is_null() || v.type() == BSON_TYPE_UNDEFINED;
}

// Truthiness in expressions: false, null, undefined, missing and numeric zero are false.
inline bool is_true(const Value& v) {
    return !is_missing(v) && v.truthy();
}

// Variable bindings visible to an expression: $$NOW (fixed when the Variables is created, as one
// command sees one NOW), $$CLUSTER_TIME when set, let variables, and the user variables $let,
// $map and $filter bind. ROOT and CURRENT come from the document being evaluated unless rebound.
class Variables {
  public:
    Variables();  // $$NOW = the current time
    // A nested scope; `parent` must outlive it.
    explicit Variables(const Variables* parent) : parent_(parent) {}
    Variables(const Variables& other);  // copies every visible binding into one flat scope
    Variables& operator=(const Variables&) = delete;

    // The variables of a command's `let` option (find, aggregate, update, delete, findAndModify):
    // $$NOW, $$CLUSTER_TIME when given, then each let expression evaluated once, in order, with
    // no document (it sees the system variables and the let variables before it). Throws
    // MongoError for an invalid variable name (16866/16867/16868) or expression.
    static Variables from_let(const Document& let, const Value* cluster_time = nullptr);

    void set_now(int64_t millis) { define("NOW", Value::date(millis)); }
    void set_cluster_time(const Value& timestamp) { define("CLUSTER_TIME", timestamp); }
    // Binds (or rebinds in this scope) a variable.
    void define(std::string name, Value value);
    // The bound value, or nullptr.
    const Value* lookup(std::string_view name) const;
    // Every visible name (for parse-time "Use of undefined variable" checks).
    std::vector<std::string> names() const;

  private:
    const Variables* parent_ = nullptr;
    std::vector<std::pair<std::string, Value>> bindings_;
};

// Throws MongoError (16866/16867/16868) unless `name` is a valid user variable name.
void validate_variable_name(std::string_view name);

class Expression {
  public:
    // Parses an expression. Variables referenced as $$name must be builtins, bound by an
    // enclosing $let/$map/$filter, or visible in `variables` (let variables of the command).
    explicit Expression(const Value& spec, const Variables* variables = nullptr);
    // Parses with extra variable names in scope (for stages that bind names, like $lookup let).
    Expression(const Value& spec, const std::vector<std::string>& scope);
    ~Expression();
    Expression(const Expression&);
    Expression(Expression&&) noexcept;
    Expression& operator=(Expression&&) noexcept;

    // The value, or missing_value() when the expression yields nothing (missing field, $$REMOVE).
    Value evaluate(const Document& root, const Variables& variables) const;
    // True when the expression depends on no document and no variable (a literal).
    bool is_constant() const;

    struct Node;

  private:
    std::shared_ptr<const Node> root_;
};

// A field path value ("a.b") read from a document with aggregation semantics: arrays along the
// path are traversed and yield arrays of the values found; missing parts yield missing.
Value get_path(const Document& doc, std::string_view path);

}  // namespace tmd
