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

constexpr int kDocuments = 5000;

class RenameDuringCopyTest : public ReplicateSyncTest,
                             public testing::WithParamInterface<const char*> {
  protected:
    void TearDown() override {
        if (source_) {
            source_->run_command("admin",
                                 R"({"configureFailPoint": "failCommand", "mode": "off"})");
        }
        ReplicateSyncTest::TearDown();
    }
    // The copy's first find (its first range: the collections are small, so no split-point
    // queries) waits 5 s before it runs.
    bool hold_up_the_copy() {
        return source_
            ->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": {"times": 1},
                "data": {"failCommands": ["find"], "blockConnection": true,
                         "blockTimeMS": 5000}})")
            .ok;
    }
    // Starts sync and waits until the copy of `coll` began (after the start point and listing).
    std::unique_ptr<TributaryProcess> sync_until_copying(const std::string& coll) {
        auto sync = std::make_unique<TributaryProcess>(sync_args({"--copy-workers", "1"}));
        EXPECT_TRUE(eventually([&] {
            return sync->output_contains("Copying collection '" + coll + "'");
        })) << sync->output();
        return sync;
    }
};

TEST_P(RenameDuringCopyTest, RenamedWhileCopiedEndsCompleteUnderItsNewName) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers(GetParam());
    insert_range("moving", 0, kDocuments);
    if (!hold_up_the_copy()) GTEST_SKIP() << "the source has no failCommand fail point";
    auto sync = sync_until_copying("moving");
    insert_range("moving", kDocuments, 1);
    admin_command(R"({"renameCollection": ")" + db_ + R"(.moving", "to": ")" + db_ + R"(.moved"})");
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(40))) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

TEST_P(RenameDuringCopyTest, RenamedOverAnotherCopiedCollectionEndsEqual) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers(GetParam());
    insert_range("moving", 0, kDocuments);
    insert_range("target", 0, 10);
    if (!hold_up_the_copy()) GTEST_SKIP() << "the source has no failCommand fail point";
    auto sync = sync_until_copying("moving");
    insert_range("moving", kDocuments, 1);
    admin_command(R"({"renameCollection": ")" + db_ + R"(.moving", "to": ")" + db_ +
                  R"(.target", "dropTarget": true})");
    insert_range("target", kDocuments + 1, 1);
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(40))) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

TEST_P(RenameDuringCopyTest, DroppedWhileCopiedIsGoneFromTheDestination) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers(GetParam());
    insert_range("doomed", 0, kDocuments);
    insert_range("kept", 0, 10);
    if (!hold_up_the_copy()) GTEST_SKIP() << "the source has no failCommand fail point";
    auto sync = sync_until_copying("doomed");
    insert_range("doomed", kDocuments, 1);
    source_command(R"({"drop": "doomed"})");
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(40))) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, RenameDuringCopyTest, testing::Values("4.4", "7.0"));

}  // namespace
