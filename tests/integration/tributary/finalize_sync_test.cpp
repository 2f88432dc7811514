// End to end (issue 8, scenario 5 and the cutover): while `tributary sync` runs, the
// destination's TTL indexes carry no expireAfterSeconds, so they cannot delete documents the
// source still holds; `tributary finalize` catches up (through the running sync, or by itself),
// restores them, verifies and marks the destination finalized, after which sync refuses.
#include <gtest/gtest.h>

#include <regex>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

class FinalizeSyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        if (sync_) sync_->terminate();
        ReplicateSyncTest::TearDown();
    }
    // A 7.0 source with a TTL-indexed collection, and a sync that has copied it.
    void start_synced() {
        start_servers("7.0");
        source_command(R"({"createIndexes": "sessions", "indexes": [
            {"key": {"at": 1}, "name": "at_1", "expireAfterSeconds": 3600}]})");
        insert_sessions(1, 20);
        sync_ = start_sync();
        std::string report;
        ASSERT_TRUE(converges(&report, std::chrono::seconds(20), ignoring_ttl()))
            << report << sync_->output();
    }
    void insert_sessions(int first, int count) {
        std::string documents;
        for (int id = first; id < first + count; ++id) {
            documents += (id > first ? "," : "") + std::string(R"({"_id": )") + std::to_string(id) +
                         R"(, "at": {"$date": "2020-01-01T00:00:00Z"}})";
        }
        source_command(R"({"insert": "sessions", "documents": [)" + documents + "]}");
    }
    std::vector<std::string> finalize_args() const {
        std::vector<std::string> args = sync_args();
        args[0] = "finalize";
        return args;
    }
    // The destination's listIndexes reply for `coll`, as JSON.
    std::string destination_indexes(const std::string& coll) {
        auto reply = dest_->run_command(db_, R"({"listIndexes": ")" + coll + R"("})");
        EXPECT_TRUE(reply.ok) << reply.error;
        std::string indexes = reply.ok ? reply.reply.document("cursor.firstBatch").json() : "";
        EXPECT_NE(indexes.find("at_1"), std::string::npos) << indexes;
        return indexes;
    }
    // While the sync runs, the destination's TTL indexes carry no expireAfterSeconds.
    static testsupport::CompareOptions ignoring_ttl() {
        testsupport::CompareOptions options;
        options.ignored_index_fields = {"expireAfterSeconds"};
        return options;
    }
    // serverStatus().metrics.ttl.passes of the destination: its TTL monitor's passes so far.
    int64_t destination_ttl_passes() {
        auto reply = dest_->run_command("admin", R"({"serverStatus": 1})");
        return reply.ok ? reply.reply.number("metrics.ttl.passes") : -1;
    }
    void set_destination_ttl_sleep(int seconds) {
        auto reply = dest_->run_command("admin", R"({"setParameter": 1, "ttlMonitorSleepSecs": )" +
                                                     std::to_string(seconds) + "}");
        ASSERT_TRUE(reply.ok) << reply.error;
    }
    std::unique_ptr<TributaryProcess> sync_;
};

// The destination's TTL monitor runs (every second here) while the sync runs; documents dated
// 2020 under the source's one-hour TTL index, still on the source, must all stay.
TEST_F(FinalizeSyncTest, DestinationTtlPassesDeleteNothingDuringTheSync) {
    ASSERT_NO_FATAL_FAILURE(start_synced());
    // The control: a destination-only collection (another database, not synced) with an active
    // TTL index; the same passes must delete its expired document, or the test proves nothing.
    const std::string control_db = db_ + "_ttl_control";
    auto control = [&](const std::string& json) { return dest_->run_command(control_db, json); };
    ASSERT_TRUE(control(R"({"createIndexes": "c", "indexes": [{"key": {"at": 1}, "name": "at_1",
                            "expireAfterSeconds": 3600}]})")
                    .ok);
    ASSERT_TRUE(
        control(
            R"({"insert": "c", "documents": [{"_id": 1, "at": {"$date": "2020-01-01T00:00:00Z"}}]})")
            .ok);
    const int64_t passes_before = destination_ttl_passes();
    ASSERT_GE(passes_before, 0) << "no serverStatus().metrics.ttl.passes on the destination";
    ASSERT_NO_FATAL_FAILURE(set_destination_ttl_sleep(1));
    bool passed = tributary_test::eventually(
        [&] { return destination_ttl_passes() >= passes_before + 2; }, std::chrono::seconds(30));
    set_destination_ttl_sleep(60);  // mongod's default, for servers shared with other tests
    auto remaining = control(R"({"count": "c"})");
    control(R"({"dropDatabase": 1})");
    ASSERT_TRUE(passed) << "the destination's TTL monitor made no passes";
    ASSERT_TRUE(remaining.ok) << remaining.error;
    EXPECT_EQ(remaining.reply.number("n"), 0) << "the control's expired document was not deleted";
    std::string report;
    EXPECT_TRUE(equal_now(&report, ignoring_ttl())) << report;
}

TEST_F(FinalizeSyncTest, TtlIsInactiveDuringSyncAndRestoredByFinalizeThroughTheRunningSync) {
    ASSERT_NO_FATAL_FAILURE(start_synced());
    std::string report;
    // Documents dated 2020 under a one-hour TTL: an active index would delete every one.
    EXPECT_EQ(destination_indexes("sessions").find("expireAfterSeconds"), std::string::npos)
        << destination_indexes("sessions");
    insert_sessions(100, 5);

    std::string output;
    EXPECT_EQ(TributaryProcess::run(finalize_args(), &output), 0) << output << sync_->output();
    EXPECT_NE(output.find("Finalized"), std::string::npos) << output;
    EXPECT_NE(output.find("verify equal"), std::string::npos) << output;
    EXPECT_TRUE(sync_->output_contains("Finalize requested")) << sync_->output();
    EXPECT_EQ(sync_->wait(std::chrono::seconds(30)), 0) << sync_->output();
    EXPECT_TRUE(equal_now(&report)) << report;

    EXPECT_EQ(TributaryProcess::run(sync_args(), &output), 2) << output;
    EXPECT_NE(output.find("finalized"), std::string::npos) << output;
}

// Only the holder of the checkpoint's lease writes. A running sync that is slow to reach the
// request (its batch's destination write is held up 15 s, longer than finalize once waited for
// an answer before catching up itself, beside the still running sync) keeps its lease: finalize
// waits for it and never replicates on its own.
TEST_F(FinalizeSyncTest, FinalizeWaitsForASlowRunningSyncInsteadOfWritingBesideIt) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    ASSERT_NO_FATAL_FAILURE(start_synced());
    if (dest_server_.external()) GTEST_SKIP() << "configures testmongod's failCommand";
    auto blocked = dest_->run_command("admin", R"({"configureFailPoint": "failCommand",
        "mode": {"times": 1}, "data": {"failCommands": ["update"], "blockConnection": true,
        "blockTimeMS": 15000}})");
    ASSERT_TRUE(blocked.ok) << blocked.error;
    insert_sessions(100, 5);

    std::string output;
    EXPECT_EQ(TributaryProcess::run(finalize_args(), &output), 0) << output << sync_->output();
    EXPECT_EQ(output.find("catching up to the source's present time here"), std::string::npos)
        << output;
    EXPECT_NE(output.find("verify equal"), std::string::npos) << output;
    EXPECT_TRUE(sync_->output_contains("Finalize requested")) << sync_->output();
    EXPECT_EQ(sync_->wait(std::chrono::seconds(30)), 0) << sync_->output();
    std::string report;
    EXPECT_TRUE(equal_now(&report)) << report;
}

TEST_F(FinalizeSyncTest, FinalizeWithoutARunningSyncCatchesUpItself) {
    ASSERT_NO_FATAL_FAILURE(start_synced());
    std::string report;
    ASSERT_EQ(sync_->terminate(), 0) << sync_->output();
    sync_.reset();
    insert_sessions(100, 5);
    source_command(R"({"delete": "sessions", "deletes": [{"q": {"_id": 1}, "limit": 1}]})");

    std::string output;
    EXPECT_EQ(TributaryProcess::run(finalize_args(), &output), 0) << output;
    EXPECT_NE(output.find("No sync is running"), std::string::npos) << output;
    EXPECT_NE(output.find("verify equal"), std::string::npos) << output;
    EXPECT_TRUE(equal_now(&report)) << report;
    // Finalizing again is a no-op.
    EXPECT_EQ(TributaryProcess::run(finalize_args(), &output), 0) << output;
    EXPECT_NE(output.find("Already finalized"), std::string::npos) << output;
}

// A difference the sync cannot repair (made on the destination only, after the copy, with no
// source change to undo it): finalize's verify finds it, names it, and finalize exits 6.
TEST_F(FinalizeSyncTest, FinalizeExitsSixAndNamesTheDifferenceItsVerifyFinds) {
    ASSERT_NO_FATAL_FAILURE(start_synced());
    ASSERT_EQ(sync_->terminate(), 0) << sync_->output();
    sync_.reset();
    dest_command(R"({"update": "sessions", "updates": [
        {"q": {"_id": 7}, "u": {"$set": {"note": "destination only"}}}]})");

    std::string output;
    EXPECT_EQ(TributaryProcess::run(finalize_args(), &output), 6) << output;
    EXPECT_NE(output.find("verify found 1 collection(s) differing"), std::string::npos) << output;
    EXPECT_TRUE(std::regex_search(
        output, std::regex(db_ + R"(\.sessions +20 +20 +1\n  changed-document  \{ "_id" : 7 \})")))
        << output;
    std::string report;
    EXPECT_FALSE(equal_now(&report))
        << "the comparator sees no difference: the test proves nothing";
    EXPECT_NE(report.find("note"), std::string::npos) << report;
}

}  // namespace
