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

INSTANTIATE_TEST_SUITE_P(SourceVersions, RenameIntoSyncTest, testing::Values("4.4", "7.0"));

}  // namespace
