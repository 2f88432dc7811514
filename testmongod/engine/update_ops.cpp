// Field-level update operators, following the MongoDB manual's "Update Operators" pages
// (https://www.mongodb.com/docs/manual/reference/operator/update/) for semantics and mongod's
// src/mongo/db/update/*_node.cpp for error codes and messages.
#include "engine/update_ops.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "engine/error.h"
#include "engine/expression.h"
#include "engine/matcher.h"
#include "engine/sort.h"

namespace tmd {
namespace {

std::string id_of(const Document& root) {
    const Value* id = root.get("_id");
    return id ? "{_id: " + id->to_json() + "}" : "{}";
}

// ---- Arithmetic shared by $inc and $mul ---------------------------------------------------

// Decimal arithmetic goes through long double (libbson has none), printed with the digits it
// holds exactly so that 1.1 + 1 gives 2.1, not 2.1000000000000000000867.
bson_decimal128_t to_decimal(long double x) {
    char text[64];
    std::snprintf(text, sizeof text, "%.18Lg", x);
    bson_decimal128_t decimal;
    bson_decimal128_from_string(text, &decimal);
    return decimal;
}

long double widest(const Value& v) {
    if (v.type() != BSON_TYPE_DECIMAL128)
        return v.type() == BSON_TYPE_INT64 ? v.as_int64() : v.as_double();
    char text[BSON_DECIMAL128_STRING];
    bson_decimal128_to_string(&std::get<bson_decimal128_t>(v.payload()), text);
    return std::strtold(text, nullptr);
}

// mongod's SafeNum: decimal if either is decimal, else double if either is double, else the
// integer result, widening int32 to int64 on overflow; int64 overflow is an error (nullopt).
std::optional<Value> arithmetic(const Value& a, const Value& b, bool multiply) {
    if (a.type() == BSON_TYPE_DECIMAL128 || b.type() == BSON_TYPE_DECIMAL128) {
        long double x = widest(a), y = widest(b);
        return Value::decimal(to_decimal(multiply ? x * y : x + y));
    }
    if (a.type() == BSON_TYPE_DOUBLE || b.type() == BSON_TYPE_DOUBLE) {
        double x = a.as_double(), y = b.as_double();
        return Value::dbl(multiply ? x * y : x + y);
    }
    int64_t x = a.as_int64(), y = b.as_int64(), result = 0;
    bool overflow =
        multiply ? __builtin_mul_overflow(x, y, &result) : __builtin_add_overflow(x, y, &result);
    if (overflow) return std::nullopt;
    bool both_int32 = a.type() == BSON_TYPE_INT32 && b.type() == BSON_TYPE_INT32;
    if (both_int32 && result >= std::numeric_limits<int32_t>::min() &&
        result <= std::numeric_limits<int32_t>::max()) {
        return Value::int32(static_cast<int32_t>(result));
    }
    return Value::int64(result);
}

Value zero_like(const Value& v) {
    switch (v.type()) {
        case BSON_TYPE_INT32:
            return Value::int32(0);
        case BSON_TYPE_INT64:
            return Value::int64(0);
        case BSON_TYPE_DECIMAL128:
            return Value::decimal(to_decimal(0));
        default:
            return Value::dbl(0);
    }
}

// ---- Operators ------------------------------------------------------------------------------

class SetOperator : public FieldOperator {
  public:
    explicit SetOperator(Value value) : value_(std::move(value)) {}
    void apply(UpdateSlot& slot) const override {
        if (slot.value) {
            *slot.value = value_;
        } else {
            slot.create(value_);
        }
    }

  private:
    Value value_;
};

class UnsetOperator : public FieldOperator {
  public:
    void apply(UpdateSlot& slot) const override {
        if (slot.value) slot.remove();
    }
    bool creates_path() const override { return false; }
};

class ArithmeticOperator : public FieldOperator {
  public:
    ArithmeticOperator(std::string name, Value operand, bool multiply)
        : name_(std::move(name)), operand_(std::move(operand)), multiply_(multiply) {}
    void apply(UpdateSlot& slot) const override {
        if (!slot.value) {
            slot.create(multiply_ ? zero_like(operand_) : operand_);
            return;
        }
        if (!slot.value->is_number()) {
            throw MongoError(code::TypeMismatch,
                             "Cannot apply " + name_ + " to a value of non-numeric type. " +
                                 id_of(slot.root) + " has the field '" + slot.path +
                                 "' of non-numeric type " + type_name(*slot.value));
        }
        auto result = arithmetic(*slot.value, operand_, multiply_);
        if (!result) {
            bad_value("Failed to apply " + name_ + " operations to current value (" +
                      slot.value->to_json() + ") for document " + id_of(slot.root));
        }
        *slot.value = std::move(*result);
    }

  private:
    std::string name_;
    Value operand_;
    bool multiply_;
};

class MinMaxOperator : public FieldOperator {
  public:
    MinMaxOperator(Value bound, int keep_when) : bound_(std::move(bound)), keep_when_(keep_when) {}
    void apply(UpdateSlot& slot) const override {
        if (!slot.value) {
            slot.create(bound_);
        } else if (compare_values(bound_, *slot.value) * keep_when_ > 0) {
            *slot.value = bound_;
        }
    }

  private:
    Value bound_;
    int keep_when_;  // -1 for $min (replace when the bound is smaller), 1 for $max
};

Array& array_field(UpdateSlot& slot, const std::string& message) {
    if (!slot.value->is_array()) bad_value(message);
    return slot.value->array();
}

// $push with $each, $position, $sort and $slice (applied in that order, as the manual says).
class PushOperator : public FieldOperator {
  public:
    explicit PushOperator(const Value& arg) { parse(arg); }
    void apply(UpdateSlot& slot) const override {
        if (!slot.value) slot.value = slot.create(Value::array({}));
        Array& array =
            array_field(slot, "The field '" + slot.path + "' must be an array but is of type " +
                                  type_name(*slot.value) + " in document " + id_of(slot.root));
        size_t at = array.size();
        // mongod's PushNode::insertElementsWithPosition and performPush: appending to a
        // non-empty array, unsorted and untrimmed, is an append update.
        bool appends = !array.empty() && (!position_ || *position_ > static_cast<int64_t>(at)) &&
                       !sort_whole_ && !sort_fields_;
        size_t pushed_size = at + each_.size();
        if (position_) {
            int64_t p = *position_;
            int64_t size = static_cast<int64_t>(array.size());
            at = static_cast<size_t>(p < 0 ? std::max<int64_t>(0, size + p) : std::min(p, size));
        }
        array.insert(array.begin() + static_cast<std::ptrdiff_t>(at), each_.begin(), each_.end());
        if (sort_whole_) sort_whole(array);
        if (sort_fields_) sort_by_fields(array);
        if (slice_) slice(array);
        slot.appended = appends && array.size() == pushed_size;
    }

  private:
    void parse(const Value& arg) {
        if (!arg.is_document() || !arg.doc().get("$each")) {
            each_.push_back(arg);
            return;
        }
        for (const auto& field : arg.doc().fields()) {
            if (field.name == "$each") {
                if (!field.value.is_array()) {
                    bad_value(
                        "The argument to $each in $push must be an array but it was of type: " +
                        type_name(field.value));
                }
                each_ = field.value.array();
            } else if (field.name == "$position") {
                position_ = integral(field.value, "$position");
            } else if (field.name == "$slice") {
                slice_ = integral(field.value, "$slice");
            } else if (field.name == "$sort") {
                parse_sort(field.value);
            } else {
                bad_value("Unrecognized clause in $push: " + field.name);
            }
        }
    }

    static int64_t integral(const Value& v, const std::string& clause) {
        if (!v.is_number() || v.as_double() != std::floor(v.as_double())) {
            bad_value("The value for " + clause +
                      " must be an integer value but was given type: " + type_name(v));
        }
        return v.as_int64();
    }

    void parse_sort(const Value& spec) {
        if (spec.is_number() && (spec.as_double() == 1 || spec.as_double() == -1)) {
            sort_whole_ = static_cast<int>(spec.as_double());
            return;
        }
        if (!spec.is_document() || spec.doc().empty()) {
            bad_value(
                "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to "
                "sort embedded fields");
        }
        for (const auto& field : spec.doc().fields()) {
            if (field.name.empty() || field.name[0] == '$' || field.name.front() == '.' ||
                field.name.back() == '.') {
                bad_value("The $sort field is a special identifier, which is not allowed: " +
                          field.name);
            }
        }
        sort_fields_ = std::make_shared<SortOrder>(spec.doc());
    }

    void sort_whole(Array& array) const {
        std::stable_sort(array.begin(), array.end(), [&](const Value& a, const Value& b) {
            return compare_values(a, b) * sort_whole_ < 0;
        });
    }

    void sort_by_fields(Array& array) const {
        static const Document empty;
        auto as_doc = [](const Value& v) -> const Document& {
            return v.is_document() ? v.doc() : empty;
        };
        std::stable_sort(array.begin(), array.end(), [&](const Value& a, const Value& b) {
            return sort_fields_->compare(as_doc(a), as_doc(b)) < 0;
        });
    }

    void slice(Array& array) const {
        int64_t n = *slice_;
        size_t keep = static_cast<size_t>(
            std::min<int64_t>(std::llabs(n), static_cast<int64_t>(array.size())));
        if (n >= 0) {
            array.resize(keep);
        } else {
            array.erase(array.begin(), array.end() - static_cast<std::ptrdiff_t>(keep));
        }
    }

    Array each_;
    std::optional<int64_t> position_;
    std::optional<int64_t> slice_;
    int sort_whole_ = 0;
    std::shared_ptr<SortOrder> sort_fields_;
};

bool contains(const Array& array, const Value& v) {
    return std::any_of(array.begin(), array.end(),
                       [&](const Value& e) { return values_equal(e, v); });
}

class AddToSetOperator : public FieldOperator {
  public:
    explicit AddToSetOperator(const Value& arg) {
        if (!arg.is_document() || !arg.doc().get("$each")) {
            each_.push_back(arg);
            return;
        }
        for (const auto& field : arg.doc().fields()) {
            if (field.name != "$each")
                bad_value("Found unexpected fields after $each in $addToSet: " + arg.to_json());
        }
        const Value& each = *arg.doc().get("$each");
        if (!each.is_array()) {
            throw MongoError(
                code::TypeMismatch,
                "The argument to $each in $addToSet must be an array but it was of type " +
                    type_name(each));
        }
        each_ = each.array();
    }
    void apply(UpdateSlot& slot) const override {
        if (!slot.value) slot.value = slot.create(Value::array({}));
        Array& array =
            array_field(slot, "Cannot apply $addToSet to non-array field. Field named '" +
                                  slot.path + "' has non-array type " + type_name(*slot.value));
        for (const auto& v : each_) {
            if (!contains(array, v)) array.push_back(v);
        }
    }

  private:
    Array each_;
};

class PopOperator : public FieldOperator {
  public:
    explicit PopOperator(const Value& arg) {
        if (!arg.is_number() || (arg.as_double() != 1 && arg.as_double() != -1)) {
            throw MongoError(code::FailedToParse, "$pop expects 1 or -1, found: " + arg.to_json());
        }
        from_front_ = arg.as_double() == -1;
    }
    void apply(UpdateSlot& slot) const override {
        if (!slot.value) return;
        if (!slot.value->is_array()) {
            throw MongoError(code::TypeMismatch, "Path '" + slot.path +
                                                     "' contains an element of non-array type '" +
                                                     type_name(*slot.value) + "'");
        }
        Array& array = slot.value->array();
        if (array.empty()) return;
        array.erase(from_front_ ? array.begin() : array.end() - 1);
    }
    bool creates_path() const override { return false; }

  private:
    bool from_front_ = false;
};

// $pull and $pullAll: remove every element the condition accepts.
class PullOperator : public FieldOperator {
  public:
    using Condition = std::function<bool(const Value&)>;
    explicit PullOperator(Condition condition) : condition_(std::move(condition)) {}
    void apply(UpdateSlot& slot) const override {
        if (!slot.value) return;
        Array& array = array_field(slot, "Cannot apply $pull to a non-array value");
        array.erase(std::remove_if(array.begin(), array.end(), condition_), array.end());
    }
    bool creates_path() const override { return false; }

  private:
    Condition condition_;
};

// The manual: a document condition that is not an operator expression is a query on the
// elements, which must be documents; an operator expression or a regex tests each element as
// a value; anything else is compared for equality.
PullOperator::Condition pull_condition(const Value& arg) {
    if (arg.is_document() && !is_query_operator_document(arg)) {
        auto matcher = std::make_shared<Matcher>(arg.doc());
        return [matcher](const Value& e) { return e.is_document() && matcher->matches(e.doc()); };
    }
    if (arg.is_document() || arg.type() == BSON_TYPE_REGEX) {
        Document filter;
        filter.push_back("", arg);
        auto matcher = std::make_shared<Matcher>(filter);
        return [matcher](const Value& e) {
            Document wrapper;
            wrapper.push_back("", e);
            return matcher->matches(wrapper);
        };
    }
    return [arg](const Value& e) { return values_equal(e, arg); };
}

PullOperator::Condition pull_all_condition(const Value& arg) {
    if (!arg.is_array())
        bad_value("$pullAll requires an array argument but was given a " + type_name(arg));
    return [values = arg.array()](const Value& e) { return contains(values, e); };
}

class CurrentDateOperator : public FieldOperator {
  public:
    explicit CurrentDateOperator(const Value& arg) {
        if (arg.type() == BSON_TYPE_BOOL) return;
        const Value* type = arg.is_document() ? arg.doc().get("$type") : nullptr;
        if (!type || arg.doc().size() != 1) {
            bad_value(arg.is_document()
                          ? "Unrecognized $currentDate option: " + arg.doc().fields().front().name
                          : "$currentDate: expected boolean or document, found " + type_name(arg));
        }
        if (!type->is_string() || (type->str() != "date" && type->str() != "timestamp")) {
            bad_value(
                "The '$type' string field is required to be 'date' or 'timestamp': "
                "{$currentDate: {field : {$type: 'date'}}}");
        }
        timestamp_ = type->str() == "timestamp";
    }
    void apply(UpdateSlot& slot) const override {
        auto now = std::chrono::system_clock::now().time_since_epoch();
        int64_t millis = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
        // Timestamps from one process are unique and increasing, like mongod's oplog clock.
        static std::atomic<uint32_t> increment{0};
        Value value = timestamp_
                          ? Value::timestamp(static_cast<uint32_t>(millis / 1000), ++increment)
                          : Value::date(millis);
        if (slot.value) {
            *slot.value = std::move(value);
        } else {
            slot.create(std::move(value));
        }
    }

  private:
    bool timestamp_ = false;
};

}  // namespace

std::unique_ptr<FieldOperator> make_field_operator(const std::string& op, const Value& arg,
                                                   const std::string& path) {
    auto numeric = [&](const std::string& verb) {
        if (!arg.is_number()) {
            throw MongoError(code::TypeMismatch, "Cannot " + verb +
                                                     " with non-numeric argument: {" + path + ": " +
                                                     arg.to_json() + "}");
        }
    };
    if (op == "$set" || op == "$setOnInsert") return std::make_unique<SetOperator>(arg);
    if (op == "$unset") return std::make_unique<UnsetOperator>();
    if (op == "$inc") {
        numeric("increment");
        return std::make_unique<ArithmeticOperator>(op, arg, false);
    }
    if (op == "$mul") {
        numeric("multiply");
        return std::make_unique<ArithmeticOperator>(op, arg, true);
    }
    if (op == "$min") return std::make_unique<MinMaxOperator>(arg, -1);
    if (op == "$max") return std::make_unique<MinMaxOperator>(arg, 1);
    if (op == "$push") return std::make_unique<PushOperator>(arg);
    if (op == "$addToSet") return std::make_unique<AddToSetOperator>(arg);
    if (op == "$pop") return std::make_unique<PopOperator>(arg);
    if (op == "$pull") return std::make_unique<PullOperator>(pull_condition(arg));
    if (op == "$pullAll") return std::make_unique<PullOperator>(pull_all_condition(arg));
    if (op == "$currentDate") return std::make_unique<CurrentDateOperator>(arg);
    return nullptr;
}

}  // namespace tmd
