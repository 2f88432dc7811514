// kill -9 in the middle of the initial copy, then the same command again: the copy resumes from
// the ranges the checkpoint recorded as done, and the destination ends equal to the source.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "replicate_sync_fixture.h"

namespace {

using testsupport::Bson;
using tributary_test::eventually;
using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

constexpr int kCopiedDocuments = 40000;
constexpr int kRangeDocs = 1000;

// The checkpoint file's content, or an empty document while it does not exist yet.
Bson read_state(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().empty()) return Bson();
    return Bson::from_json(text.str());
}

int ranges_done(const Bson& state) {
    if (!state.has("collections.0.rangesDone")) return 0;
    Bson done = state.document("collections.0.rangesDone");
    int count = 0;
    bson_iter_t iter;
    bson_iter_init(&iter, done.get());
    while (bson_iter_next(&iter))
        count += bson_iter_as_bool(&iter) ? 1 : 0;
    return count;
}

class CrashResumeCopy : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        source_fail_command_off();
        ReplicateSyncTest::TearDown();
    }
};

TEST_F(CrashResumeCopy, KillDuringCopyResumesFromTheLastCompletedRange) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers("4.4");
    for (int start = 0; start < kCopiedDocuments; start += 1000)
        insert_range("large", start, 1000);
    const std::vector<std::string> args = sync_args(
        {"--range-docs", std::to_string(kRangeDocs), "--copy-workers", "1", "--batch-size", "100"});

    // Every getMore of tributary on the source waits 50 ms, so a range takes about half a second
    // and the copy far longer than the second within which copy progress is saved: the kill
    // lands with some ranges saved as done and most not, on any machine.
    admin_command(R"({"configureFailPoint": "failCommand", "mode": "alwaysOn",
        "data": {"failCommands": ["getMore"], "appName": "tributary", "blockConnection": true,
                 "blockTimeMS": 50}})");
    {
        TributaryProcess first(args);
        ASSERT_TRUE(eventually([&] { return ranges_done(read_state(state_file_)) >= 2; }))
            << first.output();
        first.kill_hard();
        Bson state = read_state(state_file_);
        ASSERT_LT(ranges_done(state), kCopiedDocuments / kRangeDocs)
            << "the copy finished before the kill";
        EXPECT_EQ(state.string("collections.0.phase"), "inProgress");
        EXPECT_FALSE(state.boolean("copyComplete"));
    }
    source_fail_command_off();

    TributaryProcess second(args);
    ASSERT_TRUE(eventually([&] {
        return second.output_contains("Collection 'large' copied successfully.");
    })) << second.output();
    EXPECT_TRUE(second.output_contains("Resuming run")) << second.output();
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << second.output();
    EXPECT_EQ(second.terminate(), 0) << second.output();

    Bson state = read_state(state_file_);
    EXPECT_EQ(state.string("collections.0.phase"), "complete");
    EXPECT_EQ(ranges_done(state), kCopiedDocuments / kRangeDocs);
    // Each range is counted once, when it completes: ranges done before the kill were not redone.
    EXPECT_EQ(state.number("collections.0.documentsCopied"), kCopiedDocuments);
}

}  // namespace
