// Integration tests: the Replicator between two servers (source 4.4 or 7.0 profile, destination
// 7.0): CRUD events, replay of writes made before the start point, a unique-value swap, 4.4
// index changes found by catalog polling, and a lost history.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "catalog/namespace_filter.h"
#include "checkpoint/checkpoint.h"
#include "cli/exit_codes.h"
#include "mongo/client.h"
#include "mongo/server_info.h"
#include "replicate/replicator.h"
#include "support/child_process.h"
#include "support/comparator.h"
#include "support/mongo_client.h"
#include "support/server_process.h"
#include "two_servers_fixture.h"

namespace tributary::replicate {
namespace {

using testsupport::Bson;

using testsupport::eventually;

// One sync run: the Replicator on its own thread from a start point, stopped like SIGTERM.
class ReplicationRun {
  public:
    ReplicationRun(const std::string& source_uri, const std::string& destination_uri,
                   const std::string& db, checkpoint::StartPoint from, ReplicateConfig config,
                   const std::string& state_file)
        : source_(mongo::Uri(source_uri), "replicate-test"),
          destination_(mongo::Uri(destination_uri), "replicate-test"),
          filter_({db}, {}, {}, "__tributary"),
          checkpoint_(checkpoint::open_file_store(state_file), checkpoint::State{}),
          replicator_(config, source_, destination_, filter_, checkpoint_) {
        thread_ = std::thread(
            [this, from = std::move(from)] { exit_code_ = replicator_.run(from, stop_); });
    }
    ~ReplicationRun() { stop(); }

    int stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        return exit_code_;
    }
    bool finished() const { return exit_code_ != -1; }
    checkpoint::State state() const { return checkpoint_.snapshot(); }

  private:
    mongo::ClientPool source_;
    mongo::ClientPool destination_;
    catalog::NamespaceFilter filter_;
    checkpoint::Checkpoint checkpoint_;
    Replicator replicator_;
    std::atomic<bool> stop_{false};
    std::atomic<int> exit_code_{-1};
    std::thread thread_;
};

class ReplicateTest : public tributary_test::TwoServersTest {
  protected:
    ReplicateTest() : TwoServersTest("replicate") {}
    void TearDown() override {
        run_.reset();  // the replicator stops before its databases are dropped
        TwoServersTest::TearDown();
    }
    // Skips while the source cannot open change streams (testmongod before they land).
    bool source_has_change_streams() {
        auto reply = source_->run_command(
            db_, R"({"aggregate": 1, "pipeline": [{"$changeStream": {}}], "cursor": {}})");
        return reply.ok;
    }
    checkpoint::StartPoint now() {
        mongo::ClientPool pool(mongo::Uri(source_server_.uri), "replicate-test");
        return checkpoint::StartPoint{bson::Document(),
                                      mongo::fetch_operation_time(pool.lease().get())};
    }
    void start_run(checkpoint::StartPoint from, ReplicateConfig config = {}) {
        config.max_batch_delay = std::chrono::milliseconds(20);
        run_ = std::make_unique<ReplicationRun>(source_server_.uri, dest_server_.uri, db_,
                                                std::move(from), config, state_file_);
    }
    // The documents of `coll` sorted by _id, as relaxed JSON.
    static std::string contents(testsupport::Client& client, const std::string& db,
                                const std::string& coll) {
        auto reply = client.run_command(
            db, R"({"find": ")" + coll + R"(", "sort": {"_id": 1}, "batchSize": 100000})");
        return reply.ok ? reply.reply.document("cursor.firstBatch").json() : reply.error;
    }
    bool same_contents(const std::string& coll) {
        return contents(*source_, db_, coll) == contents(*dest_, db_, coll);
    }

    void replays_onto_newer_states_converge(const std::string& source_profile);

    std::unique_ptr<ReplicationRun> run_;
};

#define REQUIRE_CHANGE_STREAMS() \
    if (!source_has_change_streams()) GTEST_SKIP() << "source has no change streams"

TEST_F(ReplicateTest, InsertsUpdatesReplacesAndDeletesReachTheDestination) {
    start_servers("4.4");
    REQUIRE_CHANGE_STREAMS();
    start_run(now());
    source_command(R"({"insert": "users", "documents": [{"_id": 1, "name": "John", "age": 30},
        {"_id": 2, "name": "Ann", "tags": [1, 2, 3]}, {"_id": 3, "name": "Bo"}]})");
    source_command(R"({"update": "users", "updates": [{"q": {"_id": 1}, "u": {"$set": {"age": 31}}},
        {"q": {"_id": 2}, "u": {"$pop": {"tags": 1}, "$unset": {"name": ""}}},
        {"q": {"_id": 3}, "u": {"name": "Bob", "v": 2}}]})");
    source_command(R"({"delete": "users", "deletes": [{"q": {"_id": 1}, "limit": 1}]})");
    EXPECT_TRUE(eventually([&] { return same_contents("users"); }))
        << contents(*source_, db_, "users") << "\n"
        << contents(*dest_, db_, "users");
    EXPECT_EQ(run_->stop(), kExitOk);
    EXPECT_FALSE(run_->state().resume_token.empty());
}

TEST_F(ReplicateTest, WritesBeforeTheStartPointAreReplayedIdempotently) {
    start_servers("7.0");
    REQUIRE_CHANGE_STREAMS();
    checkpoint::StartPoint start = now();
    source_command(R"({"insert": "c", "documents": [{"_id": 1, "v": 1}, {"_id": 2, "v": 1}]})");
    source_command(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"v": 1}}}]})");
    source_command(R"({"delete": "c", "deletes": [{"q": {"_id": 2}, "limit": 1}]})");
    source_command(R"({"insert": "c", "documents": [{"_id": 3, "v": 1}]})");
    // The copy already saw the final state of _id 1 and _id 3.
    dest_command(R"({"insert": "c", "documents": [{"_id": 1, "v": 2}, {"_id": 3, "v": 1}]})");
    start_run(std::move(start));
    EXPECT_TRUE(eventually([&] { return same_contents("c"); }))
        << contents(*source_, db_, "c") << "\n"
        << contents(*dest_, db_, "c");
}

TEST_F(ReplicateTest, UniqueValueSwapConverges) {
    start_servers("7.0");
    REQUIRE_CHANGE_STREAMS();
    for (auto* client : {source_.get(), dest_.get()}) {
        client->run_command(db_, R"({"createIndexes": "people", "indexes": [
            {"key": {"email": 1}, "name": "email_1", "unique": true}]})");
        client->run_command(db_, R"({"insert": "people", "documents": [
            {"_id": 1, "email": "a@x"}, {"_id": 2, "email": "b@x"}]})");
    }
    ReplicateConfig config;
    config.lanes = 4;
    start_run(now(), config);
    for (int round = 0; round < 5; ++round) {
        source_command(R"({"update": "people", "updates": [
            {"q": {"_id": 1}, "u": {"$set": {"email": "tmp"}}},
            {"q": {"_id": 2}, "u": {"$set": {"email": ")" +
                       std::string(round % 2 ? "b@x" : "a@x") + R"("}}},
            {"q": {"_id": 1}, "u": {"$set": {"email": ")" +
                       std::string(round % 2 ? "a@x" : "b@x") + R"("}}}]})");
    }
    // A copy that saw a later state than the replayed events: insert of a value now held by
    // another document.
    checkpoint::StartPoint replay_from = now();
    source_command(R"({"insert": "people", "documents": [{"_id": 3, "email": "c@x"}]})");
    source_command(R"({"delete": "people", "deletes": [{"q": {"_id": 3}, "limit": 1}]})");
    source_command(R"({"insert": "people", "documents": [{"_id": 4, "email": "c@x"}]})");
    EXPECT_TRUE(eventually([&] { return same_contents("people"); }))
        << contents(*source_, db_, "people") << "\n"
        << contents(*dest_, db_, "people");
    EXPECT_EQ(run_->stop(), kExitOk);
    dest_command(R"({"delete": "people", "deletes": [{"q": {"_id": 4}, "limit": 1}]})");
    dest_command(R"({"insert": "people", "documents": [{"_id": 4, "email": "c@x"}]})");
    start_run(std::move(replay_from), config);
    EXPECT_TRUE(eventually([&] { return same_contents("people"); }))
        << contents(*source_, db_, "people") << "\n"
        << contents(*dest_, db_, "people");
}

// Replays onto a destination that already holds a later state of the documents (the copy read
// a newer version, or a crash came between applying a batch and saving its checkpoint): $set
// through a field that is now a number, $push/$pop/$inc on fields of another type. Replication
// resolves those documents from the source and keeps running.
void ReplicateTest::replays_onto_newer_states_converge(const std::string& source_profile) {
    start_servers(source_profile);
    REQUIRE_CHANGE_STREAMS();
    source_command(R"({"insert": "c", "documents": [
        {"_id": 1, "a": {"b": 0}, "tags": [1, 2, 3], "n": 1}, {"_id": 2, "a": {"b": 0}}]})");
    checkpoint::StartPoint start = now();
    source_command(R"({"update": "c", "updates": [
        {"q": {"_id": 1}, "u": {"$set": {"a.b": 1}, "$push": {"tags": 4}, "$inc": {"n": 1}}},
        {"q": {"_id": 1}, "u": {"$pop": {"tags": 1}}},
        {"q": {"_id": 1}, "u": {"$inc": {"n": 1}}},
        {"q": {"_id": 1}, "u": {"$set": {"a": 5, "tags": "x", "n": "s"}}},
        {"q": {"_id": 2}, "u": {"$set": {"a.b": 1}}},
        {"q": {"_id": 2}, "u": {"$set": {"a": 5}}}]})");
    source_command(R"({"delete": "c", "deletes": [{"q": {"_id": 2}, "limit": 1}]})");
    // What the copy read, later than the start point.
    dest_command(R"({"insert": "c", "documents": [
        {"_id": 1, "a": 5, "tags": "x", "n": "s"}, {"_id": 2, "a": 5}]})");
    start_run(std::move(start));
    source_command(R"({"update": "c", "updates": [
        {"q": {"_id": 1}, "u": {"$set": {"a": {"c": 1}}, "$unset": {"n": ""}}}]})");
    source_command(R"({"insert": "c", "documents": [{"_id": 3}]})");
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(60))) << report;
    EXPECT_FALSE(run_->finished());
    EXPECT_EQ(run_->stop(), kExitOk);
}

TEST_F(ReplicateTest, ReplaysOntoNewerStatesConvergeFrom44) {
    replays_onto_newer_states_converge("4.4");
}

TEST_F(ReplicateTest, ReplaysOntoNewerStatesConvergeFrom70) {
    replays_onto_newer_states_converge("7.0");
}

// The conflict resolver re-reads a blocking document from the source before it writes
// anything: when that read fails and replication stops there (the first source find of the run
// fails with Interrupted, which neither the driver nor tributary retries: like a crash at that
// point), the blocker is still on the destination, and the next run converges.
TEST_F(ReplicateTest, UniqueConflictBlockerSurvivesAFailedSourceRead) {
    start_servers("7.0");
    REQUIRE_CHANGE_STREAMS();
    if (source_server_.external()) GTEST_SKIP() << "configures testmongod's failCommand";
    for (auto* client : {source_.get(), dest_.get()}) {
        client->run_command(db_, R"({"createIndexes": "people", "indexes": [
            {"key": {"email": 1}, "name": "email_1", "unique": true}]})");
    }
    source_command(R"({"insert": "people", "documents": [{"_id": 2, "email": "x"}]})");
    source_command(R"({"update": "people", "updates": [
        {"q": {"_id": 2}, "u": {"$set": {"email": "y"}}}]})");
    source_command(R"({"insert": "other", "documents": [{"_id": 1}]})");
    checkpoint::StartPoint start = now();
    // The destination still holds _id 2's older value, which the replayed insert of _id 1 needs.
    dest_command(R"({"insert": "people", "documents": [{"_id": 2, "email": "x"}]})");
    source_command(R"({"insert": "people", "documents": [{"_id": 1, "email": "x"}]})");
    auto configured = source_->run_command("admin", R"({"configureFailPoint": "failCommand",
        "mode": {"times": 1}, "data": {"failCommands": ["find"], "errorCode": 11601,
        "appName": "replicate-test"}})");
    ASSERT_TRUE(configured.ok) << configured.error;
    start_run(checkpoint::StartPoint{start.resume_token.copy(), start.operation_time});
    ASSERT_TRUE(eventually([&] { return run_->finished(); }));
    // A failed source read, not the destination refusing a write (that would be exit 5).
    EXPECT_EQ(run_->stop(), kExitInternal);
    EXPECT_NE(contents(*dest_, db_, "people").find(R"("_id" : 2)"), std::string::npos)
        << contents(*dest_, db_, "people");
    start_run(std::move(start));
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(60))) << report;
    EXPECT_EQ(run_->stop(), kExitOk);
}

// A run that stopped while a blocking document was moved aside (recorded, deleted, not yet
// written back) leaves its record in the state database: the next run writes it back first.
TEST_F(ReplicateTest, BlockerMovedAsideBeforeAStopIsWrittenBackByTheNextRun) {
    start_servers("7.0");
    REQUIRE_CHANGE_STREAMS();
    source_command(R"({"insert": "people", "documents": [{"_id": 2, "email": "y"}]})");
    checkpoint::StartPoint start = now();
    auto recorded = dest_->run_command("__tributary", R"({"insert": "resolving", "documents": [
        {"_id": {"ns": ")" + db_ + R"(.people", "id": 2}}]})");
    ASSERT_TRUE(recorded.ok) << recorded.error;
    start_run(std::move(start));
    source_command(R"({"insert": "people", "documents": [{"_id": 3, "email": "z"}]})");
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(60))) << report;
    auto records = dest_->run_command("__tributary", R"({"count": "resolving"})");
    ASSERT_TRUE(records.ok) << records.error;
    EXPECT_EQ(records.reply.number("n"), 0) << records.reply.json();
    dest_->run_command("__tributary", R"({"drop": "resolving"})");
    EXPECT_EQ(run_->stop(), kExitOk);
}

TEST_F(ReplicateTest, IndexChangesOnA44SourceAreFoundByCatalogPolling) {
    start_servers("4.4");
    REQUIRE_CHANGE_STREAMS();
    source_command(R"({"insert": "orders", "documents": [{"_id": 1, "sku": "x"}]})");
    dest_command(R"({"insert": "orders", "documents": [{"_id": 1, "sku": "x"}]})");
    ReplicateConfig config;
    config.catalog_poll_interval = std::chrono::milliseconds(100);
    start_run(now(), config);
    source_command(R"({"createIndexes": "orders", "indexes": [
        {"key": {"sku": 1}, "name": "sku_1", "unique": true}]})");
    auto dest_has_index = [&](bool wanted) {
        return eventually([&] {
            auto reply = dest_->run_command(db_, R"({"listIndexes": "orders"})");
            return reply.ok && (reply.reply.json().find("sku_1") != std::string::npos) == wanted;
        });
    };
    EXPECT_TRUE(dest_has_index(true));
    source_command(R"({"dropIndexes": "orders", "index": "sku_1"})");
    EXPECT_TRUE(dest_has_index(false));
}

TEST_F(ReplicateTest, DropAndRenameAreAppliedAsBarriers) {
    start_servers("7.0");
    REQUIRE_CHANGE_STREAMS();
    start_run(now());
    source_command(R"({"insert": "a", "documents": [{"_id": 1}]})");
    source_command(R"({"insert": "gone", "documents": [{"_id": 1}]})");
    source_->run_command("admin",
                         R"({"renameCollection": ")" + db_ + R"(.a", "to": ")" + db_ + R"(.b"})");
    source_command(R"({"drop": "gone"})");
    source_command(R"({"insert": "b", "documents": [{"_id": 2}]})");
    EXPECT_TRUE(eventually([&] {
        return same_contents("b") && same_contents("a") && same_contents("gone");
    })) << contents(*dest_, db_, "b");
}

TEST_F(ReplicateTest, LostHistoryStopsWithExitCode4) {
    SKIP_UNLESS_OWN_SERVERS("a 1 MiB oplog");
    start_servers("7.0", {"--oplog-size-mb", "1"});
    REQUIRE_CHANGE_STREAMS();
    checkpoint::StartPoint stale = now();
    const std::string big(100 * 1024, 'x');
    for (int i = 0; i < 40; ++i) {
        source_command(R"({"insert": "fill", "documents": [{"pad": ")" + big + R"("}]})");
    }
    start_run(std::move(stale));
    // The run ends by itself: no stop request.
    ASSERT_TRUE(eventually([&] { return run_->finished(); }));
    EXPECT_EQ(run_->stop(), kExitHistoryLost);
}

}  // namespace
}  // namespace tributary::replicate
