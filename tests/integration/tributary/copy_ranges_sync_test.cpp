// End to end through `tributary sync`: a collection copied in several _id ranges loses no
// document whose _id the range predicates cannot place: NaN (below every number in _id order,
// matched by no $gte/$lt on numbers), numbers of every type, and string _ids under a collation;
// a capped collection keeps its natural order.
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

// A capped collection keeps its insertion order on the destination (the comparator checks the
// natural order of capped collections): it is copied as one range, read in natural order.
TEST_F(CopyRangesSyncTest, CappedCollectionIsCopiedInNaturalOrder) {
    start_servers("7.0");
    source_command(R"({"create": "log", "capped": true, "size": 1048576})");
    std::string documents;
    for (int i = 0; i < 120; ++i) {
        const int id = (i * 37) % 120;  // insertion order differs from _id order
        documents += (i ? "," : "") + std::string(R"({"_id": )") + std::to_string(id) + "}";
    }
    source_command(R"({"insert": "log", "documents": [)" + documents + "]}");
    sync_ = start_sync({"--range-docs", "20"});
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
}

}  // namespace
