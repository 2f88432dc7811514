// Splitting a collection into _id ranges copied in parallel: split points picked from the
// collection's _ids in _id order, and the find filter of each range.
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <vector>

#include "bson/document.h"
#include "mongo/collection.h"

namespace tributary::copy {

// Documents per range: at least `min_range_docs`, and about four ranges per worker for large
// collections so a slow range does not leave the other workers idle at the end.
int64_t range_size(int64_t document_count, int workers, int64_t min_range_docs);

// Whether the _ids of two documents ({_id: ...}) are in the same type bracket of MongoDB's sort
// order. Range predicates ($gte/$lt) only match values of their own bracket, so a collection
// whose lowest and highest _id differ in bracket must be copied as one unbounded range; when
// they agree, every _id between them is in that bracket too.
bool same_type_bracket(const bson_t* a, const bson_t* b);

// Picks up to `ranges - 1` split points from a random sample of _ids in ascending _id order
// (documents {_id: ...}): the sample's quantiles, so each range holds about the same number of
// documents. Repeated _ids ($sample may return a document twice) are picked once. Returns them
// as a BSON array (empty: one range).
bson::Document pick_split_points(const std::vector<bson::Document>& sorted_sample, int64_t ranges);

// The filter of range `index` among the ranges the split points cut:
// {_id: {$gte: points[index-1], $lt: points[index]}}, the last range without $lt, and the first
// {_id: {$not: {$gte: points[0]}}}: every document that no later range can match, so _ids that
// range predicates cannot place (NaN, other type brackets) are never skipped.
bson::Document range_filter(const bson_t* split_points, size_t index);
// Number of ranges the split points cut (points + 1).
size_t range_count(const bson_t* split_points);

// Split points come from a random sample of _ids: this many per range, at most kMaxSampleSize.
inline constexpr int64_t kSamplesPerRange = 32;
inline constexpr int64_t kMaxSampleSize = 10000;

struct Split {
    bson::Document points;     // empty: one range
    bool mixed_types = false;  // one range because the _ids span several type brackets
};
// Split points cutting `coll` (about `count` documents) into ranges of about `docs_per_range`
// documents, from a sample of its _ids; one range when its _ids span several type brackets.
Split split_collection(const mongo::Collection& coll, int64_t count, int64_t docs_per_range);

}  // namespace tributary::copy
