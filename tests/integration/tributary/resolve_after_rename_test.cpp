// KNOWN HOLE, found by this session's review and not fixed yet (both tests are DISABLED_ so CI stays
// green; run them with --gtest_also_run_disabled_tests). Review reproduction: the source lookup the replication makes for an event (the current
// document of an ambiguous update) reads the event's namespace as it is NOW on the source. When
// the collection was renamed after the event, the document is "gone" there, though it lives on
// under the new name: the update is dropped and the rename carries the stale state to the new
// name.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class ResolveAfterRenameTest : public ReplicateSyncTest {
  protected:
    void rename(const std::string& from, const std::string& to) {
        admin_command(R"({"renameCollection": ")" + db_ + "." + from + R"(", "to": ")" + db_ + "." +
                      to + R"("})");
    }
};

// An update whose $set value holds a dotted field name is applied as a replace with the current
// source document (Replicator::current_source_document). Replayed after a restart, once the
// source renamed the collection, the lookup on the old name finds nothing and the update is
// skipped: the destination keeps the old value under the new name.
TEST_F(ResolveAfterRenameTest, DISABLED_AmbiguousUpdateReplayedAfterARenameIsNotLost) {
    start_servers("7.0");
    source_command(R"({"insert": "before", "documents": [{"_id": 1, "a": {"x": 0}}]})");
    auto sync = start_sync();
    std::string report;
    ASSERT_TRUE(converges(&report)) << report << sync->output();
    ASSERT_EQ(sync->terminate(), 0) << sync->output();

    source_command(R"({"update": "before", "updates": [{"q": {"_id": 1},
        "u": {"$set": {"a": {"x.y": 1}}}}]})");
    rename("before", "after");

    auto again = start_sync();
    EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << again->output();
    EXPECT_EQ(again->terminate(), 0) << again->output();
}

// As above, but another collection then takes the old name: the lookup reads THAT collection's
// document with the same _id, and the rename carries a foreign document into the new name.
TEST_F(ResolveAfterRenameTest, DISABLED_AmbiguousUpdateReplayedAfterTheNameWasReusedKeepsItsDocument) {
    start_servers("7.0");
    source_command(R"({"insert": "before", "documents": [{"_id": 1, "a": {"x": 0}}]})");
    source_command(R"({"insert": "other", "documents": [{"_id": 1, "foreign": true}]})");
    auto sync = start_sync();
    std::string report;
    ASSERT_TRUE(converges(&report)) << report << sync->output();
    ASSERT_EQ(sync->terminate(), 0) << sync->output();

    source_command(R"({"update": "before", "updates": [{"q": {"_id": 1},
        "u": {"$set": {"a": {"x.y": 1}}}}]})");
    rename("before", "after");
    rename("other", "before");

    auto again = start_sync();
    EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << again->output();
    EXPECT_EQ(again->terminate(), 0) << again->output();
}

}  // namespace
