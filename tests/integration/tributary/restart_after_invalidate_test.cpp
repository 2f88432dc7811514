// A restart right after the change stream was invalidated (dropDatabase on a single-database run)
// continues: the checkpoint remembers that its token is an invalidate, to be resumed with
// startAfter (resumeAfter an invalidate token is refused by the server).
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::eventually;
using tributary_test::ReplicateSyncTest;

class RestartAfterInvalidateTest : public ReplicateSyncTest,
                                   public testing::WithParamInterface<const char*> {};

TEST_P(RestartAfterInvalidateTest, RestartRightAfterADropDatabaseContinues) {
    start_servers(GetParam());
    insert_range("users", 0, 5);
    std::string report;
    {
        auto first = start_sync();
        ASSERT_TRUE(converges(&report)) << report << first->output();
        source_command(R"({"dropDatabase": 1})");
        ASSERT_TRUE(eventually([&] {
            return collections(*dest_).find("users") == std::string::npos;
        })) << first->output();
        ASSERT_EQ(first->terminate(), 0) << first->output();
    }
    insert_range("users", 10, 3);
    auto second = start_sync();
    EXPECT_TRUE(converges(&report)) << report << second->output();
    EXPECT_EQ(second->terminate(), 0) << second->output();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, RestartAfterInvalidateTest, testing::Values("4.4", "7.0"));

}  // namespace
