// End to end through `tributary sync`: a collection copied in several _id ranges loses no
// document whose _id the range predicates cannot place: NaN (below every number in _id order,
// matched by no $gte/$lt on numbers), numbers of every type, and string _ids under a collation.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class CopyRangesSyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        if (sync_) {
            EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
        }
        ReplicateSyncTest::TearDown();
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_F(CopyRangesSyncTest, IdsThatRangePredicatesCannotMatchAreCopied) {
    start_servers("7.0");
    insert_range("numbers", 0, 300);
    source_command(R"({"insert": "numbers", "documents": [{"_id": {"$numberDouble": "NaN"}},
        {"_id": {"$numberDouble": "-Infinity"}}, {"_id": {"$numberLong": "1000"}},
        {"_id": {"$numberDecimal": "1000.5"}}, {"_id": 2000.25}]})");
    source_command(R"({"create": "words", "collation": {"locale": "en", "strength": 2}})");
    std::string words;
    for (char first = 'a'; first <= 'z'; ++first) {
        for (char second = 'a'; second <= 'z'; ++second) {
            const bool upper = (first + second) % 2 == 0;
            words += std::string(words.empty() ? "" : ",") + R"({"_id": ")" +
                     static_cast<char>(upper ? first - 32 : first) + second + R"("})";
        }
    }
    source_command(R"({"insert": "words", "documents": [)" + words + "]}");
    sync_ = start_sync({"--range-docs", "50"});
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
}

}  // namespace
