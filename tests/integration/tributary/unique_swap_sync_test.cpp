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
    // While on, every `commands` command tributary sends to the destination waits 300 ms first.
    void slow_down_tributary_writes(bool on, const std::string& commands = R"("update")") {
        const std::string command =
            on ? R"({"configureFailPoint": "failCommand", "mode": "alwaysOn",
                     "data": {"failCommands": [)" +
                     commands + R"(], "appName": "tributary",
                              "blockConnection": true, "blockTimeMS": 300}})"
               : R"({"configureFailPoint": "failCommand", "mode": "off"})";
        auto result = dest_->run_command("admin", command);
        ASSERT_TRUE(result.ok) << result.error;
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_F(UniqueSwapSyncTest, SwappedUniqueValuesConvergeAndReplicationContinues) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    // A 4.4 source (a 7.0 source's update events take the same path since plain updates are
    // applied without a source read; 4.4 is kept as the source whose events always did).
    start_servers("4.4");
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
    // frees it. tributary's destination writes are held up meanwhile, so the swaps pile up and
    // are applied in shared batches (rather than, by luck, one swap per batch, which a single
    // lane would apply in order).
    slow_down_tributary_writes(true);
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
    slow_down_tributary_writes(false);
    source_command(R"({"insert": "people", "documents": [{"_id": 100, "email": "after@x"}]})");
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_FALSE(sync_->output_contains("ERROR")) << sync_->output();
    // Ten pairs over four lanes: some pair's writes were split between lanes, and so conflicted.
    // (In one batch the stopped writes are re-applied in event order; a swap cut by a batch
    // boundary meets a blocker that the resolver rewrites.)
    EXPECT_TRUE(sync_->output_contains("applying them in event order") ||
                sync_->output_contains("Unique-key conflict in 'people'"))
        << sync_->output();
}

// Inside a batch, a lane sends its inserts before its deletes (routing.cpp, group_by_command):
// an insert that takes a unique value a delete of another document frees, later in the batch,
// meets that document on the destination. The bulk stops there and the resolver applies the
// rest in event order. One lane, so that only the grouping can put the insert first.
TEST_F(UniqueSwapSyncTest, AnInsertGroupedBeforeTheDeleteThatFreesItsValueConverges) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers("7.0");
    source_command(R"({"createIndexes": "people", "indexes": [
        {"key": {"email": 1}, "name": "email_1", "unique": true}]})");
    source_command(R"({"insert": "people", "documents": [{"_id": 1, "email": "a@x"}]})");
    sync_ = start_sync({"--apply-workers", "1", "--log-level", "DEBUG"});
    ASSERT_TRUE(tributary_test::eventually([&] { return destination_index_is_unique(); }))
        << sync_->output();
    slow_down_tributary_writes(true, R"("insert", "update", "delete")");
    source_command(R"({"insert": "people", "documents": [{"_id": 50, "email": "hold@x"}]})");
    source_command(R"({"delete": "people", "deletes": [{"q": {"_id": 1}, "limit": 1}]})");
    source_command(R"({"insert": "people", "documents": [{"_id": 2, "email": "a@x"}]})");
    slow_down_tributary_writes(false);
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_FALSE(sync_->output_contains("ERROR")) << sync_->output();
    EXPECT_TRUE(sync_->output_contains("applying them in event order")) << sync_->output();
}

}  // namespace
