// _id range splitting. Type brackets follow MongoDB's comparison order: all numeric types form
// one bracket, as do string/symbol, and a range predicate never crosses a bracket.
#include "copy/ranges.h"

#include <algorithm>
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

}  // namespace

int64_t range_size(int64_t document_count, int workers, int64_t min_range_docs) {
    int64_t target_ranges = std::max<int64_t>(1, int64_t{workers} * 4);
    int64_t per_range = (document_count + target_ranges - 1) / target_ranges;
    return std::max<int64_t>(std::max<int64_t>(min_range_docs, per_range), 1);
}

bool SplitPointPicker::add(const bson_t* doc) {
    bson_iter_t iter;
    if (mixed_ || !id_of(doc, &iter)) return !mixed_;
    int bracket = type_bracket(bson_iter_type(&iter));
    if (first_bracket_ == -1) first_bracket_ = bracket;
    if (bracket != first_bracket_) {
        mixed_ = true;
        return false;
    }
    if (seen_ > 0 && seen_ % range_docs_ == 0) {
        std::string key = std::to_string(picked_++);
        bson_append_iter(points_.get(), key.c_str(), static_cast<int>(key.size()), &iter);
    }
    ++seen_;
    return true;
}

bson::Document SplitPointPicker::finish() {
    return mixed_ ? bson::Document() : std::move(points_);
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
    if (has_lower) bson_append_iter(&bounds, "$gte", 4, &lower);
    if (has_upper) bson_append_iter(&bounds, "$lt", 3, &upper);
    bson_append_document_end(filter.get(), &bounds);
    return filter;
}

}  // namespace tributary::copy
