// Integration test of the oplog across restarts with --dbpath: as mongod keeps local.oplog.rs, a
// change stream resumes from a token taken before a clean restart or a kill -9, sees every event
// after it exactly once, and cluster times keep increasing. Runs against testmongod only.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using testsupport::Bson;
using testsupport::Client;
using testsupport::ServerProcess;

struct Event {
    int64_t id = 0;
    std::string token;  // the event's _id as extended JSON
    uint64_t cluster_time = 0;
};

uint64_t cluster_time_of(const Bson& event) {
    bson_iter_t iter;
    uint32_t t = 0, i = 0;
    if (bson_iter_init_find(&iter, event.get(), "clusterTime")) bson_iter_timestamp(&iter, &t, &i);
    return (uint64_t(t) << 32) | i;
}

// The batch's events (firstBatch or nextBatch) appended to `events`.
void collect(const Bson& reply, const char* batch, std::vector<Event>* events) {
    for (int n = 0;; ++n) {
        std::string path = std::string("cursor.") + batch + "." + std::to_string(n);
        if (!reply.has(path.c_str())) return;
        Bson event = reply.document(path.c_str());
        events->push_back({event.number("documentKey._id"), event.document("_id").json(),
                           cluster_time_of(event)});
    }
}

// Opens a change stream on o.c (resuming after `token` when given) and reads until `wanted`
// events arrived or `wait` passed.
std::vector<Event> watch(Client& client, const std::string& token, size_t wanted,
                         std::chrono::seconds wait = std::chrono::seconds(10)) {
    std::string stage = token.empty() ? "{}" : R"({"resumeAfter": )" + token + "}";
    auto opened = client.run_command("o", R"({"aggregate": "c", "pipeline": [{"$changeStream": )" +
                                              stage + "}], \"cursor\": {}}");
    EXPECT_TRUE(opened.ok) << opened.error;
    std::vector<Event> events;
    if (!opened.ok) return events;
    collect(opened.reply, "firstBatch", &events);
    int64_t cursor = opened.reply.number("cursor.id");
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (events.size() < wanted && std::chrono::steady_clock::now() < deadline) {
        auto more =
            client.run_command("o", R"({"getMore": {"$numberLong": ")" + std::to_string(cursor) +
                                        R"("}, "collection": "c", "maxTimeMS": 200})");
        EXPECT_TRUE(more.ok) << more.error;
        if (!more.ok) break;
        collect(more.reply, "nextBatch", &events);
    }
    return events;
}

void insert(Client& client, int id) {
    auto result = client.run_command(
        "o", R"({"insert": "c", "documents": [{"_id": )" + std::to_string(id) + "}]}");
    ASSERT_TRUE(result.ok) << result.error;
}

// Inserts `ids` in one committed transaction: their events share one cluster time.
void insert_in_transaction(Client& client, const std::vector<int>& ids) {
    const std::string txn =
        R"(, "lsid": {"id": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}}},
           "txnNumber": {"$numberLong": "1"}, "autocommit": false)";
    for (size_t n = 0; n < ids.size(); ++n) {
        auto result = client.run_command(
            "o", R"({"insert": "c", "documents": [{"_id": )" + std::to_string(ids[n]) + "}]" + txn +
                     (n == 0 ? R"(, "startTransaction": true})" : "}"));
        ASSERT_TRUE(result.ok) << result.error;
    }
    auto committed = client.run_command("admin", R"({"commitTransaction": 1)" + txn + "}");
    ASSERT_TRUE(committed.ok) << committed.error;
}

std::vector<int64_t> ids_of(const std::vector<Event>& events) {
    std::vector<int64_t> ids;
    for (const auto& event : events)
        ids.push_back(event.id);
    return ids;
}

class OplogRestartTest : public ::testing::Test {
  protected:
    void SetUp() override {
        SKIP_UNLESS_OWN_SERVERS("restarts testmongod");
        dir_ = std::filesystem::temp_directory_path() / testsupport::unique_name("tmd_oplog");
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        if (!dir_.empty()) std::filesystem::remove_all(dir_);
    }
    ServerProcess start() { return ServerProcess::start({"--dbpath", dir_.string()}); }

    std::filesystem::path dir_;
};

void expect_increasing_times(const std::vector<Event>& events) {
    for (size_t n = 1; n < events.size(); ++n)
        EXPECT_LT(events[n - 1].cluster_time, events[n].cluster_time) << "event " << n;
}

// Events 1..3 before a kill -9, 4..5 after it and before a clean restart, 6 and a transaction's
// 7 and 8 after that and before another kill -9: resumed after event 1's token, the stream sees
// every later event once, in increasing cluster time (the transaction's events share one).
TEST_F(OplogRestartTest, ChangeStreamResumesAcrossKillNineAndCleanRestart) {
    std::string token;
    {
        ServerProcess server = start();
        Client client(server.uri());
        ASSERT_TRUE(client.run_command("o", R"({"create": "c"})").ok);
        auto opened = client.run_command(
            "o", R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}], "cursor": {}})");
        ASSERT_TRUE(opened.ok) << opened.error;
        for (int id = 1; id <= 3; ++id)
            insert(client, id);
        auto events = watch(client, opened.reply.document("cursor.postBatchResumeToken").json(), 3);
        ASSERT_EQ(ids_of(events), (std::vector<int64_t>{1, 2, 3}));
        token = events[0].token;
        server.kill();
    }
    {
        ServerProcess server = start();
        Client client(server.uri());
        EXPECT_EQ(ids_of(watch(client, token, 2)), (std::vector<int64_t>{2, 3}));
        insert(client, 4);
        insert(client, 5);
        EXPECT_EQ(server.stop(), 0);
    }
    {
        ServerProcess server = start();
        Client client(server.uri());
        insert(client, 6);
        insert_in_transaction(client, {7, 8});
        server.kill();
    }
    ServerProcess server = start();
    Client client(server.uri());
    auto events = watch(client, token, 7);
    ASSERT_EQ(ids_of(events), (std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(events[5].cluster_time, events[6].cluster_time);
    events.pop_back();
    expect_increasing_times(events);
    // From the transaction's first event: its second, then nothing more (none twice).
    EXPECT_EQ(ids_of(watch(client, events[5].token, 2, std::chrono::seconds(1))),
              (std::vector<int64_t>{8}));
    server.stop();
}

}  // namespace
