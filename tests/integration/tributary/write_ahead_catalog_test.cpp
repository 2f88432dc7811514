// Catalog writes of the copy are recorded in the checkpoint before they are made: a crash right
// after a collection was created on the destination (TRIBUTARY_CRASH_AT, docs/replication.md)
// does not make it look pre-existing to the restart, which copies it in full.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

class WriteAheadCatalogTest : public ReplicateSyncTest,
                              public testing::WithParamInterface<const char*> {};

TEST_P(WriteAheadCatalogTest, CrashRightAfterCreatingACollectionIsFinishedByTheRestart) {
    start_servers(GetParam());
    insert_range("users", 0, 100);
    std::string output;
    EXPECT_EQ(
        TributaryProcess::run(sync_args(), &output, {"TRIBUTARY_CRASH_AT=collection-created"}),
        128 + SIGKILL)
        << output;
    ASSERT_NE(collections(*dest_).find("users"), std::string::npos) << output;

    auto restart = start_sync();
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << restart->output();
    EXPECT_EQ(restart->terminate(), 0) << restart->output();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, WriteAheadCatalogTest, testing::Values("4.4", "7.0"));

}  // namespace
