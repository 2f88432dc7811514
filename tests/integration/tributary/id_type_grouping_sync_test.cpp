// End to end: MongoDB's _id index compares values, not bytes: 1, NumberLong(1) and 1.0 (and
// 0.0 / -0.0, {a: 1} / {a: NumberLong(1)}) are one _id. A source that deletes a document and
// inserts it again under an equal _id of another BSON spelling must keep both writes in event
// order on the destination, also when a lane groups its writes by command (routing.cpp,
// document_key); keyed by the filter's bytes, the insert went before the delete and the
// document was lost.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class IdTypeGroupingSyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        if (sync_) {
            EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
        }
        ReplicateSyncTest::TearDown();
    }
    // While on, every insert/update/delete tributary sends to the destination waits 300 ms
    // first, so that the events written meanwhile are applied in one batch.
    void slow_down_tributary_writes(bool on) {
        const std::string command =
            on ? R"({"configureFailPoint": "failCommand", "mode": "alwaysOn",
                     "data": {"failCommands": ["insert", "update", "delete"],
                              "appName": "tributary",
                              "blockConnection": true, "blockTimeMS": 300}})"
               : R"({"configureFailPoint": "failCommand", "mode": "off"})";
        auto result = dest_->run_command("admin", command);
        ASSERT_TRUE(result.ok) << result.error;
    }
    // `initial` is copied; then, in one batch, the source deletes it (by `delete_filter`) and
    // inserts `reinserted` (an _id equal to initial's, another BSON spelling).
    void delete_and_reinsert(const std::string& initial, const std::string& delete_filter,
                             const std::string& reinserted) {
        start_servers("7.0");
        source_command(R"({"insert": "things", "documents": [)" + initial + "]}");
        sync_ = start_sync({"--apply-workers", "1", "--log-level", "DEBUG"});
        source_command(R"({"insert": "things", "documents": [{"_id": "warm"}]})");
        std::string report;
        ASSERT_TRUE(converges(&report)) << report << sync_->output();
        slow_down_tributary_writes(true);
        source_command(R"({"insert": "things", "documents": [{"_id": "hold"}]})");
        source_command(R"({"delete": "things", "deletes": [{"q": )" + delete_filter +
                       R"(, "limit": 1}]})");
        source_command(R"({"insert": "things", "documents": [)" + reinserted + "]}");
        slow_down_tributary_writes(false);
        source_command(R"({"insert": "things", "documents": [{"_id": "after"}]})");
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

// int32 1 deleted, NumberLong(1) inserted: grouped insert-first, the insert meets the old
// document, its replace-upsert fallback matches it and would change the _id's type:
// ImmutableField (66), which stops replication (exit 5); a restart replays the same batch.
TEST_F(IdTypeGroupingSyncTest, ReinsertUnderAnotherNumericTypeOfTheSameIdConverges) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    delete_and_reinsert(R"({"_id": 1, "v": "old"})", R"({"_id": 1})",
                        R"({"_id": {"$numberLong": "1"}, "v": "new"})");
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_FALSE(sync_->output_contains("ERROR")) << sync_->output();
}

// 0.0 deleted, -0.0 inserted (same type, equal values): the insert meets the old document, the
// replace-upsert fallback rewrites it, and the delete, grouped after, then deletes it: the
// destination loses a document the source has.
TEST_F(IdTypeGroupingSyncTest, ReinsertUnderNegativeZeroIdKeepsTheDocument) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    delete_and_reinsert(R"({"_id": 0.0, "v": "old"})", R"({"_id": 0})",
                        R"({"_id": -0.0, "v": "new"})");
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_FALSE(sync_->output_contains("ERROR")) << sync_->output();
}

// The same with an embedded-document _id: {k: 1} deleted, {k: NumberLong(1)} inserted.
TEST_F(IdTypeGroupingSyncTest, ReinsertUnderAnEmbeddedIdOfAnotherNumericTypeConverges) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    delete_and_reinsert(R"({"_id": {"k": 1}, "v": "old"})", R"({"_id": {"k": 1}})",
                        R"({"_id": {"k": {"$numberLong": "1"}}, "v": "new"})");
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_FALSE(sync_->output_contains("ERROR")) << sync_->output();
}

}  // namespace
