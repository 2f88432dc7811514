// Splitting a collection into _id ranges copied in parallel: split points picked from the
// collection's _ids in _id order, and the find filter of each range.
#pragma once

#include <bson/bson.h>

#include <cstdint>

#include "bson/document.h"

namespace tributary::copy {

// Documents per range: at least `min_range_docs`, and about four ranges per worker for large
// collections so a slow range does not leave the other workers idle at the end.
int64_t range_size(int64_t document_count, int workers, int64_t min_range_docs);

// Picks every `range_docs`-th _id of documents fed in ascending _id order as split points.
// Mixed type brackets give no split points (one range): range predicates ($gte/$lt) only match
// values of their own type bracket, so mixed-type _ids must be copied as one unbounded range.
class SplitPointPicker {
  public:
    explicit SplitPointPicker(int64_t range_docs) : range_docs_(range_docs) {}
    // Feeds the next document ({_id: ...}); false once the _ids proved to be of mixed types
    // (feeding more is pointless).
    bool add(const bson_t* doc);
    // The split points as a BSON array (empty: one range).
    bson::Document finish();

  private:
    int64_t range_docs_;
    int64_t seen_ = 0;
    uint32_t picked_ = 0;
    int first_bracket_ = -1;
    bool mixed_ = false;
    bson::Document points_;
};

// The filter of range `index` among the ranges the split points cut:
// {_id: {$gte: points[index-1], $lt: points[index]}} without the bound that does not exist.
bson::Document range_filter(const bson_t* split_points, size_t index);
// Number of ranges the split points cut (points + 1).
size_t range_count(const bson_t* split_points);

}  // namespace tributary::copy
