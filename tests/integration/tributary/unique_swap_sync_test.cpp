// End to end through `tributary sync`: documents that swap a unique value on the source (each
// swap legal there, through a temporary value) converge on the destination, whose copy of the
// unique index makes the swap's writes conflict when they are applied in parallel lanes.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class UniqueSwapSyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        if (sync_) {
            EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
        }
        ReplicateSyncTest::TearDown();
    }
    // Swaps the emails of documents `a` and `b` in one update command: a → tmp, b → a's, a → b's.
    void swap(int a, int b, const std::string& email_a, const std::string& email_b) {
        source_command(R"({"update": "people", "updates": [
            {"q": {"_id": )" +
                       std::to_string(a) + R"(}, "u": {"$set": {"email": "tmp"}}},
            {"q": {"_id": )" +
                       std::to_string(b) + R"(}, "u": {"$set": {"email": ")" + email_a +
                       R"("}}},
            {"q": {"_id": )" +
                       std::to_string(a) + R"(}, "u": {"$set": {"email": ")" + email_b +
                       R"("}}}]})");
    }
    bool destination_index_is_unique() {
        auto reply = dest_->run_command(db_, R"({"listIndexes": "people"})");
        return reply.ok && reply.reply.json().find(R"("unique" : true)") != std::string::npos;
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_F(UniqueSwapSyncTest, SwappedUniqueValuesConvergeAndReplicationContinues) {
    start_servers("7.0");
    source_command(R"({"createIndexes": "people", "indexes": [
        {"key": {"email": 1}, "name": "email_1", "unique": true}]})");
    std::string documents;
    for (int id = 0; id < 20; ++id) {
        documents += (id ? "," : "") + std::string(R"({"_id": )") + std::to_string(id) +
                     R"(, "email": "u)" + std::to_string(id) + R"(@x"})";
    }
    source_command(R"({"insert": "people", "documents": [)" + documents + "]}");
    sync_ = start_sync({"--log-level", "DEBUG"});
    // During catch-up the destination's index is not yet unique (tributary converts it once
    // caught up): the swaps below must meet the unique index to conflict.
    ASSERT_TRUE(tributary_test::eventually([&] { return destination_index_is_unique(); }))
        << sync_->output();
    // Pairs (i, i+10) swap back and forth; with 4 lanes, a pair's writes land in different
    // lanes, and a lane's write of a value can reach the destination before the other lane
    // frees it.
    for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < 10; ++i) {
            const std::string low = "u" + std::to_string(i) + "@x";
            const std::string high = "u" + std::to_string(i + 10) + "@x";
            if (round % 2 == 0) {
                swap(i, i + 10, low, high);
            } else {
                swap(i, i + 10, high, low);
            }
        }
    }
    source_command(R"({"insert": "people", "documents": [{"_id": 100, "email": "after@x"}]})");
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_FALSE(sync_->output_contains("ERROR")) << sync_->output();
    // Ten pairs over four lanes: some pair's writes were split between lanes, and so conflicted.
    EXPECT_TRUE(sync_->output_contains("Unique-key conflict in 'people'")) << sync_->output();
}

}  // namespace
