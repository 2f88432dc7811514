// Source lookups of replicated events (the current document of an ambiguous update, the source
// state a stale update or a unique conflict is resolved to) replayed after the source renamed
// the event's collection: they read the collection the event's namespace named when the event
// happened, under its new name (src/replicate/source_lookup.h), never the old name, where the
// document is "gone" or another collection that took the name holds a foreign one.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class ResolveAfterRenameTest : public ReplicateSyncTest {
  protected:
    // Syncs `before` {_id: 1, a: {x: 0}} (and `other` {_id: 1, foreign: true} when asked), then
    // stops, so that what the source does next is replayed by the next run.
    void sync_then_stop(const std::string& version, bool with_other) {
        start_servers(version);
        source_command(R"({"insert": "before", "documents": [{"_id": 1, "a": {"x": 0}}]})");
        if (with_other) {
            source_command(R"({"insert": "other", "documents": [{"_id": 1, "foreign": true}]})");
        }
        auto sync = start_sync();
        std::string report;
        ASSERT_TRUE(converges(&report)) << report << sync->output();
        ASSERT_EQ(sync->terminate(), 0) << sync->output();
    }
    // Two updates the restart replays: the first ($set "a.x") no longer fits the destination's
    // document once that holds the second's state ({a: 5}), as after a crash between applying
    // both and saving the checkpoint, which the destination write below stands for.
    void updates_the_restart_replays_onto_a_later_state() {
        source_command(R"({"update": "before", "updates": [
            {"q": {"_id": 1}, "u": {"$set": {"a.x": 1}}},
            {"q": {"_id": 1}, "u": {"$set": {"a": 5}}}]})");
        dest_command(R"({"update": "before", "updates": [
            {"q": {"_id": 1}, "u": {"$set": {"a": 5}}}]})");
    }
    void restart_converges() {
        auto again = start_sync();
        std::string report;
        EXPECT_TRUE(converges(&report, std::chrono::seconds(30))) << report << again->output();
        EXPECT_EQ(again->terminate(), 0) << again->output();
    }
};

// An update whose $set value holds a dotted field name (5.0+) is applied as a replace with the
// current source document (Replicator::current_source_document). Replayed after the source
// renamed the collection, the lookup must find the document under the new name.
TEST_F(ResolveAfterRenameTest, AmbiguousUpdateReplayedAfterARenameIsNotLost) {
    sync_then_stop("7.0", false);
    source_command(R"({"update": "before", "updates": [{"q": {"_id": 1},
        "u": {"$set": {"a": {"x.y": 1}}}}]})");
    rename_collection("before", "after");
    restart_converges();
}

// As above, but another collection then takes the old name: reading by name would copy THAT
// collection's document with the same _id into the renamed one.
TEST_F(ResolveAfterRenameTest, AmbiguousUpdateReplayedAfterTheNameWasReusedKeepsItsDocument) {
    sync_then_stop("7.0", true);
    source_command(R"({"update": "before", "updates": [{"q": {"_id": 1},
        "u": {"$set": {"a": {"x.y": 1}}}}]})");
    rename_collection("before", "after");
    rename_collection("other", "before");
    restart_converges();
}

class ResolveAfterRenameFromTest : public ResolveAfterRenameTest,
                                   public testing::WithParamInterface<const char*> {};

// The stale update is resolved from the source (ConflictResolver::resolve_from_source): read by
// the old name, the document was gone and deleted from the destination.
TEST_P(ResolveAfterRenameFromTest, StaleUpdateReplayedAfterARenameIsNotLost) {
    sync_then_stop(GetParam(), false);
    updates_the_restart_replays_onto_a_later_state();
    rename_collection("before", "after");
    restart_converges();
}

// Read by the old name, now another collection's, the resolution copied its document in.
TEST_P(ResolveAfterRenameFromTest, StaleUpdateReplayedAfterTheNameWasReusedKeepsItsDocument) {
    sync_then_stop(GetParam(), true);
    updates_the_restart_replays_onto_a_later_state();
    rename_collection("before", "after");
    rename_collection("other", "before");
    restart_converges();
}

// Renamed and then dropped: the collection is gone, and no other collection's document is read
// in its place (the name is reused); the replayed drop decides.
TEST_P(ResolveAfterRenameFromTest, StaleUpdateReplayedAfterItsCollectionWasDroppedReadsNoOther) {
    sync_then_stop(GetParam(), true);
    updates_the_restart_replays_onto_a_later_state();
    rename_collection("before", "after");
    source_command(R"({"drop": "after"})");
    rename_collection("other", "before");
    restart_converges();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, ResolveAfterRenameFromTest, testing::Values("4.4", "7.0"));

}  // namespace
