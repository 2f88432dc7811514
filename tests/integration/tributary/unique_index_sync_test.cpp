// End to end through `tributary sync` (issue 8, scenario 4): a unique index that the source
// builds after removing duplicates is created on the destination while it still holds them (a
// barrier reconciles the namespace with the source's current catalog, ahead of the writes that
// remove the duplicates). tributary builds it non-unique, converts it once replication has
// caught up, and keeps running; one that cannot become unique is named in a WARNING. On 4.4 and
// on 7.0 sources.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::eventually;
using tributary_test::ReplicateSyncTest;

class UniqueIndexSyncTest : public ReplicateSyncTest,
                            public testing::WithParamInterface<const char*> {
  protected:
    void TearDown() override {
        if (sync_) sync_->terminate();
        ReplicateSyncTest::TearDown();
    }
    // The destination's spec of index `name` in `coll`, as JSON ("" when absent).
    std::string destination_index(const std::string& coll, const std::string& name) {
        auto reply = dest_->run_command(db_, R"({"listIndexes": ")" + coll + R"("})");
        if (!reply.ok) return "";
        testsupport::Bson specs = reply.reply.document("cursor.firstBatch");
        for (int i = 0; specs.has(std::to_string(i).c_str()); ++i) {
            testsupport::Bson spec = specs.document(std::to_string(i).c_str());
            if (spec.string("name") == name) return spec.json();
        }
        return "";
    }
    // Servers of the test's source version, two people, and a sync that has copied them.
    void start_synced() {
        start_servers(GetParam());
        source_command(R"({"insert": "people", "documents": [
            {"_id": 1, "email": "a@x"}, {"_id": 2, "email": "b@x"}]})");
        sync_ = start_sync();
        std::string report;
        ASSERT_TRUE(converges(&report)) << report << sync_->output();
    }
    int64_t destination_count(const std::string& coll) {
        auto reply = dest_->run_command(db_, R"({"count": ")" + coll + R"("})");
        return reply.ok ? reply.reply.number("n") : -1;
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_P(UniqueIndexSyncTest, UniqueIndexBuiltWhileDuplicatesAreInFlightConvergesUnique) {
    ASSERT_NO_FATAL_FAILURE(start_synced());
    std::string report;
    ASSERT_EQ(sync_->terminate(), 0) << sync_->output();

    // While tributary is stopped: a duplicate appears, a catalog barrier follows (a collMod of
    // people, an event on 6.0+; and a dropped collection, which makes a 4.4 run compare the
    // catalogs), then the duplicate goes and the unique index is built.
    source_command(R"({"insert": "people", "documents": [{"_id": 3, "email": "a@x"}]})");
    source_command(R"({"collMod": "people", "validator": {"email": {"$exists": true}}})");
    source_command(R"({"insert": "other", "documents": [{"_id": 1}]})");
    source_command(R"({"drop": "other"})");
    source_command(R"({"delete": "people", "deletes": [{"q": {"_id": 3}, "limit": 1}]})");
    source_command(R"({"createIndexes": "people", "indexes": [
        {"key": {"email": 1}, "name": "email_1", "unique": true}]})");

    sync_ = start_sync();
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_NE(destination_index("people", "email_1").find("\"unique\" : true"), std::string::npos)
        << destination_index("people", "email_1");
    // Still replicating.
    source_command(R"({"insert": "people", "documents": [{"_id": 4, "email": "d@x"}]})");
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_FALSE(sync_->output_contains("ERROR")) << sync_->output();
}

TEST_P(UniqueIndexSyncTest, AnIndexThatCannotBecomeUniqueIsNamedInAWarningAndReplicationGoesOn) {
    ASSERT_NO_FATAL_FAILURE(start_synced());
    std::string report;
    // A document written to the destination outside tributary duplicates a source value, then
    // the source builds a unique index (a barrier on 4.4: a dropped collection).
    dest_command(R"({"insert": "people", "documents": [{"_id": 99, "email": "a@x"}]})");
    source_command(R"({"createIndexes": "people", "indexes": [
        {"key": {"email": 1}, "name": "email_1", "unique": true}]})");
    source_command(R"({"insert": "other", "documents": [{"_id": 1}]})");
    source_command(R"({"drop": "other"})");

    EXPECT_TRUE(eventually(
        [&] { return sync_->output_contains("Index 'email_1' on '" + db_ + ".people' cannot"); },
        std::chrono::seconds(30)))
        << sync_->output();
    ASSERT_NE(destination_index("people", "email_1"), "") << "email_1 was never built";
    EXPECT_EQ(destination_index("people", "email_1").find("\"unique\" : true"), std::string::npos)
        << destination_index("people", "email_1");
    source_command(R"({"insert": "people", "documents": [{"_id": 3, "email": "d@x"}]})");
    EXPECT_TRUE(
        eventually([&] { return destination_count("people") == 4; }, std::chrono::seconds(20)))
        << sync_->output();
    EXPECT_FALSE(sync_->output_contains("ERROR")) << sync_->output();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, UniqueIndexSyncTest, testing::Values("4.4", "7.0"),
                         [](const testing::TestParamInfo<const char*>& info) {
                             return std::string("Source") + (info.param[0] == '4' ? "44" : "70");
                         });

}  // namespace
