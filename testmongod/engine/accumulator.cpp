// Accumulator implementations with MongoDB's semantics: $sum, $avg and $stdDev* use numbers only,
// $min/$max ignore null and missing, $first/$last turn missing into null, $push and $addToSet skip
// missing. Also registers $sum $avg $min $max $stdDev* as expressions over an array or arguments.
#include "engine/accumulator.h"

#include <cmath>
#include <functional>
#include <map>

#include "engine/expression_internal.h"

namespace tmd {
namespace {

class SumAccumulator : public Accumulator {
  public:
    void add(const Value& v) override {
        if (v.is_number()) sum_.take(v);
    }
    Value result() const override { return sum_.result(); }

  private:
    expr::NumericFold sum_{false};
};

class AverageAccumulator : public Accumulator {
  public:
    void add(const Value& v) override {
        if (!v.is_number()) return;
        sum_.take(v);
        ++count_;
    }
    Value result() const override {
        if (count_ == 0) return Value::null();
        long double mean = sum_.real() / count_;
        return sum_.has_decimal() ? expr::decimal_from(mean)
                                  : Value::dbl(static_cast<double>(mean));
    }

  private:
    expr::NumericFold sum_{false};
    int64_t count_ = 0;
};

class ExtremeAccumulator : public Accumulator {
  public:
    explicit ExtremeAccumulator(int sign) : sign_(sign) {}
    void add(const Value& v) override {
        if (is_nullish(v)) return;
        if (!best_ || compare_values(v, *best_) * sign_ > 0) best_ = std::make_unique<Value>(v);
    }
    Value result() const override { return best_ ? *best_ : Value::null(); }

  private:
    int sign_;
    std::unique_ptr<Value> best_;
};

class FirstLastAccumulator : public Accumulator {
  public:
    explicit FirstLastAccumulator(bool first) : first_(first) {}
    void add(const Value& v) override {
        if (first_ && seen_) return;
        seen_ = true;
        value_ = is_missing(v) ? Value::null() : v;
    }
    Value result() const override { return value_; }

  private:
    bool first_;
    bool seen_ = false;
    Value value_;
};

class PushAccumulator : public Accumulator {
  public:
    explicit PushAccumulator(bool unique) : unique_(unique) {}
    void add(const Value& v) override {
        if (is_missing(v)) return;
        if (unique_) {
            for (const Value& existing : values_) {
                if (values_equal(existing, v)) return;
            }
        }
        values_.push_back(v);
    }
    Value result() const override { return Value::array(values_); }

  private:
    bool unique_;
    Array values_;
};

class MergeObjectsAccumulator : public Accumulator {
  public:
    void add(const Value& v) override {
        if (is_nullish(v)) return;
        if (!v.is_document()) {
            expr::fail(40400, "$mergeObjects requires object inputs, but input " + expr::show(v) +
                                  " is of type " + type_name(v));
        }
        for (const auto& field : v.doc().fields())
            merged_.set(field.name, field.value);
    }
    Value result() const override { return Value::document(merged_); }

  private:
    Document merged_;
};

// $stdDevPop / $stdDevSamp over the numeric inputs (Welford's method); null without enough input.
class StdDevAccumulator : public Accumulator {
  public:
    explicit StdDevAccumulator(bool sample) : sample_(sample) {}
    void add(const Value& v) override {
        if (!v.is_number()) return;
        double x = v.as_double();
        ++count_;
        double delta = x - mean_;
        mean_ += delta / double(count_);
        squares_ += delta * (x - mean_);
    }
    Value result() const override {
        int64_t divisor = sample_ ? count_ - 1 : count_;
        if (divisor <= 0) return Value::null();
        return Value::dbl(std::sqrt(squares_ / double(divisor)));
    }

  private:
    bool sample_;
    int64_t count_ = 0;
    double mean_ = 0;
    double squares_ = 0;
};

using Factory = std::function<std::unique_ptr<Accumulator>()>;

const std::map<std::string, Factory, std::less<>>& factories() {
    static const std::map<std::string, Factory, std::less<>> table = {
        {"$sum", [] { return std::make_unique<SumAccumulator>(); }},
        {"$avg", [] { return std::make_unique<AverageAccumulator>(); }},
        {"$min", [] { return std::make_unique<ExtremeAccumulator>(-1); }},
        {"$max", [] { return std::make_unique<ExtremeAccumulator>(1); }},
        {"$first", [] { return std::make_unique<FirstLastAccumulator>(true); }},
        {"$last", [] { return std::make_unique<FirstLastAccumulator>(false); }},
        {"$push", [] { return std::make_unique<PushAccumulator>(false); }},
        {"$addToSet", [] { return std::make_unique<PushAccumulator>(true); }},
        {"$mergeObjects", [] { return std::make_unique<MergeObjectsAccumulator>(); }},
        {"$stdDevPop", [] { return std::make_unique<StdDevAccumulator>(false); }},
        {"$stdDevSamp", [] { return std::make_unique<StdDevAccumulator>(true); }},
    };
    return table;
}

}  // namespace

bool is_accumulator(std::string_view name) {
    return name == "$count" || factories().count(name) > 0;
}

std::unique_ptr<Accumulator> make_accumulator(std::string_view name) {
    return factories().find(name)->second();
}

namespace expr {

// {$sum: [a, b]} folds the arguments; {$sum: "$array"} (one argument) folds the array elements.
void register_accumulator_operators(Registry& registry) {
    for (std::string name : {"$sum", "$avg", "$min", "$max", "$stdDevPop", "$stdDevSamp"}) {
        add_function(registry, name, 1, -1, [name](const std::vector<Value>& args) {
            auto accumulator = make_accumulator(name);
            const bool over_array = args.size() == 1 && args[0].is_array();
            for (const Value& v : over_array ? args[0].array() : args)
                accumulator->add(v);
            return accumulator->result();
        });
    }
}

}  // namespace expr
}  // namespace tmd
