// Splitting collections into _id ranges: sizes, split points from a sorted sample, type brackets
// and the $gte/$lt filters of each range.
#include <gtest/gtest.h>

#include <vector>

#include "bson/document.h"
#include "copy/ranges.h"

namespace tributary::copy {
namespace {

bson::Document id_doc(int32_t id) {
    return bson::Document(BCON_NEW("_id", BCON_INT32(id)));
}

TEST(RangeSize, SmallCollectionsUseTheMinimum) {
    EXPECT_EQ(range_size(1000, 4, 100000), 100000);
}

TEST(RangeSize, LargeCollectionsGetAboutFourRangesPerWorker) {
    EXPECT_EQ(range_size(16000000, 4, 100000), 1000000);
}

std::vector<bson::Document> id_docs(const std::vector<int32_t>& ids) {
    std::vector<bson::Document> docs;
    for (int32_t id : ids)
        docs.push_back(id_doc(id));
    return docs;
}

TEST(SplitPoints, AreTheQuantilesOfTheSample) {
    bson::Document points = pick_split_points(id_docs({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}), 4);
    EXPECT_EQ(points.to_json(), R"({ "0" : 3, "1" : 6, "2" : 9 })");
    EXPECT_EQ(range_count(points.view()), 4u);
}

TEST(SplitPoints, RepeatedSampledIdsArePickedOnce) {
    bson::Document points = pick_split_points(id_docs({1, 5, 5, 5, 5, 9}), 3);
    EXPECT_EQ(points.to_json(), R"({ "0" : 5 })");
}

TEST(SplitPoints, ASampleTooSmallForTheRangesGivesFewerRanges) {
    EXPECT_EQ(range_count(pick_split_points(id_docs({7}), 4).view()), 1u);
    EXPECT_EQ(range_count(pick_split_points({}, 4).view()), 1u);
}

TEST(TypeBracket, NumericTypesShareOneBracket) {
    bson::Document as_double(BCON_NEW("_id", BCON_DOUBLE(2.5)));
    bson::Document as_long(BCON_NEW("_id", BCON_INT64(7)));
    EXPECT_TRUE(same_type_bracket(id_doc(1).view(), as_double.view()));
    EXPECT_TRUE(same_type_bracket(as_long.view(), as_double.view()));
}

TEST(TypeBracket, StringsAndNumbersDiffer) {
    bson::Document text(BCON_NEW("_id", BCON_UTF8("x")));
    EXPECT_FALSE(same_type_bracket(id_doc(1).view(), text.view()));
}

TEST(RangeFilter, BoundsEachRangeWithNeighbouringSplitPoints) {
    bson::Document points = bson::Document::from_json(R"({"0": 10, "1": 20})");
    EXPECT_EQ(range_filter(points.view(), 0).to_json(),
              R"({ "_id" : { "$not" : { "$gte" : 10 } } })");
    EXPECT_EQ(range_filter(points.view(), 1).to_json(),
              R"({ "_id" : { "$gte" : 10, "$lt" : 20 } })");
    EXPECT_EQ(range_filter(points.view(), 2).to_json(), R"({ "_id" : { "$gte" : 20 } })");
}

TEST(RangeFilter, NoSplitPointsMeansNoFilter) {
    bson::Document none;
    EXPECT_EQ(range_filter(none.view(), 0).to_json(), "{ }");
}

}  // namespace
}  // namespace tributary::copy
