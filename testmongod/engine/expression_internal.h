// Internals shared by the expression operator files: the parse tree node, the operator registry
// and small helpers (errors, numbers, argument checks) the operator families have in common.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.h"
#include "engine/expression.h"

namespace tmd {

struct Expression::Node {
    virtual ~Node() = default;
    virtual Value evaluate(const Document& root, const Variables& variables) const = 0;
    virtual bool is_constant() const { return false; }
};

namespace expr {

using NodePtr = std::shared_ptr<const Expression::Node>;
using NodeList = std::vector<NodePtr>;
// A "function" operator: every argument evaluated first, then fn(args).
using Function = std::function<Value(const std::vector<Value>& args)>;
// An operator with its own evaluation (scoping, short-circuit).
using Evaluator = std::function<Value(const Document& root, const Variables& variables)>;
NodePtr make_lambda(Evaluator fn);

// Names of the variables in scope while parsing, for mongod's parse-time check of $$names.
struct ParseScope {
    std::vector<std::string> names;
    bool has(std::string_view name) const;
};

NodePtr parse(const Value& spec, ParseScope& scope);
// The operands of an operator: an array is the argument list, anything else one argument.
NodeList parse_operands(const Value& args, ParseScope& scope);
NodePtr make_constant(Value value);
// A node that evaluates `args` and returns fn(values).
NodePtr make_function(NodeList args, Function fn);

// Operator registry. A Parser builds the node of an operator from its raw argument.
using Parser = std::function<NodePtr(const Value& args, ParseScope& scope)>;
using Registry = std::map<std::string, Parser, std::less<>>;
// Registers a function operator taking between min_args and max_args arguments (-1: no limit),
// with mongod's arity errors (16020 exact, 28667 ranged, 16021 at least).
void add_function(Registry& registry, std::string name, int min_args, int max_args, Function fn);

void register_math_operators(Registry& registry);
void register_string_operators(Registry& registry);
void register_date_operators(Registry& registry);
void register_array_operators(Registry& registry);
void register_object_operators(Registry& registry);
void register_convert_operators(Registry& registry);
void register_accumulator_operators(Registry& registry);

// Helpers.
[[noreturn]] void fail(int code, const std::string& message);
// Throws MongoError(code, "<prefix><name>") for a field of `spec` not in `allowed`.
void reject_unknown_args(const Document& spec, const std::vector<std::string_view>& allowed,
                         int code, const std::string& prefix);

// Numbers: decimal128 helpers and int32 argument checks.
long double to_long_double(const Value& v);
Value decimal_from(long double value);
Value decimal_from_string(const std::string& text);
std::string decimal_to_string(const bson_decimal128_t& value);
bool is_integral(const Value& v);  // a number with an integral value that fits in int64
bool fits_int32(const Value& v);   // a number with an integral value that fits in int32
// Smallest of int32/int64 holding an integer result; double when it fits neither.
Value integer_result(long double value, bool allow_int32);
// The shortest decimal text that reads back as the same double ("2.5", "1e+20", "NaN").
std::string double_to_string(double d);
// Dates: "%Y-%m-%dT%H:%M:%S.%LZ" text of an instant, and parsing of ISO-8601 date strings
// ("2020-01-02", "2020-01-02T03:04:05.678Z", "...+05:00"); false when the text is not a date.
std::string date_to_string(int64_t millis);
bool parse_date_string(const std::string& text, int64_t& millis);
// 0 int32, 1 int64, 2 double, 3 decimal: the promotion order of numeric results.
int numeric_width(bson_type_t type);

// Running sum or product with MongoDB's promotion: integers stay exact (int32 while they fit,
// then int64) until int64 overflows, which makes a double; doubles and decimals widen the result.
class NumericFold {
  public:
    explicit NumericFold(bool multiply);
    void take(const Value& number, bool negate = false);
    Value result() const;
    bool has_decimal() const { return widest_ == 3; }
    long double real() const { return real_; }

  private:
    bool multiply_;
    int widest_ = 0;
    bool overflow_ = false;
    int64_t integer_;
    long double real_;
};

// The Value a BSON value would print as in errors (relaxed JSON).
std::string show(const Value& v);

}  // namespace expr
}  // namespace tmd
