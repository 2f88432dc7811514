// A rename into the synced namespaces is copied during replication, inside the catalog barrier
// (copy::InitialCopy::copy_renamed_in); its progress is saved by the checkpoint's background
// flusher while the resume token still precedes the rename. tributary SIGKILLed in the middle
// of that copy replays the rename on restart: the copy resumes (or starts over when the name now
// holds another collection) and the destination ends equal to the source.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

constexpr int kDocumentsBeforeRename = 5000;

class RenameInCrashTest : public ReplicateSyncTest,
                          public testing::WithParamInterface<const char*> {
  protected:
    std::vector<std::string> slow_copy_args() const {
        return {"--exclude",      db_ + ".hidden",
                "--range-docs",   "100",
                "--copy-workers", "1",
                "--batch-size",   "50"};
    }
    int64_t destination_count(const std::string& coll) {
        auto count = dest_->run_command(db_, R"({"count": ")" + coll + R"("})");
        return count.ok ? count.reply.number("n") : -1;
    }
    void slow_source_get_mores(bool on) {
        admin_command(on ? R"({"configureFailPoint": "failCommand", "mode": "alwaysOn",
            "data": {"failCommands": ["getMore"], "blockConnection": true, "blockTimeMS": 30}})"
                         : R"({"configureFailPoint": "failCommand", "mode": "off"})");
    }
    // Renames the excluded `hidden` over the synced `shown` and SIGKILLs tributary once some but
    // not all of its documents were copied under the new name.
    void kill_during_the_renamed_in_copy() {
        for (int first = 0; first < kDocumentsBeforeRename; first += 1000)
            insert_range("hidden", first, 1000);
        insert_range("shown", 0, 5);
        auto sync = start_sync(slow_copy_args());
        slow_source_get_mores(true);
        admin_command(R"({"renameCollection": ")" + db_ + R"(.hidden", "to": ")" + db_ +
                      R"(.shown", "dropTarget": true})");
        ASSERT_TRUE(tributary_test::eventually([&] { return destination_count("shown") >= 500; },
                                               std::chrono::seconds(60)))
            << sync->output();
        sync->kill_hard();
        ASSERT_LT(destination_count("shown"), kDocumentsBeforeRename)
            << "the copy finished before the kill";
        slow_source_get_mores(false);
    }
};

TEST_P(RenameInCrashTest, KillDuringTheCopyOfARenamedInCollectionResumesIt) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers(GetParam());
    kill_during_the_renamed_in_copy();
    if (HasFatalFailure()) return;
    insert_range("shown", kDocumentsBeforeRename, 10);
    source_command(
        R"({"update": "shown", "updates": [{"q": {"_id": 1}, "u": {"$set": {"n": 1}}}]})");
    source_command(R"({"delete": "shown", "deletes": [{"q": {"_id": 2}, "limit": 1}]})");
    auto sync = start_sync(slow_copy_args());
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(60))) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

TEST_P(RenameInCrashTest, KillDuringTheCopyOfARenamedInCollectionThenItsNameReused) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers(GetParam());
    kill_during_the_renamed_in_copy();
    if (HasFatalFailure()) return;
    source_command(R"({"drop": "shown"})");
    insert_range("shown", 100, 7);
    auto sync = start_sync(slow_copy_args());
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(60))) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, RenameInCrashTest, testing::Values("4.4", "7.0"));

}  // namespace
