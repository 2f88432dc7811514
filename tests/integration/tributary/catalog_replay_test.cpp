// Catalog events replayed after the source moved on (a restart, catch-up): an option change
// (collMod) is applied by reconciling the event's namespace with the source's current catalog,
// but when the collection has been renamed since, the name is gone and the change is never
// applied; the replayed rename then carries the destination's old options to the new name.
// Found by the torture test (TRIBUTARY_TORTURE_SEED=12, 7.0 source: "options differ").
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class CatalogReplayTest : public ReplicateSyncTest,
                          public testing::WithParamInterface<const char*> {};

TEST_P(CatalogReplayTest, OptionChangeReplayedAfterARenameReachesTheNewName) {
    start_servers(GetParam());
    insert_range("before", 0, 5);
    {
        auto sync = start_sync();
        std::string report;
        ASSERT_TRUE(converges(&report)) << report << sync->output();
        ASSERT_EQ(sync->terminate(), 0) << sync->output();
    }
    // While tributary is stopped: both events are replayed once the source shows only `after`.
    source_command(
        R"({"collMod": "before", "validator": {"n": {"$gte": 0}}, "validationLevel": "moderate"})");
    admin_command(R"({"renameCollection": ")" + db_ + R"(.before", "to": ")" + db_ + R"(.after"})");
    auto sync = start_sync();
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, CatalogReplayTest, testing::Values("4.4", "7.0"));

}  // namespace
