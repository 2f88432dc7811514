// A collection renamed during replication from outside the synced namespaces (here an
// --exclude'd one) into them: its documents were never copied, so replication copies it under
// its new name as a catalog barrier (copy::InitialCopy::copy_renamed_in), also over a synced
// collection the rename replaced (dropTarget), and applies the writes made after the rename.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class RenameIntoSyncTest : public ReplicateSyncTest,
                           public testing::WithParamInterface<const char*> {
  protected:
    std::vector<std::string> excluding_hidden() const { return {"--exclude", db_ + ".hidden"}; }
    // `hidden` (excluded, 300 documents) and `shown` (5) on the source; one run of sync copies
    // `shown` and stops once it follows the stream, so the next run replays what came since.
    void copy_then_stop() {
        start_servers(GetParam());
        insert_range("hidden", 0, 300);
        insert_range("shown", 0, 5);
        auto sync = start_sync(excluding_hidden());
        ASSERT_EQ(sync->terminate(), 0) << sync->output();
    }
};

TEST_P(RenameIntoSyncTest, RenamedFromAnExcludedCollectionIsCopiedUnderItsNewName) {
    start_servers(GetParam());
    insert_range("hidden", 0, 300);
    insert_range("shown", 0, 5);
    auto sync = start_sync(excluding_hidden());
    insert_range("hidden", 300, 10);  // during replication, still excluded
    rename_collection("hidden", "arrived");
    insert_range("arrived", 310, 1);
    source_command(
        R"({"update": "arrived", "updates": [{"q": {"_id": 1}, "u": {"$set": {"n": 1}}}]})");
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << sync->output();
    EXPECT_TRUE(sync->output_contains("renamed into the synced namespaces")) << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

TEST_P(RenameIntoSyncTest, RenamedFromAnExcludedCollectionOverASyncedOneReplacesIt) {
    start_servers(GetParam());
    insert_range("hidden", 0, 300);
    insert_range("shown", 0, 5);
    auto sync = start_sync(excluding_hidden());
    rename_collection("hidden", "shown", true);
    insert_range("shown", 300, 1);
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

// Replayed late (a restart), the rename into the synced namespaces finds its target name gone:
// the source renamed the collection on before tributary saw the first rename. The documents are
// under the later name, and the later rename (of a name the destination never held) copies them.
TEST_P(RenameIntoSyncTest, RenamedInThenOnBeforeTheReplayIsCopiedUnderItsLastName) {
    ASSERT_NO_FATAL_FAILURE(copy_then_stop());
    rename_collection("hidden", "arrived");
    insert_range("arrived", 300, 1);
    rename_collection("arrived", "settled");
    insert_range("settled", 301, 1);
    auto sync = start_sync(excluding_hidden());
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

// The same, when the source reused the name meanwhile: the replayed rename into the synced
// namespaces copies the collection now under the name, and the later rename copies its target.
TEST_P(RenameIntoSyncTest, RenamedInThenOnAndTheNameReusedBeforeTheReplayKeepsBoth) {
    ASSERT_NO_FATAL_FAILURE(copy_then_stop());
    rename_collection("hidden", "arrived");
    rename_collection("arrived", "settled");
    insert_range("arrived", 1000, 3);  // a new collection under the name
    auto sync = start_sync(excluding_hidden());
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, RenameIntoSyncTest, testing::Values("4.4", "7.0"));

}  // namespace
