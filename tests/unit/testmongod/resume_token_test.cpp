// Resume tokens: round trips, and hex strings that sort in event order with high-water marks
// between events, as mongod's tokens do.
#include "server/resume_token.h"

#include <gtest/gtest.h>

#include "engine/error.h"

namespace tmd {
namespace {

TEST(ResumeToken, HexRoundTripsEveryField) {
    ResumeToken token = ResumeToken::event(ClusterTime{1700000000, 42}, 2, true);
    token.txn_op_index = 7;
    ResumeToken parsed = ResumeToken::from_hex(token.to_hex());
    EXPECT_EQ(parsed.time, token.time);
    EXPECT_EQ(parsed.version, 2);
    EXPECT_FALSE(parsed.high_water_mark);
    EXPECT_EQ(parsed.txn_op_index, 7u);
    EXPECT_TRUE(parsed.from_invalidate);
}

TEST(ResumeToken, HexIsUpperCaseAndStartsWithTimestampMarker) {
    std::string hex = ResumeToken::event(ClusterTime{1700000000, 1}, 2).to_hex();
    EXPECT_EQ(hex.substr(0, 2), "82");
    EXPECT_EQ(hex.find_first_not_of("0123456789ABCDEF"), std::string::npos);
}

TEST(ResumeToken, LaterClusterTimeSortsAfter) {
    auto earlier = ResumeToken::event(ClusterTime{100, 5}, 2).to_hex();
    auto later_increment = ResumeToken::event(ClusterTime{100, 6}, 2).to_hex();
    auto later_second = ResumeToken::event(ClusterTime{101, 0}, 2).to_hex();
    EXPECT_LT(earlier, later_increment);
    EXPECT_LT(later_increment, later_second);
}

TEST(ResumeToken, IncrementsCompareNumericallyNotByDigits) {
    EXPECT_LT(ResumeToken::event(ClusterTime{100, 9}, 2).to_hex(),
              ResumeToken::event(ClusterTime{100, 10}, 2).to_hex());
    EXPECT_LT(ResumeToken::event(ClusterTime{100, 255}, 2).to_hex(),
              ResumeToken::event(ClusterTime{100, 256}, 2).to_hex());
}

TEST(ResumeToken, HighWaterMarkSortsBeforeEventsAtItsTimeAndAfterEarlierOnes) {
    auto before = ResumeToken::event(ClusterTime{100, 4}, 2);
    auto mark = ResumeToken::high_water_mark_at(ClusterTime{100, 5}, 2);
    auto at = ResumeToken::event(ClusterTime{100, 5}, 2);
    EXPECT_LT(before, mark);
    EXPECT_LT(mark, at);
}

TEST(ResumeToken, InvalidateSortsAfterTheEventThatCausedIt) {
    auto drop = ResumeToken::event(ClusterTime{100, 5}, 2);
    auto invalidate = ResumeToken::event(ClusterTime{100, 5}, 2, true);
    auto next = ResumeToken::event(ClusterTime{100, 6}, 2);
    EXPECT_LT(drop, invalidate);
    EXPECT_LT(invalidate, next);
}

TEST(ResumeToken, DocumentFormIsDataString) {
    auto token = ResumeToken::event(ClusterTime{100, 5}, 2);
    Document doc = token.to_document();
    ASSERT_EQ(doc.size(), 1u);
    EXPECT_EQ(doc.fields()[0].name, "_data");
    EXPECT_EQ(ResumeToken::from_value(Value::document(doc)), token);
}

TEST(ResumeToken, RejectsMalformedData) {
    EXPECT_THROW(ResumeToken::from_hex("zz"), MongoError);
    EXPECT_THROW(ResumeToken::from_hex("82"), MongoError);
    EXPECT_THROW(ResumeToken::from_hex(""), MongoError);
    try {
        ResumeToken::from_value(Value::document(Document::from_json(R"({"_data": 1})")));
        FAIL() << "expected an error";
    } catch (const MongoError& error) {
        EXPECT_EQ(error.code(), 40647);
    }
}

TEST(ResumeToken, NeighbouringTimes) {
    EXPECT_EQ(time_before(ClusterTime{100, 5}), (ClusterTime{100, 4}));
    EXPECT_EQ(time_before(ClusterTime{100, 0}), (ClusterTime{99, 0xffffffff}));
    EXPECT_EQ(time_after(ClusterTime{100, 5}), (ClusterTime{100, 6}));
}

TEST(ResumeToken, VersionFollowsProfile) {
    EXPECT_EQ(resume_token_version_for("4.4.29"), 1);
    EXPECT_EQ(resume_token_version_for("6.0.20"), 2);
    EXPECT_EQ(resume_token_version_for("7.0.16"), 2);
}

}  // namespace
}  // namespace tmd
