// kill -9 in the middle of the initial copy, then the same command again: the copy resumes from
// the ranges the checkpoint recorded as done, and the destination ends equal to the source.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/mongo_client.h"
#include "support/server_process.h"
#include "tributary_process.h"

namespace {

using testsupport::Bson;
using tributary_test::eventually;
using tributary_test::TributaryProcess;

constexpr int kDocuments = 40000;
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

TEST(CrashResumeCopy, KillDuringCopyResumesFromTheLastCompletedRange) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    auto source = testsupport::source_uri_or_start({"--version-profile", "4.4"});
    auto dest = testsupport::dest_uri_or_start({"--version-profile", "7.0"});
    testsupport::Client source_client(source.uri);
    testsupport::Client dest_client(dest.uri);
    std::string db = testsupport::unique_name("crash");
    std::string state_file = (std::filesystem::temp_directory_path() / (db + ".state")).string();

    for (int start = 0; start < kDocuments; start += 1000) {
        std::string command = R"({"insert": "large", "documents": [)";
        for (int id = start; id < start + 1000; ++id) {
            command += (id > start ? "," : "") + std::string(R"({"_id": )") + std::to_string(id) +
                       R"(, "payload": "row )" + std::to_string(id) + R"("})";
        }
        ASSERT_TRUE(source_client.run_command(db, command + "]}").ok);
    }
    std::vector<std::string> args = {"sync",
                                     "--source",
                                     source.uri,
                                     "--destination",
                                     dest.uri,
                                     "--db",
                                     db,
                                     "--state-file",
                                     state_file,
                                     "--range-docs",
                                     std::to_string(kRangeDocs),
                                     "--copy-workers",
                                     "1",
                                     "--batch-size",
                                     "100"};

    // Every getMore of the source waits 50 ms, so a range takes about half a second and the copy
    // far longer than the second within which copy progress is saved: the kill lands with some
    // ranges saved as done and most not, on any machine.
    auto slow = source_client.run_command("admin", R"({"configureFailPoint": "failCommand",
        "mode": "alwaysOn", "data": {"failCommands": ["getMore"], "blockConnection": true,
        "blockTimeMS": 50}})");
    ASSERT_TRUE(slow.ok) << slow.error;
    int done_at_kill = 0;
    {
        TributaryProcess first(args);
        ASSERT_TRUE(eventually([&] { return ranges_done(read_state(state_file)) >= 2; }))
            << first.output();
        first.kill_hard();
        Bson state = read_state(state_file);
        done_at_kill = ranges_done(state);
        ASSERT_LT(done_at_kill, kDocuments / kRangeDocs) << "the copy finished before the kill";
        EXPECT_EQ(state.string("collections.0.phase"), "inProgress");
        EXPECT_FALSE(state.boolean("copyComplete"));
    }
    auto off = source_client.run_command("admin",
                                         R"({"configureFailPoint": "failCommand", "mode": "off"})");
    ASSERT_TRUE(off.ok) << off.error;

    TributaryProcess second(args);
    ASSERT_TRUE(eventually([&] {
        return second.output_contains("Collection 'large' copied successfully.");
    })) << second.output();
    EXPECT_TRUE(second.output_contains("Resuming run")) << second.output();
    EXPECT_EQ(second.terminate(), 0) << second.output();

    Bson state = read_state(state_file);
    EXPECT_EQ(state.string("collections.0.phase"), "complete");
    EXPECT_EQ(ranges_done(state), kDocuments / kRangeDocs);
    // Each range is counted once, when it completes: ranges done before the kill were not redone.
    EXPECT_EQ(state.number("collections.0.documentsCopied"), kDocuments);
    auto count = dest_client.run_command(db, R"({"count": "large"})");
    ASSERT_TRUE(count.ok) << count.error;
    EXPECT_EQ(count.reply.number("n"), kDocuments);

    std::string report;
    EXPECT_EQ(
        TributaryProcess::run(
            {"verify", "--source", source.uri, "--destination", dest.uri, "--db", db}, &report),
        0)
        << report;
    source_client.run_command(db, R"({"dropDatabase": 1})");
    dest_client.run_command(db, R"({"dropDatabase": 1})");
    std::filesystem::remove(state_file);
}

}  // namespace
