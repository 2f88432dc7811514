// Integration: writes to different collections proceed in parallel (collection-level locking, as
// mongod's multi-granularity locks: manual, "FAQ: Concurrency"), and the oplog stays totally
// ordered under concurrent writers. Needs enableTestCommands on a real mongod
// (hangWithLockDuringBatchInsert).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using namespace std::chrono_literals;
using testsupport::Client;

class ConcurrencyTest : public ::testing::Test {
  protected:
    void TearDown() override {
        set_hang(R"("off")");
        admin_.run_command(db_, R"({"dropDatabase": 1})");
    }

    // Sets hangWithLockDuringBatchInsert's mode; returns the times it was entered before.
    int64_t set_hang(const std::string& mode) {
        auto result = admin_.run_command(
            "admin",
            R"({"configureFailPoint": "hangWithLockDuringBatchInsert", "mode": )" + mode + "}");
        EXPECT_TRUE(result.ok) << result.error;
        return result.ok ? result.reply.number("count") : 0;
    }

    void create(const std::string& coll) {
        auto result = admin_.run_command(db_, R"({"create": ")" + coll + R"("})");
        ASSERT_TRUE(result.ok) << result.error;
    }

    testsupport::TestServer server_ = testsupport::source_uri_or_start();
    std::string db_ = testsupport::unique_name("concurrency");
    Client admin_{server_.uri};
};

// An insert into A that holds A's lock (the failpoint hangs it there, as mongod's does once the
// collection is acquired) does not keep an update of B from completing. With one catalog-wide
// lock the update waited for the insert.
TEST_F(ConcurrencyTest, WriteToAnotherCollectionCompletesWhileAnInsertHoldsItsLock) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    create("a");
    create("b");
    set_hang(R"("alwaysOn")");
    auto held = std::async(std::launch::async, [&] {
        Client client(server_.uri);
        return client.run_command(db_, R"({"insert": "a", "documents": [{"_id": 1}]})");
    });
    ASSERT_TRUE(testsupport::eventually([&] { return set_hang(R"("alwaysOn")") >= 1; }, 10s))
        << "the insert into a never reached the failpoint";

    auto other = std::async(std::launch::async, [&] {
        Client client(server_.uri);
        return client.run_command(
            db_,
            R"({"update": "b", "updates": [{"q": {"_id": 1}, "u": {"$set": {"x": 1}}, "upsert": true}]})");
    });
    bool completed = other.wait_for(10s) == std::future_status::ready;
    bool insert_still_held = held.wait_for(0s) != std::future_status::ready;
    set_hang(R"("off")");
    ASSERT_TRUE(completed) << "the update of b waited for the insert into a";
    EXPECT_TRUE(insert_still_held);
    auto updated = other.get();
    EXPECT_TRUE(updated.ok) << updated.error;
    EXPECT_EQ(updated.reply.number("n"), 1);
    auto inserted = held.get();
    EXPECT_TRUE(inserted.ok) << inserted.error;
    EXPECT_EQ(inserted.reply.number("n"), 1);
}

// The change stream of a database with two writers inserting into two collections at once
// reports every insert, none twice,, in strictly increasing clusterTime.
TEST_F(ConcurrencyTest, ChangeStreamOrdersConcurrentWritersToTwoCollections) {
    // Single-document inserts: mongod 7.0 groups a multi-document insert into one applyOps entry
    // whose events share a clusterTime.
    constexpr int kInserts = 500;
    create("a");
    create("b");
    Client reader(server_.uri);
    auto opened = reader.run_command(
        db_, R"({"aggregate": 1, "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    ASSERT_TRUE(opened.ok) << opened.error;
    int64_t cursor = opened.reply.number("cursor.id");

    auto writer = [&](const std::string& coll) {
        Client client(server_.uri);
        for (int i = 0; i < kInserts; ++i) {
            auto result =
                client.run_command(db_, R"({"insert": ")" + coll + R"(", "documents": [{"_id": )" +
                                            std::to_string(i) + "}]}");
            if (!result.ok) return result.error;
        }
        return std::string();
    };
    auto a = std::async(std::launch::async, writer, "a");
    auto b = std::async(std::launch::async, writer, "b");
    EXPECT_EQ(a.get(), "");
    EXPECT_EQ(b.get(), "");

    const size_t expected = 2 * kInserts;
    std::set<std::string> seen;
    size_t events_seen = 0;
    uint64_t last_time = 0;
    bool ordered = true;
    std::string get_more = R"({"getMore": {"$numberLong": ")" + std::to_string(cursor) +
                           R"("}, "collection": "$cmd.aggregate", "maxTimeMS": 200})";
    testsupport::eventually(
        [&] {
            auto batch = reader.run_command(db_, get_more);
            if (!batch.ok) return true;
            testsupport::Bson events = batch.reply.document("cursor.nextBatch");
            bson_iter_t iter;
            bson_iter_init(&iter, events.get());
            while (bson_iter_next(&iter)) {
                ++events_seen;
                bson_iter_t field;
                uint32_t t = 0, i = 0;
                bson_iter_recurse(&iter, &field);
                if (bson_iter_find(&field, "clusterTime")) bson_iter_timestamp(&field, &t, &i);
                uint64_t time = (uint64_t(t) << 32) | i;
                ordered = ordered && time > last_time;
                last_time = time;
                bson_iter_t id, ns;
                bson_iter_recurse(&iter, &id);
                bson_iter_recurse(&iter, &ns);
                if (bson_iter_find_descendant(&id, "documentKey._id", &id) &&
                    bson_iter_find_descendant(&ns, "ns.coll", &ns)) {
                    seen.insert(std::string(bson_iter_utf8(&ns, nullptr)) + "/" +
                                std::to_string(bson_iter_as_int64(&id)));
                }
            }
            return events_seen >= expected;
        },
        20s);
    EXPECT_TRUE(ordered) << "an event's clusterTime was not above the previous one";
    EXPECT_EQ(events_seen, expected);
    EXPECT_EQ(seen.size(), expected) << "an insert was reported twice or not at all";
}

}  // namespace
