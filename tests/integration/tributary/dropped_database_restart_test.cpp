// A run whose database is dropped on the source while tributary is stopped must continue on
// restart: the database's absence is an error only for a run that has not started yet.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

class DroppedDatabaseRestartTest : public ReplicateSyncTest,
                                   public testing::WithParamInterface<const char*> {};

TEST_P(DroppedDatabaseRestartTest, RestartAfterTheSourceDatabaseWasDroppedContinues) {
    start_servers(GetParam());
    insert_range("users", 0, 10);
    {
        auto first = start_sync();
        ASSERT_EQ(first->terminate(), 0) << first->output();
    }
    source_command(R"({"dropDatabase": 1})");
    auto second = start_sync();
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << second->output();
    insert_range("users", 100, 5);  // the database comes back: replicated as any other write
    EXPECT_TRUE(converges(&report)) << report << second->output();
    EXPECT_EQ(second->terminate(), 0) << second->output();
}

TEST_P(DroppedDatabaseRestartTest, AMissingDatabaseIsRefusedBeforeTheRunStarts) {
    start_servers(GetParam());
    std::string output;
    EXPECT_EQ(TributaryProcess::run(sync_args(), &output), 2) << output;
    EXPECT_NE(output.find("does not exist on the source"), std::string::npos) << output;
    // Refused before any state was saved: the same command is refused again.
    EXPECT_EQ(TributaryProcess::run(sync_args(), &output), 2) << output;
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, DroppedDatabaseRestartTest, testing::Values("4.4", "7.0"));

}  // namespace
