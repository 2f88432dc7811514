// Integration: time-series collections through libmongoc, as the manual describes them ("Time
// Series Collections", "create" `timeseries` and `expireAfterSeconds`, "Set up Automatic Removal
// for Time Series Collections (TTL)") and mongod 7.0 builds them: a view <coll> over a clustered
// system.buckets.<coll> (jstests noPassthrough/timeseries_create.js,
// core/timeseries/timeseries_list_collections.js, change_streams/timeseries.js,
// noPassthrough/timeseries_change_streams.js).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "storage_test_fixture.h"
#include "support/child_process.h"

namespace storagetest {
namespace {

using namespace std::chrono_literals;

// 2019-03-18T22:53:50.482Z (the spec tests' measurement time) and minutes after it.
std::string date_at(int64_t ms) {
    return R"({"$date": {"$numberLong": ")" + std::to_string(ms) + R"("}})";
}
constexpr int64_t kBase = 1552949630482;

class TimeseriesTest : public StorageTest {
  protected:
    void insert(const std::string& documents) {
        Bson reply = ok(R"({"insert": "c", "documents": )" + documents + "}");
        EXPECT_FALSE(reply.has("writeErrors")) << reply.json();
    }
    Bson list_entry(const std::string& name) {
        auto entries =
            first_batch(ok(R"({"listCollections": 1, "filter": {"name": ")" + name + R"("}})"));
        EXPECT_EQ(entries.size(), 1u) << name;
        return entries.empty() ? Bson::from_json("{}") : entries[0];
    }
};

TEST_F(TimeseriesTest, ListCollectionsShowsTheViewAsTimeseriesAndItsClusteredBuckets) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": "m",
           "granularity": "minutes"}, "expireAfterSeconds": 604800})");
    Bson view = list_entry("c");
    EXPECT_EQ(view.string("type"), "timeseries");
    EXPECT_EQ(view.string("options.timeseries.timeField"), "t");
    EXPECT_EQ(view.string("options.timeseries.metaField"), "m");
    EXPECT_EQ(view.string("options.timeseries.granularity"), "minutes");
    EXPECT_EQ(view.number("options.timeseries.bucketMaxSpanSeconds"), 86400);
    EXPECT_EQ(view.number("options.expireAfterSeconds"), 604800);
    EXPECT_FALSE(view.boolean("info.readOnly"));
    EXPECT_FALSE(view.has("options.viewOn"));

    Bson buckets = list_entry("system.buckets.c");
    EXPECT_EQ(buckets.string("type"), "collection");
    EXPECT_TRUE(buckets.boolean("options.clusteredIndex"));
    EXPECT_EQ(buckets.string("options.validator.$jsonSchema.bsonType"), "object");
    EXPECT_EQ(buckets.number("options.expireAfterSeconds"), 604800);
    EXPECT_FALSE(buckets.has("idIndex"));
}

// 6.3+ gives a collection with a metaField the index {<meta>: 1, <time>: 1}, built on the
// buckets as {meta: 1, control.min.<time>: 1, control.max.<time>: 1}; listIndexes on the
// time-series collection shows it in measurement terms.
TEST_F(TimeseriesTest, ListIndexesShowsTheDefaultIndexInMeasurementTerms) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": "m"}})");
    auto specs = first_batch(ok(R"({"listIndexes": "c"})"));
    ASSERT_EQ(specs.size(), 1u);
    EXPECT_EQ(specs[0].string("name"), "m_1_t_1");
    EXPECT_EQ(specs[0].document("key").json(), Bson::from_json(R"({"m": 1, "t": 1})").json());
    auto buckets = first_batch(ok(R"({"listIndexes": "system.buckets.c"})"));
    bool found = false;
    for (const Bson& spec : buckets) {
        if (spec.string("name") != "m_1_t_1") continue;
        found = true;
        EXPECT_NE(spec.document("key").json().find("\"control.min.t\""), std::string::npos)
            << spec.json();
    }
    EXPECT_TRUE(found);
}

TEST_F(TimeseriesTest, DefaultBucketingFollowsGranularity) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t"}})");
    Bson view = list_entry("c");
    EXPECT_EQ(view.string("options.timeseries.granularity"), "seconds");
    EXPECT_EQ(view.number("options.timeseries.bucketMaxSpanSeconds"), 3600);
    EXPECT_FALSE(view.has("options.timeseries.metaField"));
}

// jstests/noPassthrough/timeseries_create.js: the refused options and their codes.
TEST_F(TimeseriesTest, CreateRefusesInvalidOptionsAsMongod) {
    fails(R"({"create": "c", "timeseries": ""})", 14);
    fails(R"({"create": "c", "timeseries": {"timeField": 100}})", 14);
    fails(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": 100}})", 14);
    fails(R"({"create": "c", "timeseries": {"metaField": "m"}})", 40414);
    fails(R"({"create": "c", "timeseries": {"timeField": "t", "invalidOption": {}}})", 40415);
    fails(R"({"create": "c", "timeseries": {"timeField": "sub.t"}})", 72);
    fails(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": "sub.m"}})", 72);
    fails(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": "t"}})", 72);
    fails(R"({"create": "c", "timeseries": {"timeField": "t", "granularity": "days"}})", 2);
    fails(R"({"create": "c", "timeseries": {"timeField": "t", "bucketMaxSpanSeconds": 10}})", 72);
    fails(R"({"create": "c", "timeseries": {"timeField": "t", "granularity": "minutes",
              "bucketMaxSpanSeconds": 3600}})",
          72);
    for (const char* option :
         {R"("capped": true, "size": 100)", R"("validator": {})", R"("viewOn": "x")",
          R"("clusteredIndex": false)", R"("validationLevel": "off")"}) {
        fails(std::string(R"({"create": "c", "timeseries": {"timeField": "t"}, )") + option + "}",
              72);
    }
    fails(R"({"create": "c", "timeseries": {"timeField": "t"}, "expireAfterSeconds": -10})", 72);
    fails(R"({"create": "c", "timeseries": {"timeField": "t"}, "expireAfterSeconds": ""})", 14);
    EXPECT_TRUE(first_batch(ok(R"({"listCollections": 1})")).empty());

    ok(R"({"create": "c"})");
    fails(R"({"create": "c", "timeseries": {"timeField": "t"}})", 48);
}

// Manual, "create": bucketMaxSpanSeconds and bucketRoundingSeconds (6.3+) are set together, equal,
// and without granularity.
TEST_F(TimeseriesTest, CustomBucketingNeedsEqualSpanAndRounding) {
    fails(R"({"create": "c", "timeseries": {"timeField": "t", "bucketMaxSpanSeconds": 3600,
              "bucketRoundingSeconds": 60}})",
          72);
    ok(R"({"create": "c", "timeseries": {"timeField": "t", "bucketMaxSpanSeconds": 7200,
           "bucketRoundingSeconds": 7200}})");
    Bson view = list_entry("c");
    EXPECT_EQ(view.number("options.timeseries.bucketMaxSpanSeconds"), 7200);
    EXPECT_EQ(view.number("options.timeseries.bucketRoundingSeconds"), 7200);
    EXPECT_FALSE(view.has("options.timeseries.granularity"));
}

// Manual, "Time Series Internals" / change_streams/timeseries.js: measurements of one meta value
// within a bucket's span share a bucket: control.min/max per field (min time rounded down),
// columns keyed by row.
TEST_F(TimeseriesTest, InsertsAreBucketedByMetaAndReadBackThroughTheView) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": "m"}})");
    insert("[{\"_id\": 1, \"t\": " + date_at(kBase) + R"(, "m": {"a": 1, "b": 2}, "v": 5}])");
    insert("[{\"_id\": 2, \"t\": " + date_at(kBase + 60000) +
           R"(, "m": {"b": 2, "a": 1}, "v": 3}])");
    insert("[{\"_id\": 3, \"t\": " + date_at(kBase + 30000) + R"(, "m": "other", "v": 9}])");

    auto buckets = find("system.buckets.c", "{}", R"({"sort": {"control.max.v": 1}})");
    ASSERT_EQ(buckets.size(), 2u);
    const Bson& shared = buckets[0];
    for (auto [path, expected] : {std::pair{"control.version", 1},
                                  {"control.min.v", 3},
                                  {"control.max.v", 5},
                                  {"control.min._id", 1},
                                  {"control.max._id", 2},
                                  {"meta.a", 1},
                                  {"data.v.0", 5},
                                  {"data.v.1", 3},
                                  {"data._id.1", 2}}) {
        EXPECT_EQ(shared.number(path), expected) << path << " in " << shared.json();
    }
    EXPECT_FALSE(shared.has("data.m"));
    // 2019-03-18T22:53:50.482Z rounded down to the minute (granularity "seconds").
    EXPECT_EQ(
        find("system.buckets.c", "{\"control.min.t\": " + date_at(1552949580000) + "}").size(), 1u);

    auto measurements = find("c", "{}", R"({"sort": {"t": 1}})");
    ASSERT_EQ(measurements.size(), 3u);
    EXPECT_EQ(measurements[0].number("_id"), 1);
    EXPECT_EQ(measurements[1].number("_id"), 3);
    EXPECT_EQ(measurements[1].string("m"), "other");
    EXPECT_EQ(measurements[2].number("v"), 3);
    EXPECT_EQ(find("c", R"({"v": {"$gt": 4}})").size(), 2u);
    EXPECT_EQ(ok(R"({"count": "c", "query": {"m.a": 1}})").number("n"), 2);
    Bson grouped = ok(R"({"aggregate": "c", "pipeline": [{"$group": {"_id": null,
                         "total": {"$sum": "$v"}}}], "cursor": {}})");
    EXPECT_EQ(grouped.number("cursor.firstBatch.0.total"), 17);
}

// mongod refuses writes to a time-series collection in a multi-document transaction with
// OperationNotSupportedInTransaction (263), and the transaction is gone (251): inserts (jstests
// core/timeseries/timeseries_insert_in_txn.js), deletes and updates (jstests: "deleting and
// updating time-series collections from a multi-document transaction is disallowed").
TEST_F(TimeseriesTest, WritesInATransactionAreNotSupported) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": "m"}})");
    const std::string lsid = random_lsid_field();
    auto in_txn = [&](int txn) {
        return ", " + lsid + R"(, "txnNumber": {"$numberLong": ")" + std::to_string(txn) +
               R"("}, "autocommit": false)";
    };
    const std::string statements[] = {
        R"({"insert": "c", "documents": [{"t": )" + date_at(kBase) + "}]",
        R"({"delete": "c", "deletes": [{"q": {"m": "a"}, "limit": 0}])",
        R"({"update": "c", "updates": [{"q": {"m": "a"}, "u": {"$set": {"b": 1}}, "multi": true}])"};
    for (int txn = 1; txn <= 3; ++txn) {
        const std::string& statement = statements[txn - 1];
        CommandResult write = run(statement + in_txn(txn) + R"(, "startTransaction": true})");
        EXPECT_EQ(write.code, 263) << statement << " -> " << write.reply.json();
        EXPECT_EQ(run_admin(R"({"commitTransaction": 1)" + in_txn(txn) + "}").code, 251);
    }
    EXPECT_EQ(find("c").size(), 0u);
}

// An insert resolves the time-series collection's buckets and writes them under one lock: with
// the collection dropped and created again meanwhile, a measurement lands in a bucket of the
// new collection or makes a plain "c", never a raw document in a plain system.buckets.c.
TEST_F(TimeseriesTest, InsertRacingADropAndCreateNeverWritesARawBucket) {
    const std::string create = R"({"create": "c", "timeseries": {"timeField": "t"}})";
    ok(create);
    std::atomic<bool> stop = false;
    testsupport::Client other(server_->uri);
    std::thread inserter([&] {
        while (!stop) {
            other.run_command(db_,
                              R"({"insert": "c", "documents": [{"t": )" + date_at(kBase) + "}]}");
        }
    });
    for (int i = 0; i < 3000; ++i) {
        run(R"({"drop": "c"})");
        run(create);
    }
    stop = true;
    inserter.join();
    EXPECT_EQ(find("system.buckets.c", R"({"control": {"$exists": false}})").size(), 0u);
}

TEST_F(TimeseriesTest, MeasurementsOutsideTheSpanOpenANewBucket) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t"}})");
    insert("[{\"t\": " + date_at(kBase) + "}, {\"t\": " + date_at(kBase + 3600 * 1000) + "}]");
    EXPECT_EQ(find("system.buckets.c").size(), 2u);
    EXPECT_EQ(find("c").size(), 2u);
}

// The spec test "insertMany with duplicate ids": measurements have no unique _id.
TEST_F(TimeseriesTest, DuplicateIdsAndMissingTimes) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t"}})");
    insert("[{\"_id\": 1, \"t\": " + date_at(kBase) +
           "}, {\"_id\": 1, \"t\": " + date_at(kBase + 1) + "}]");
    EXPECT_EQ(find("c").size(), 2u);
    Bson reply = ok(R"({"insert": "c", "documents": [{"_id": 2}, {"_id": 3, "t": "noon"}],
                        "ordered": false})");
    EXPECT_EQ(reply.number("n"), 0);
    EXPECT_EQ(reply.number("writeErrors.0.code"), 2);
    EXPECT_EQ(reply.number("writeErrors.1.code"), 2);
    EXPECT_NE(reply.string("writeErrors.0.errmsg").find("'t' must be present"), std::string::npos);
}

// Manual, "Time Series Collection Limitations", Deletes: 7.0 deletes take any filter and limit; a
// bucket keeps the measurements that did not match, an emptied bucket goes.
TEST_F(TimeseriesTest, DeletesRemoveMatchingMeasurementsFromTheirBuckets) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": "m"}})");
    insert("[{\"_id\": 1, \"t\": " + date_at(kBase) + R"(, "m": 1, "v": 1},
              {"_id": 2, "t": )" +
           date_at(kBase + 1000) + R"(, "m": 1, "v": 2},
              {"_id": 3, "t": )" +
           date_at(kBase + 2000) + R"(, "m": 1, "v": 3},
              {"_id": 4, "t": )" +
           date_at(kBase) + R"(, "m": 2, "v": 4}])");
    Bson one = ok(R"({"delete": "c", "deletes": [{"q": {"v": {"$gte": 2}}, "limit": 1}]})");
    EXPECT_EQ(one.number("n"), 1) << one.json();
    Bson many = ok(R"({"delete": "c", "deletes": [{"q": {"v": {"$in": [1, 4]}}, "limit": 0}]})");
    EXPECT_EQ(many.number("n"), 2) << many.json();
    auto left = find("c");
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].number("v"), 3);
    auto buckets = find("system.buckets.c");
    ASSERT_EQ(buckets.size(), 1u);
    EXPECT_EQ(buckets[0].number("control.min.v"), 3);
    EXPECT_EQ(buckets[0].number("control.max.v"), 3);
    EXPECT_EQ(buckets[0].number("data.v.0"), 3);
}

TEST_F(TimeseriesTest, DropDropsTheViewAndItsBuckets) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t"}})");
    insert("[{\"t\": " + date_at(kBase) + "}]");
    ok(R"({"drop": "c"})");
    EXPECT_TRUE(first_batch(ok(R"({"listCollections": 1})")).empty());
}

// noPassthrough/timeseries_change_streams.js: no stream on the view (166) or the buckets (73).
// change_streams/timeseries.js: bucket events reach a database stream only with
// showSystemEvents (6.0+).
TEST_F(TimeseriesTest, ChangeStreamsSeeBucketWritesOnlyWithShowSystemEvents) {
    ok(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": "m"}})");
    fails(R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}], "cursor": {}})", 166);
    fails(R"({"aggregate": "system.buckets.c", "pipeline": [{"$changeStream": {}}], "cursor": {}})",
          73);
    auto open = [&](const char* options) {
        return ok(std::string(R"({"aggregate": 1, "pipeline": [{"$changeStream": )") + options +
                  R"(}, {"$match": {"operationType": "insert"}}], "cursor": {}})")
            .number("cursor.id");
    };
    int64_t with_system = open(R"({"showSystemEvents": true})");
    int64_t without = open("{}");
    insert("[{\"_id\": 1, \"t\": " + date_at(kBase) + R"(, "m": 7}])");
    ok(R"({"insert": "plain", "documents": [{"_id": 3}]})");
    auto next_batch = [&](int64_t id) {
        std::vector<Bson> events;
        EXPECT_TRUE(testsupport::eventually(
            [&] {
                auto batch =
                    first_batch(ok(R"({"getMore": )" + std::to_string(id) +
                                   R"(, "collection": "$cmd.aggregate", "maxTimeMS": 200})"),
                                "cursor.nextBatch");
                events.insert(events.end(), batch.begin(), batch.end());
                return !events.empty() && events.back().string("ns.coll") == "plain";
            },
            20s));
        return events;
    };
    auto seen = next_batch(with_system);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].string("ns.coll"), "system.buckets.c");
    EXPECT_EQ(seen[0].number("fullDocument.meta"), 7);
    EXPECT_EQ(seen[0].number("fullDocument.data._id.0"), 1);
    auto hidden = next_batch(without);
    ASSERT_EQ(hidden.size(), 1u);
    EXPECT_EQ(hidden[0].string("ns.coll"), "plain");
}

// Manual, "Set up Automatic Removal for Time Series Collections (TTL)": a bucket goes when all
// its measurements are older than expireAfterSeconds.
TEST_F(TimeseriesTest, TtlMonitorRemovesExpiredBuckets) {
    auto admin = [&](const char* command) { EXPECT_TRUE(run_admin(command).ok) << command; };
    admin(R"({"setParameter": 1, "ttlMonitorSleepSecs": 1})");
    ok(R"({"create": "c", "timeseries": {"timeField": "t"}, "expireAfterSeconds": 60})");
    insert("[{\"_id\": 1, \"t\": " + date_at(1000000000000) +
           "}, {\"_id\": 2, \"t\": " + date_at(4102444800000) + "}]");
    EXPECT_TRUE(testsupport::eventually([&] { return find("c").size() == 1u; }, 30s));
    auto left = find("c");
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].number("_id"), 2);
    EXPECT_EQ(find("system.buckets.c").size(), 1u);
    admin(R"({"setParameter": 1, "ttlMonitorSleepSecs": 60})");
}

// A bucket an open transaction wrote (directly, in system.buckets) is left for a later TTL pass,
// as mongod's TTL deletes retry their write conflicts; the pass still removes the other expired
// bucket, and the held one goes once the transaction ended.
TEST_F(TimeseriesTest, TtlPassSkipsABucketATransactionHoldsAndRemovesTheOthers) {
    auto admin = [&](const char* command) { EXPECT_TRUE(run_admin(command).ok) << command; };
    ok(R"({"create": "c", "timeseries": {"timeField": "t", "metaField": "m"},
           "expireAfterSeconds": 60})");
    insert("[{\"m\": 1, \"t\": " + date_at(kBase) + "}, {\"m\": 2, \"t\": " + date_at(kBase) +
           "}]");
    const std::string txn =
        random_lsid_field() + R"(, "txnNumber": {"$numberLong": "1"}, "autocommit": false)";
    Bson held = ok(R"({"update": "system.buckets.c", "bypassDocumentValidation": true,)"
                   R"( "updates": [{"q": {"meta": 1}, "u": {"$set": {"x": 1}}}], )" +
                   txn + R"(, "startTransaction": true})");
    ASSERT_EQ(held.number("nModified"), 1) << held.json();
    admin(R"({"setParameter": 1, "ttlMonitorSleepSecs": 1})");
    EXPECT_TRUE(testsupport::eventually([&] { return find("c", R"({"m": 2})").empty(); }, 30s))
        << "the unheld bucket expires";
    EXPECT_EQ(find("c", R"({"m": 1})").size(), 1u) << "the held bucket stays while held";
    EXPECT_TRUE(run_admin(R"({"abortTransaction": 1, )" + txn + "}").ok);
    EXPECT_TRUE(testsupport::eventually([&] { return find("c").empty(); }, 30s));
    admin(R"({"setParameter": 1, "ttlMonitorSleepSecs": 60})");
}

// Time-series collections came in 5.0; 6.3 added bucketRoundingSeconds.
TEST(TimeseriesProfileTest, Profile44RefusesAndProfile60HasNoBucketRounding) {
    SKIP_UNLESS_OWN_SERVERS("profiles are testmongod's");
    auto old = testsupport::ServerProcess::start({"--version-profile", "4.4"});
    EXPECT_EQ(testsupport::Client(old.uri())
                  .run_command("ts", R"({"create": "c", "timeseries": {"timeField": "t"}})")
                  .code,
              72);
    auto six = testsupport::ServerProcess::start({"--version-profile", "6.0"});
    testsupport::Client client(six.uri());
    EXPECT_EQ(client
                  .run_command("ts", R"({"create": "c", "timeseries": {"timeField": "t",
                               "bucketMaxSpanSeconds": 60, "bucketRoundingSeconds": 60}})")
                  .code,
              40415);
    ASSERT_TRUE(
        client.run_command("ts", R"({"create": "c", "timeseries": {"timeField": "t"}})").ok);
    auto listing = client.run_command("ts", R"({"listCollections": 1, "filter": {"name": "c"}})");
    EXPECT_FALSE(listing.reply.has("cursor.firstBatch.0.options.timeseries.bucketRoundingSeconds"));
    EXPECT_EQ(listing.reply.number("cursor.firstBatch.0.options.timeseries.bucketMaxSpanSeconds"),
              3600);
}

}  // namespace
}  // namespace storagetest
