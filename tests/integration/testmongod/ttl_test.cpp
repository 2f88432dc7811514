// Integration: the TTL monitor through libmongoc, as the manual describes it ("TTL Indexes",
// "Expire Data from Collections by Setting TTL") and mongod's src/mongo/db/ttl/ttl.cpp does it: a
// pass every ttlMonitorSleepSecs deletes documents whose indexed date (or earliest date of an
// array) is older than expireAfterSeconds, as ordinary deletes. The tests shorten the sleep with
// setParameter, so they run unchanged against a real replica set.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "storage_test_fixture.h"
#include "support/child_process.h"

namespace {

using namespace std::chrono_literals;
using testsupport::Bson;
using testsupport::Client;

constexpr const char* kPast = R"({"$date": {"$numberLong": "1000000000000"}})";    // 2001
constexpr const char* kFuture = R"({"$date": {"$numberLong": "4102444800000"}})";  // 2100

class TtlTest : public storagetest::StorageTest {
  protected:
    void SetUp() override {
        StorageTest::SetUp();
        admin(R"({"setParameter": 1, "ttlMonitorSleepSecs": 1})");
        admin(R"({"setParameter": 1, "ttlMonitorEnabled": true})");
    }
    void TearDown() override {
        admin(R"({"setParameter": 1, "ttlMonitorSleepSecs": 60})");
        StorageTest::TearDown();
    }

    Bson ok(const std::string& json) { return StorageTest::ok(json); }
    Bson admin(const std::string& json) {
        auto result = client_->run_command("admin", json);
        EXPECT_TRUE(result.ok) << json << ": " << result.error;
        return result.reply;
    }
    void ttl_index(const std::string& field, int seconds, const std::string& extra = "") {
        ok(R"({"createIndexes": "c", "indexes": [{"key": {")" + field +
           R"(": 1}, "name": "ttl", )" + R"("expireAfterSeconds": )" + std::to_string(seconds) +
           extra + "}]}");
    }
    void insert(const std::string& documents) {
        ok(R"({"insert": "c", "documents": )" + documents + "}");
    }
    bool exists(int id) {
        Bson reply = ok(R"({"find": "c", "filter": {"_id": )" + std::to_string(id) + "}}");
        return reply.has("cursor.firstBatch.0");
    }
    int64_t passes() { return admin(R"({"serverStatus": 1})").number("metrics.ttl.passes"); }
    // Waits until the monitor has completed two more passes, so one ran wholly after now.
    void wait_for_a_full_pass() {
        int64_t start = passes();
        EXPECT_TRUE(testsupport::eventually([&] { return passes() >= start + 2; }, 30s));
    }
};

TEST_F(TtlTest, ExpiredDatesAreDeletedAndOtherValuesKept) {
    ttl_index("at", 0);
    insert(std::string("[") + R"({"_id": 1, "at": )" + kPast + "}, " + R"({"_id": 2, "at": )" +
           kFuture + "}, " + R"({"_id": 3, "at": [)" + kFuture + ", " + kPast + "]}, " +
           R"({"_id": 4, "at": "2001-09-09"}, {"_id": 5}, )" +
           R"({"_id": 6, "at": {"$timestamp": {"t": 1, "i": 1}}}])");
    EXPECT_TRUE(testsupport::eventually([&] { return !exists(1) && !exists(3); }, 30s));
    wait_for_a_full_pass();
    for (int kept : {2, 4, 5, 6})
        EXPECT_TRUE(exists(kept)) << kept;
}

TEST_F(TtlTest, DeletesAreOrdinaryDeleteEventsAndCounted) {
    ttl_index("at", 0);
    int64_t deleted_before = admin(R"({"serverStatus": 1})").number("metrics.ttl.deletedDocuments");
    Bson opened = ok(R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    std::string cursor = std::to_string(opened.number("cursor.id"));
    insert(std::string(R"([{"_id": 1, "at": )") + kPast + "}]");
    std::vector<std::string> types;
    EXPECT_TRUE(testsupport::eventually(
        [&] {
            Bson batch = ok(R"({"getMore": {"$numberLong": ")" + cursor +
                            R"("}, "collection": "c", "maxTimeMS": 200})");
            for (int i = 0; batch.has(("cursor.nextBatch." + std::to_string(i)).c_str()); ++i) {
                types.push_back(batch.string(
                    ("cursor.nextBatch." + std::to_string(i) + ".operationType").c_str()));
            }
            return types.size() >= 2;
        },
        30s));
    EXPECT_EQ(types, (std::vector<std::string>{"insert", "delete"}));
    // The monitor counts its deletes after making them (mongod too): the event can come first.
    EXPECT_TRUE(testsupport::eventually(
        [&] {
            return admin(R"({"serverStatus": 1})").number("metrics.ttl.deletedDocuments") >=
                   deleted_before + 1;
        },
        30s));
    ok(R"({"killCursors": "c", "cursors": [{"$numberLong": ")" + cursor + R"("}]})");
}

TEST_F(TtlTest, PartialTtlIndexExpiresOnlyMatchingDocuments) {
    ttl_index("at", 0, R"(, "partialFilterExpression": {"kind": "temp"})");
    insert(std::string("[") + R"({"_id": 1, "kind": "temp", "at": )" + kPast + "}, " +
           R"({"_id": 2, "kind": "keep", "at": )" + kPast + "}]");
    EXPECT_TRUE(testsupport::eventually([&] { return !exists(1); }, 30s));
    wait_for_a_full_pass();
    EXPECT_TRUE(exists(2));
}

TEST_F(TtlTest, CollModChangesExpireAfterSeconds) {
    auto ten_minutes_ago = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch() - 10min)
                               .count();
    ttl_index("at", 3600);
    insert(R"([{"_id": 1, "at": {"$date": {"$numberLong": ")" + std::to_string(ten_minutes_ago) +
           R"("}}}])");
    wait_for_a_full_pass();
    EXPECT_TRUE(exists(1));
    ok(R"({"collMod": "c", "index": {"name": "ttl", "expireAfterSeconds": 60}})");
    EXPECT_TRUE(testsupport::eventually([&] { return !exists(1); }, 30s));
}

TEST_F(TtlTest, DisabledMonitorMakesNoPasses) {
    ttl_index("at", 0);
    admin(R"({"setParameter": 1, "ttlMonitorEnabled": false})");
    Bson was = admin(R"({"setParameter": 1, "ttlMonitorEnabled": false})");
    EXPECT_FALSE(was.boolean("was"));
    insert(std::string(R"([{"_id": 1, "at": )") + kPast + "}]");
    int64_t start = passes();
    EXPECT_FALSE(testsupport::eventually([&] { return !exists(1); }, 3s));
    EXPECT_EQ(passes(), start);
    admin(R"({"setParameter": 1, "ttlMonitorEnabled": true})");
    EXPECT_TRUE(testsupport::eventually([&] { return !exists(1); }, 30s));
}

TEST_F(TtlTest, SetParameterReportsThePreviousValueAndRejectsBadOnes) {
    Bson reply = admin(R"({"setParameter": 1, "ttlMonitorSleepSecs": 2})");
    EXPECT_EQ(reply.number("was"), 1);
    EXPECT_EQ(
        admin(R"({"getParameter": 1, "ttlMonitorSleepSecs": 1})").number("ttlMonitorSleepSecs"), 2);
    EXPECT_EQ(
        client_->run_command("admin", R"({"setParameter": 1, "ttlMonitorSleepSecs": 0})").code,
        2);  // BadValue: ttl.idl's validator gte: 1
    EXPECT_EQ(client_->run_command("admin", R"({"setParameter": 1, "noSuchParameter": 1})").code,
              72);
    EXPECT_EQ(client_->run_command(db_, R"({"setParameter": 1, "ttlMonitorSleepSecs": 5})").code,
              13);
}

TEST(TtlStartup, SleepIsSettableAtStartUp) {
    testsupport::TestServer server =
        testsupport::source_uri_or_start({"--setParameter", "ttlMonitorSleepSecs=7"});
    if (server.external()) GTEST_SKIP() << "needs a testmongod started with --setParameter";
    Client client(server.uri);
    auto reply = client.run_command("admin", R"({"getParameter": 1, "ttlMonitorSleepSecs": 1})");
    ASSERT_TRUE(reply.ok) << reply.error;
    EXPECT_EQ(reply.reply.number("ttlMonitorSleepSecs"), 7);
}

}  // namespace
