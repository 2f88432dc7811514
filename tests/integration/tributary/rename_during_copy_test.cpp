// A collection renamed (or dropped) while it is being copied, after writes the replication will
// replay: the copy notices (QueryPlanKilled / NamespaceNotFound, or a uuid that moved), copies the
// collection under its current name, and the replayed insert and rename, older than that copy,
// leave it alone. The copy's read is held up with failCommand's blockConnection so the catalog
// change lands between the listing and the read.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::eventually;
using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

constexpr int kRenamedDocuments = 5000;

class RenameDuringCopyTest : public ReplicateSyncTest,
                             public testing::WithParamInterface<const char*> {
  protected:
    void TearDown() override {
        source_fail_command_off();
        ReplicateSyncTest::TearDown();
    }
    // Fills `coll`, holds up the copy's first find (its first range: the collections are small,
    // so no split-point queries) for 5 s, only on tributary's connections (appName), and starts
    // sync until the copy of `coll` began (after the start point and the listing). Then writes
    // one more document, which replication replays. False when the source has no failCommand.
    bool sync_until_copying(const std::string& coll) {
        insert_range(coll, 0, kRenamedDocuments);
        auto held = source_->run_command("admin", R"({"configureFailPoint": "failCommand",
            "mode": {"times": 1}, "data": {"failCommands": ["find"], "appName": "tributary",
                     "blockConnection": true, "blockTimeMS": 5000}})");
        if (!held.ok) return false;
        sync_ = std::make_unique<TributaryProcess>(sync_args({"--copy-workers", "1"}));
        EXPECT_TRUE(eventually([&] {
            return sync_->output_contains("Copying collection '" + coll + "'");
        })) << sync_->output();
        insert_range(coll, kRenamedDocuments, 1);
        return true;
    }
    // The copy noticed the catalog change and listed the source again (docs/replication.md,
    // "Catalog changes during the copy"), and the destination ends equal to the source.
    void expect_relisted_and_converged() {
        EXPECT_TRUE(eventually([&] {
            return sync_->output_contains("Listing the source's collections again.");
        })) << sync_->output();
        std::string report;
        EXPECT_TRUE(converges(&report, std::chrono::seconds(40))) << report << sync_->output();
        EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
    }
    std::unique_ptr<TributaryProcess> sync_;
};

TEST_P(RenameDuringCopyTest, RenamedWhileCopiedEndsCompleteUnderItsNewName) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers(GetParam());
    if (!sync_until_copying("moving")) GTEST_SKIP() << "the source has no failCommand fail point";
    rename_collection("moving", "moved");
    expect_relisted_and_converged();
}

TEST_P(RenameDuringCopyTest, RenamedOverAnotherCopiedCollectionEndsEqual) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers(GetParam());
    insert_range("target", 0, 10);
    if (!sync_until_copying("moving")) GTEST_SKIP() << "the source has no failCommand fail point";
    rename_collection("moving", "target", true);
    insert_range("target", kRenamedDocuments + 1, 1);
    expect_relisted_and_converged();
}

TEST_P(RenameDuringCopyTest, DroppedWhileCopiedIsGoneFromTheDestination) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers(GetParam());
    insert_range("kept", 0, 10);
    if (!sync_until_copying("doomed")) GTEST_SKIP() << "the source has no failCommand fail point";
    source_command(R"({"drop": "doomed"})");
    expect_relisted_and_converged();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, RenameDuringCopyTest, testing::Values("4.4", "7.0"));

}  // namespace
