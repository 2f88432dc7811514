// _id range splitting. Type brackets follow MongoDB's comparison order: all numeric types form
// one bracket, as do string/symbol, and a range predicate never crosses a bracket.
#include "copy/ranges.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace tributary::copy {

namespace {

// Canonical sort-order bracket of a BSON type (MongoDB "Comparison/Sort Order").
int type_bracket(bson_type_t type) {
    switch (type) {
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128:
            return 1;
        case BSON_TYPE_UTF8:
        case BSON_TYPE_SYMBOL:
            return 2;
        default:
            return 100 + static_cast<int>(type);
    }
}

bool id_of(const bson_t* doc, bson_iter_t* iter) {
    return doc && bson_iter_init_find(iter, doc, "_id");
}

// {_id: <lowest>} (direction 1) or {_id: <highest>} (-1): one _id index lookup.
std::optional<bson::Document> extreme_id(const mongo::Collection& coll, int direction) {
    bson::Document opts(BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}", "sort", "{", "_id",
                                 BCON_INT32(direction), "}", "limit", BCON_INT64(1)));
    mongo::Cursor cursor = coll.find(nullptr, opts.view());
    const bson_t* doc = cursor.next();
    if (!doc) return std::nullopt;
    return bson::Document::copy_of(doc);
}

// A random sample of `size` _ids ({_id: ...}), sorted by the server in _id order (its
// comparison rules and the collection's collation, the same ones the range filters use).
std::vector<bson::Document> sorted_id_sample(const mongo::Collection& coll, int64_t size) {
    bson::Document pipeline =
        bson::Document::from_json(R"({"pipeline": [{"$sample": {"size": )" + std::to_string(size) +
                                  R"(}}, {"$project": {"_id": 1}}, {"$sort": {"_id": 1}}]})");
    // A sample near the collection's size is a scan plus a random sort on MongoDB.
    bson::Document opts(BCON_NEW("allowDiskUse", BCON_BOOL(true)));
    mongo::Cursor cursor = coll.aggregate(pipeline.view(), opts.view());
    std::vector<bson::Document> sample;
    while (const bson_t* doc = cursor.next())
        sample.push_back(bson::Document::copy_of(doc));
    return sample;
}

}  // namespace

int64_t range_size(int64_t document_count, int workers, int64_t min_range_docs) {
    int64_t target_ranges = std::max<int64_t>(1, int64_t{workers} * 4);
    int64_t per_range = (document_count + target_ranges - 1) / target_ranges;
    return std::max<int64_t>(std::max<int64_t>(min_range_docs, per_range), 1);
}

bool same_type_bracket(const bson_t* a, const bson_t* b) {
    bson_iter_t first, second;
    return id_of(a, &first) && id_of(b, &second) &&
           type_bracket(bson_iter_type(&first)) == type_bracket(bson_iter_type(&second));
}

bson::Document pick_split_points(const std::vector<bson::Document>& sorted_sample, int64_t ranges) {
    bson::Document points;
    const int64_t size = static_cast<int64_t>(sorted_sample.size());
    const bson_t* last = nullptr;
    uint32_t picked = 0;
    for (int64_t quantile = 1; quantile < ranges; ++quantile) {
        // The first sample at or past the quantile: index ceil(quantile * size / ranges).
        const int64_t index = (quantile * size + ranges - 1) / ranges;
        if (index <= 0 || index >= size) continue;
        const bson_t* doc = sorted_sample[static_cast<size_t>(index)].view();
        bson_iter_t iter;
        if (!id_of(doc, &iter) || (last && bson::byte_equal(doc, last))) continue;
        const std::string key = std::to_string(picked++);
        bson_append_iter(points.get(), key.c_str(), static_cast<int>(key.size()), &iter);
        last = doc;
    }
    return points;
}

size_t range_count(const bson_t* split_points) {
    return bson_count_keys(split_points) + 1;
}

bson::Document range_filter(const bson_t* split_points, size_t index) {
    bson_iter_t lower;
    bson_iter_t upper;
    bool has_lower =
        index > 0 && bson_iter_init_find(&lower, split_points, std::to_string(index - 1).c_str());
    bool has_upper = bson_iter_init_find(&upper, split_points, std::to_string(index).c_str());
    bson::Document filter;
    if (!has_lower && !has_upper) return filter;
    bson_t bounds;
    BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "_id", &bounds);
    if (has_lower) {
        bson_append_iter(&bounds, "$gte", 4, &lower);
        if (has_upper) bson_append_iter(&bounds, "$lt", 3, &upper);
    } else {
        // The complement of "at or above the first split point" rather than $lt: a NaN _id
        // sorts below every number but matches neither $lt nor $gte, and an _id of another
        // bracket matches no bound of this one. A document the later ranges cannot match (they
        // all lie at or above points[0]) is matched here: the ranges cover the collection.
        bson_t negated;
        BSON_APPEND_DOCUMENT_BEGIN(&bounds, "$not", &negated);
        bson_append_iter(&negated, "$gte", 4, &upper);
        bson_append_document_end(&bounds, &negated);
    }
    bson_append_document_end(filter.get(), &bounds);
    return filter;
}

Split split_collection(const mongo::Collection& coll, int64_t count, int64_t docs_per_range) {
    Split split;
    if (count <= docs_per_range) return split;
    auto lowest = extreme_id(coll, 1);
    auto highest = extreme_id(coll, -1);
    if (!lowest || !highest) return split;  // empty after all: the count was stale
    if (!same_type_bracket(lowest->view(), highest->view())) {
        split.mixed_types = true;
        return split;
    }
    // Split points from a sample rather than a scan of every _id: work starts at once, even
    // for huge collections. With about 32 samples per range a split point's sampling error is
    // roughly 1/sqrt(32), under a fifth of a range, which is all the balancing needs.
    const int64_t ranges = (count + docs_per_range - 1) / docs_per_range;
    const int64_t sample_size = std::min<int64_t>(ranges * kSamplesPerRange, kMaxSampleSize);
    split.points = pick_split_points(sorted_id_sample(coll, sample_size), ranges);
    return split;
}

}  // namespace tributary::copy
