// Accumulator: the $group accumulators ($sum $avg $min $max $first $last $push $addToSet
// $mergeObjects $stdDevPop $stdDevSamp $count), also used by $bucket/$bucketAuto and expressions.
#pragma once

#include <memory>
#include <string_view>

#include "engine/value.h"

namespace tmd {

class Accumulator {
  public:
    virtual ~Accumulator() = default;
    // Feeds one evaluated value (possibly missing) of one input document.
    virtual void add(const Value& value) = 0;
    virtual Value result() const = 0;
};

// Whether $group knows this accumulator name ("$sum", ...).
bool is_accumulator(std::string_view name);
// A fresh accumulator; the name must satisfy is_accumulator(). $count is built as {$sum: 1}
// by the caller.
std::unique_ptr<Accumulator> make_accumulator(std::string_view name);

}  // namespace tmd
