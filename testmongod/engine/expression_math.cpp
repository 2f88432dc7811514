// Arithmetic and comparison expression operators with MongoDB's numeric type promotion: int32
// results that overflow become int64, int64 overflow becomes double, any double makes a double and
// any decimal128 makes a decimal128. Decimal arithmetic is carried out in long double precision.
#include <cfenv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "engine/expression_internal.h"
#include "engine/random.h"

namespace tmd::expr {

// ---- number helpers shared with the other operator files --------------------------------------

std::string decimal_to_string(const bson_decimal128_t& value) {
    char text[BSON_DECIMAL128_STRING];
    bson_decimal128_to_string(&value, text);
    return text;
}

long double to_long_double(const Value& v) {
    switch (v.type()) {
        case BSON_TYPE_INT32:
            return v.as_int32();
        case BSON_TYPE_INT64:
            return static_cast<long double>(std::get<int64_t>(v.payload()));
        case BSON_TYPE_DOUBLE:
            return std::get<double>(v.payload());
        case BSON_TYPE_DECIMAL128: {
            std::string text = decimal_to_string(std::get<bson_decimal128_t>(v.payload()));
            if (text == "NaN" || text == "-NaN") return std::nanl("");
            if (text == "Infinity") return HUGE_VALL;
            if (text == "-Infinity") return -HUGE_VALL;
            return std::strtold(text.c_str(), nullptr);
        }
        default:
            return 0;
    }
}

Value decimal_from_string(const std::string& text) {
    bson_decimal128_t value;
    if (!bson_decimal128_from_string(text.c_str(), &value)) {
        bson_decimal128_from_string("NaN", &value);
    }
    return Value::decimal(value);
}

// Shortest faithful text of a long double (trailing fraction zeros removed), as a decimal.
Value decimal_from(long double value) {
    if (std::isnan(value)) return decimal_from_string("NaN");
    if (std::isinf(value)) return decimal_from_string(value > 0 ? "Infinity" : "-Infinity");
    char text[64];
    std::snprintf(text, sizeof text, "%.18Lg", value);
    std::string s = text;
    size_t exponent = s.find('e');
    std::string mantissa = s.substr(0, exponent);
    std::string tail = exponent == std::string::npos ? "" : s.substr(exponent);
    if (mantissa.find('.') != std::string::npos) {
        while (mantissa.back() == '0')
            mantissa.pop_back();
        if (mantissa.back() == '.') mantissa.pop_back();
    }
    return decimal_from_string(mantissa + tail);
}

bool is_integral(const Value& v) {
    if (v.type() == BSON_TYPE_INT32 || v.type() == BSON_TYPE_INT64) return true;
    if (v.type() != BSON_TYPE_DOUBLE && v.type() != BSON_TYPE_DECIMAL128) return false;
    long double x = to_long_double(v);
    return std::isfinite(x) && std::trunc(x) == x && x >= -9223372036854775808.0L &&
           x < 9223372036854775808.0L;
}

bool fits_int32(const Value& v) {
    return is_integral(v) && v.as_int64() >= INT32_MIN && v.as_int64() <= INT32_MAX;
}

Value integer_result(long double value, bool allow_int32) {
    if (allow_int32 && value >= INT32_MIN && value <= INT32_MAX) {
        return Value::int32(static_cast<int32_t>(value));
    }
    if (value >= -9223372036854775808.0L && value < 9223372036854775808.0L) {
        return Value::int64(static_cast<int64_t>(value));
    }
    return Value::dbl(static_cast<double>(value));
}

int numeric_width(bson_type_t type) {
    switch (type) {
        case BSON_TYPE_INT32:
            return 0;
        case BSON_TYPE_INT64:
            return 1;
        case BSON_TYPE_DOUBLE:
            return 2;
        default:
            return 3;  // decimal
    }
}

NumericFold::NumericFold(bool multiply)
    : multiply_(multiply), integer_(multiply ? 1 : 0), real_(multiply ? 1 : 0) {}

void NumericFold::take(const Value& v, bool negate) {
    widest_ = std::max(widest_, numeric_width(v.type()));
    if (widest_ <= 1 && !overflow_) {
        int64_t x = v.as_int64();
        if (negate) overflow_ = __builtin_sub_overflow(int64_t(0), x, &x);
        if (!overflow_) {
            overflow_ = multiply_ ? __builtin_mul_overflow(integer_, x, &integer_)
                                  : __builtin_add_overflow(integer_, x, &integer_);
        }
    }
    long double x = negate ? -to_long_double(v) : to_long_double(v);
    real_ = multiply_ ? real_ * x : real_ + x;
}

Value NumericFold::result() const {
    if (widest_ == 3) return decimal_from(real_);
    if (widest_ == 2 || overflow_) return Value::dbl(static_cast<double>(real_));
    if (widest_ == 0 && integer_ >= INT32_MIN && integer_ <= INT32_MAX) {
        return Value::int32(static_cast<int32_t>(integer_));
    }
    return Value::int64(integer_);
}

namespace {

Value add(const std::vector<Value>& args) {
    NumericFold sum(false);
    const Value* date = nullptr;
    for (const Value& v : args) {
        if (is_nullish(v)) return Value::null();
        if (v.type() == BSON_TYPE_DATE_TIME) {
            if (date) fail(16612, "only one date allowed in an $add expression");
            date = &v;
        } else if (!v.is_number()) {
            fail(16554, "$add only supports numeric or date types, not " + type_name(v));
        } else {
            sum.take(v);
        }
    }
    Value total = sum.result();
    if (!date) return total;
    // A date plus milliseconds; fractional milliseconds round to the nearest (mongod: llround).
    long double millis = std::get<int64_t>(date->payload()) + std::roundl(to_long_double(total));
    return Value::date(static_cast<int64_t>(millis));
}

Value multiply(const std::vector<Value>& args) {
    NumericFold product(true);
    for (const Value& v : args) {
        if (is_nullish(v)) return Value::null();
        if (!v.is_number())
            fail(16555, "$multiply only supports numeric types, not " + type_name(v));
        product.take(v);
    }
    return product.result();
}

Value subtract(const std::vector<Value>& args) {
    const Value& a = args[0];
    const Value& b = args[1];
    if (is_nullish(a) || is_nullish(b)) return Value::null();
    bool a_date = a.type() == BSON_TYPE_DATE_TIME, b_date = b.type() == BSON_TYPE_DATE_TIME;
    if (a_date && b_date) {
        return Value::int64(std::get<int64_t>(a.payload()) - std::get<int64_t>(b.payload()));
    }
    if (a_date && b.is_number()) {
        return Value::date(std::get<int64_t>(a.payload()) -
                           static_cast<int64_t>(std::roundl(to_long_double(b))));
    }
    if (!a.is_number() || !b.is_number()) {
        fail(16556, "can't $subtract " + type_name(b) + " from " + type_name(a));
    }
    NumericFold difference(false);
    difference.take(a);
    difference.take(b, /*negate=*/true);
    return difference.result();
}

// The wider of two numeric types, for $divide and $mod results.
bool either_decimal(const Value& a, const Value& b) {
    return a.type() == BSON_TYPE_DECIMAL128 || b.type() == BSON_TYPE_DECIMAL128;
}

Value divide(const std::vector<Value>& args) {
    const Value& a = args[0];
    const Value& b = args[1];
    if (is_nullish(a) || is_nullish(b)) return Value::null();
    if (!a.is_number() || !b.is_number()) {
        fail(16609,
             "$divide only supports numeric types, not " + type_name(a) + " and " + type_name(b));
    }
    long double divisor = to_long_double(b);
    if (divisor == 0) fail(16608, "can't $divide by zero");
    long double quotient = to_long_double(a) / divisor;
    return either_decimal(a, b) ? decimal_from(quotient)
                                : Value::dbl(static_cast<double>(quotient));
}

Value mod(const std::vector<Value>& args) {
    const Value& a = args[0];
    const Value& b = args[1];
    if (is_nullish(a) || is_nullish(b)) return Value::null();
    if (!a.is_number() || !b.is_number()) {
        fail(16611,
             "$mod only supports numeric types, not " + type_name(a) + " and " + type_name(b));
    }
    if (to_long_double(b) == 0) fail(16610, "can't $mod by zero");
    int widest = std::max(numeric_width(a.type()), numeric_width(b.type()));
    if (widest <= 1) {
        int64_t x = a.as_int64(), y = b.as_int64();
        int64_t r = y == -1 ? 0 : x % y;
        return widest == 0 ? Value::int32(static_cast<int32_t>(r)) : Value::int64(r);
    }
    long double r = std::fmod(to_long_double(a), to_long_double(b));
    return widest == 3 ? decimal_from(r) : Value::dbl(static_cast<double>(r));
}

// Operators of one numeric argument: null in, null out; non-numbers rejected with 28765.
using NumericFn = std::function<Value(const Value&)>;
void add_unary(Registry& registry, const std::string& name, NumericFn fn) {
    add_function(registry, name, 1, 1, [name, fn](const std::vector<Value>& args) {
        const Value& v = args[0];
        if (is_nullish(v)) return Value::null();
        if (!v.is_number()) fail(28765, name + " only supports numeric types, not " + type_name(v));
        return fn(v);
    });
}

// Applies a real function keeping the argument's type (integers unchanged by ceil/floor).
Value same_type(const Value& v, long double (*fn)(long double)) {
    switch (v.type()) {
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
            return v;
        case BSON_TYPE_DOUBLE:
            return Value::dbl(static_cast<double>(fn(v.as_double())));
        default:
            return decimal_from(fn(to_long_double(v)));
    }
}

Value absolute(const Value& v) {
    switch (v.type()) {
        case BSON_TYPE_INT32:
            return v.as_int32() == INT32_MIN ? Value::int64(-int64_t(INT32_MIN))
                                             : Value::int32(std::abs(v.as_int32()));
        case BSON_TYPE_INT64: {
            int64_t x = std::get<int64_t>(v.payload());
            if (x == INT64_MIN) fail(28680, "can't take $abs of long long min");
            return Value::int64(std::abs(x));
        }
        case BSON_TYPE_DOUBLE:
            return Value::dbl(std::fabs(v.as_double()));
        default:
            return decimal_from(std::fabs(to_long_double(v)));
    }
}

Value square_root(const Value& v) {
    long double x = to_long_double(v);
    if (x < 0) fail(28714, "$sqrt's argument must be greater than or equal to 0");
    return v.type() == BSON_TYPE_DECIMAL128 ? decimal_from(std::sqrt(x))
                                            : Value::dbl(static_cast<double>(std::sqrt(x)));
}

Value power(const std::vector<Value>& args) {
    const Value& base = args[0];
    const Value& exponent = args[1];
    if (is_nullish(base) || is_nullish(exponent)) return Value::null();
    if (!base.is_number()) fail(28762, "$pow's base must be numeric, not " + type_name(base));
    if (!exponent.is_number())
        fail(28763, "$pow's exponent must be numeric, not " + type_name(exponent));
    long double b = to_long_double(base), e = to_long_double(exponent);
    if (b == 0 && e < 0) fail(28764, "$pow cannot take a base of 0 and a negative exponent");
    long double result = std::pow(b, e);
    int widest = std::max(numeric_width(base.type()), numeric_width(exponent.type()));
    if (widest == 3) return decimal_from(result);
    if (widest == 2 || e < 0) return Value::dbl(static_cast<double>(result));
    return integer_result(result, widest == 0);
}

// $round (half to even, as documented) and $trunc, with an optional place in [-20, 100].
Value round_to_place(const std::string& name, const std::vector<Value>& args, bool truncate) {
    const Value& v = args[0];
    Value place = args.size() > 1 ? args[1] : Value::int32(0);
    if (is_nullish(v) || is_nullish(place)) return Value::null();
    if (!v.is_number()) fail(51081, name + " only supports numeric types, not " + type_name(v));
    if (!is_integral(place)) {
        fail(51082, "precision argument to " + name + " must be a integral value");
    }
    int64_t digits = place.as_int64();
    if (digits < -20 || digits > 100) {
        fail(51083, "cannot apply " + name + " with precision value " + std::to_string(digits) +
                        " value must be in [-20, 100]");
    }
    bool integer = v.type() == BSON_TYPE_INT32 || v.type() == BSON_TYPE_INT64;
    if (integer && digits >= 0) return v;
    // Scale by an exact power of ten in the direction that keeps it exact.
    long double scale = std::pow(10.0L, static_cast<long double>(std::abs(digits)));
    long double x = digits >= 0 ? to_long_double(v) * scale : to_long_double(v) / scale;
    long double rounded = truncate ? std::trunc(x) : std::nearbyint(x);  // FE_TONEAREST: even
    long double result = digits >= 0 ? rounded / scale : rounded * scale;
    if (integer) return integer_result(result, v.type() == BSON_TYPE_INT32);
    if (v.type() == BSON_TYPE_DOUBLE) return Value::dbl(static_cast<double>(result));
    return decimal_from(result);
}

// $exp $ln $log10: double results (decimal for decimal input); logarithms need positive input.
Value logarithmic(const std::string& op, const Value& v, long double (*fn)(long double)) {
    long double x = to_long_double(v);
    if (fn != expl && !(x > 0)) {
        fail(op == "$ln" ? 28766 : 28761,
             op + "'s argument must be a positive number, but is " + show(v));
    }
    return v.type() == BSON_TYPE_DECIMAL128 ? decimal_from(fn(x))
                                            : Value::dbl(static_cast<double>(fn(x)));
}

Value log_base(const std::vector<Value>& a) {
    if (is_nullish(a[0]) || is_nullish(a[1])) return Value::null();
    if (!a[0].is_number()) fail(28756, "$log's argument must be numeric, not " + type_name(a[0]));
    if (!a[1].is_number()) fail(28757, "$log's base must be numeric, not " + type_name(a[1]));
    long double x = to_long_double(a[0]), base = to_long_double(a[1]);
    if (!(x > 0)) fail(28758, "$log's argument must be a positive number, but is " + show(a[0]));
    if (!(base > 0) || base == 1) {
        fail(28759, "$log's base must be a positive number not equal to 1, but is " + show(a[1]));
    }
    long double result = std::log(x) / std::log(base);
    return either_decimal(a[0], a[1]) ? decimal_from(result)
                                      : Value::dbl(static_cast<double>(result));
}

void register_comparisons(Registry& registry) {
    using Test = bool (*)(int);
    const std::vector<std::pair<std::string, Test>> comparisons = {
        {"$eq", [](int c) { return c == 0; }}, {"$ne", [](int c) { return c != 0; }},
        {"$gt", [](int c) { return c > 0; }},  {"$gte", [](int c) { return c >= 0; }},
        {"$lt", [](int c) { return c < 0; }},  {"$lte", [](int c) { return c <= 0; }},
    };
    for (const auto& [name, test] : comparisons) {
        add_function(registry, name, 2, 2, [test](const std::vector<Value>& a) {
            return Value::boolean(test(compare_values(a[0], a[1])));
        });
    }
    add_function(registry, "$cmp", 2, 2, [](const std::vector<Value>& a) {
        return Value::int32(compare_values(a[0], a[1]));
    });
}

// $rand: a double in [0, 1), drawn anew on every evaluation. mongod's ExpressionRandom::parse
// accepts only an empty argument ({} or []): 10065 for a scalar, 3040501 for arguments.
NodePtr parse_rand(const Value& args, ParseScope&) {
    if (!args.is_document() && !args.is_array()) {
        fail(10065, "invalid parameter: expected an object ($rand)");
    }
    bool empty = args.is_document() ? args.doc().empty() : args.array().empty();
    if (!empty) fail(3040501, "$rand does not currently accept arguments");
    return make_lambda([](const Document&, const Variables&) {
        return Value::dbl(std::uniform_real_distribution<double>(0.0, 1.0)(thread_random()));
    });
}

}  // namespace

void register_math_operators(Registry& registry) {
    registry["$rand"] = parse_rand;
    add_function(registry, "$add", 0, -1, add);
    add_function(registry, "$multiply", 0, -1, multiply);
    add_function(registry, "$subtract", 2, 2, subtract);
    add_function(registry, "$divide", 2, 2, divide);
    add_function(registry, "$mod", 2, 2, mod);
    add_function(registry, "$pow", 2, 2, power);
    add_unary(registry, "$abs", absolute);
    add_unary(registry, "$ceil", [](const Value& v) { return same_type(v, std::ceil); });
    add_unary(registry, "$floor", [](const Value& v) { return same_type(v, std::floor); });
    add_unary(registry, "$sqrt", square_root);
    add_unary(registry, "$exp", [](const Value& v) { return logarithmic("$exp", v, expl); });
    add_unary(registry, "$ln", [](const Value& v) { return logarithmic("$ln", v, logl); });
    add_unary(registry, "$log10", [](const Value& v) { return logarithmic("$log10", v, log10l); });
    add_function(registry, "$log", 2, 2, log_base);
    add_function(registry, "$round", 1, 2,
                 [](const std::vector<Value>& a) { return round_to_place("$round", a, false); });
    add_function(registry, "$trunc", 1, 2,
                 [](const std::vector<Value>& a) { return round_to_place("$trunc", a, true); });
    register_comparisons(registry);
}

}  // namespace tmd::expr
