// Splitting collections into _id ranges: sizes, split point picking (single type bracket only)
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

TEST(SplitPointPicker, PicksEveryNthId) {
    SplitPointPicker picker(3);
    for (int32_t id = 0; id < 10; ++id)
        ASSERT_TRUE(picker.add(id_doc(id).view()));
    bson::Document points = picker.finish();
    EXPECT_EQ(points.to_json(), R"({ "0" : 3, "1" : 6, "2" : 9 })");
    EXPECT_EQ(range_count(points.view()), 4u);
}

TEST(SplitPointPicker, NumericTypesShareOneBracket) {
    SplitPointPicker picker(1);
    ASSERT_TRUE(picker.add(id_doc(1).view()));
    bson::Document as_double(BCON_NEW("_id", BCON_DOUBLE(2.5)));
    ASSERT_TRUE(picker.add(as_double.view()));
    EXPECT_EQ(bson_count_keys(picker.finish().view()), 1u);
}

TEST(SplitPointPicker, MixedTypeIdsGiveOneRange) {
    SplitPointPicker picker(1);
    ASSERT_TRUE(picker.add(id_doc(1).view()));
    ASSERT_TRUE(picker.add(id_doc(2).view()));
    bson::Document text(BCON_NEW("_id", BCON_UTF8("x")));
    EXPECT_FALSE(picker.add(text.view()));
    bson::Document points = picker.finish();
    EXPECT_TRUE(points.empty());
    EXPECT_EQ(range_count(points.view()), 1u);
}

TEST(RangeFilter, BoundsEachRangeWithNeighbouringSplitPoints) {
    bson::Document points = bson::Document::from_json(R"({"0": 10, "1": 20})");
    EXPECT_EQ(range_filter(points.view(), 0).to_json(), R"({ "_id" : { "$lt" : 10 } })");
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
