// Integration tests of the reads tributary's initial copy plans with: finds sorted on _id (the
// lowest/highest _id, _id ranges in _id order), $sample as a first stage, and reads that run
// while documents change. Each asserts MongoDB's documented results, whatever plan serves them.
#include <atomic>
#include <set>
#include <string>
#include <thread>

#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class QueryPlanTest : public StorageTest {
  protected:
    // Inserts {_id: i, v: i * 10} for i in [0, count), in an order unlike _id order (so natural
    // order and _id order differ).
    void insert_numbered(int count, const std::string& coll = "c") {
        std::string docs;
        for (int n = 0; n < count; ++n) {
            int i =
                (n * 7919) % count;  // 7919 is prime: a permutation when count is not its multiple
            docs += (docs.empty() ? "" : ",") + std::string("{\"_id\": ") + std::to_string(i) +
                    ", \"v\": " + std::to_string(i * 10) + "}";
            if ((n + 1) % 1000 == 0 || n + 1 == count) {
                ok(R"({"insert": ")" + coll + R"(", "documents": [)" + docs + "]}");
                docs.clear();
            }
        }
    }

    std::vector<int64_t> ids_of(const std::vector<Bson>& docs) {
        std::vector<int64_t> ids;
        for (const Bson& doc : docs)
            ids.push_back(doc.number("_id"));
        return ids;
    }

    std::vector<Bson> aggregate(const std::string& pipeline) {
        return first_batch(
            ok(R"({"aggregate": "c", "cursor": {"batchSize": 100000}, "pipeline": )" + pipeline +
               "}"));
    }
};

using Ids = std::vector<int64_t>;

TEST_F(QueryPlanTest, IdSortWithLimitOneReturnsLowestAndHighestId) {
    insert_numbered(500);
    auto lowest = find("c", "{}", R"({"sort": {"_id": 1}, "limit": 1, "projection": {"_id": 1}})");
    auto highest =
        find("c", "{}", R"({"sort": {"_id": -1}, "limit": 1, "projection": {"_id": 1}})");
    ASSERT_EQ(lowest.size(), 1u);
    ASSERT_EQ(highest.size(), 1u);
    EXPECT_EQ(lowest[0].json(), R"({ "_id" : 0 })");
    EXPECT_EQ(highest[0].json(), R"({ "_id" : 499 })");
}

TEST_F(QueryPlanTest, IdSortReturnsEveryDocumentInIdOrderAcrossBatches) {
    insert_numbered(300);
    auto docs = find("c", "{}", R"({"sort": {"_id": -1}, "batchSize": 7})");
    ASSERT_EQ(docs.size(), 300u);
    for (size_t i = 0; i < docs.size(); ++i) {
        EXPECT_EQ(docs[i].number("_id"), 299 - static_cast<int64_t>(i));
        EXPECT_EQ(docs[i].number("v"), (299 - static_cast<int64_t>(i)) * 10);
    }
}

TEST_F(QueryPlanTest, IdSortWithIdRangeSkipLimitAndProjection) {
    insert_numbered(100);
    auto docs = find("c", R"({"_id": {"$gte": 10, "$lt": 40}})",
                     R"({"sort": {"_id": 1}, "skip": 3, "limit": 5, "projection": {"v": 1}})");
    EXPECT_EQ(ids_of(docs), (Ids{13, 14, 15, 16, 17}));
    ASSERT_EQ(docs.size(), 5u);
    EXPECT_EQ(docs[0].json(), R"({ "_id" : 13, "v" : 130 })");
    auto reverse = find("c", R"({"_id": {"$gt": 10, "$lte": 40}})",
                        R"({"sort": {"_id": -1}, "skip": 2, "limit": 3})");
    EXPECT_EQ(ids_of(reverse), (Ids{38, 37, 36}));
}

TEST_F(QueryPlanTest, IdSortWithInListFollowsSortDirection) {
    insert_numbered(50);
    auto docs = find("c", R"({"_id": {"$in": [7, 3, 41, 99, 3]}})", R"({"sort": {"_id": -1}})");
    EXPECT_EQ(ids_of(docs), (Ids{41, 7, 3}));
}

TEST_F(QueryPlanTest, IdSortWithFilterOnOtherFieldsAppliesFilterInIdOrder) {
    insert_numbered(200);
    auto docs = find("c", R"({"v": {"$gte": 1000, "$lt": 1500}, "_id": {"$ne": 120}})",
                     R"({"sort": {"_id": 1}, "limit": 4})");
    EXPECT_EQ(ids_of(docs), (Ids{100, 101, 102, 103}));
    auto last = find("c", R"({"v": {"$lt": 500}})", R"({"sort": {"_id": -1}, "limit": 2})");
    EXPECT_EQ(ids_of(last), (Ids{49, 48}));
}

// Manual, "Comparison/Sort Order": numbers < strings < objects < ObjectId; a range on _id only
// matches values of the bound's type ("Query predicates ... type bracketing").
TEST_F(QueryPlanTest, IdSortOrdersMixedTypesByBsonTypeOrder) {
    ok(R"({"insert": "c", "documents": [{"_id": {"$oid": "5f0000000000000000000001"}},
        {"_id": "b"}, {"_id": 2.5}, {"_id": {"k": 1}}, {"_id": 1}, {"_id": "a"}]})");
    auto docs = find("c", "{}", R"({"sort": {"_id": 1}})");
    ASSERT_EQ(docs.size(), 6u);
    EXPECT_EQ(docs[0].number("_id"), 1);
    EXPECT_EQ(docs[2].string("_id"), "a");
    EXPECT_EQ(docs[3].string("_id"), "b");
    EXPECT_TRUE(docs[4].has("_id.k"));
    auto highest = find("c", "{}", R"({"sort": {"_id": -1}, "limit": 1})");
    ASSERT_EQ(highest.size(), 1u);
    EXPECT_EQ(highest[0].json(), R"({ "_id" : { "$oid" : "5f0000000000000000000001" } })");
    auto numbers = find("c", R"({"_id": {"$gte": 0}})", R"({"sort": {"_id": -1}})");
    ASSERT_EQ(numbers.size(), 2u);
    EXPECT_EQ(numbers[0].json(), R"({ "_id" : 2.5 })");
    // Two bounds of one type: the walk between them visits only that type.
    auto between = find("c", R"({"_id": {"$gte": 0, "$lt": 3}})", R"({"sort": {"_id": 1}})");
    ASSERT_EQ(between.size(), 2u);
    EXPECT_EQ(between[0].json(), R"({ "_id" : 1 })");
    EXPECT_EQ(between[1].json(), R"({ "_id" : 2.5 })");
    auto strings = find("c", R"({"_id": {"$gt": "a", "$lte": "b"}})", R"({"sort": {"_id": 1}})");
    ASSERT_EQ(strings.size(), 1u);
    EXPECT_EQ(strings[0].string("_id"), "b");
    // NaN sorts below every number, but {$gte: NaN} matches NaN alone and {$lt: 3} not NaN: the
    // index walk from NaN to 3 visits NaN, 1 and 2.5, none of which matches.
    ok(R"({"insert": "c", "documents": [{"_id": {"$numberDouble": "NaN"}}]})");
    auto nan = find("c", R"({"_id": {"$gte": {"$numberDouble": "NaN"}, "$lt": 3}})",
                    R"({"sort": {"_id": 1}})");
    EXPECT_EQ(nan.size(), 0u);
}

// Manual, "Collation": a query's collation orders its sort; the _id index (simple collation)
// cannot serve it, so string _ids come back in collation order.
TEST_F(QueryPlanTest, IdSortUnderQueryCollationOrdersStringIdsByCollation) {
    ok(R"({"insert": "c", "documents": [{"_id": "B"}, {"_id": "a"}, {"_id": "C"}]})");
    auto docs =
        find("c", "{}", R"({"sort": {"_id": 1}, "collation": {"locale": "en", "strength": 2}})");
    ASSERT_EQ(docs.size(), 3u);
    EXPECT_EQ(docs[0].string("_id"), "a");
    EXPECT_EQ(docs[1].string("_id"), "B");
    EXPECT_EQ(docs[2].string("_id"), "C");
    auto first = find("c", "{}",
                      R"({"sort": {"_id": -1}, "limit": 1,
                          "collation": {"locale": "en", "strength": 2}})");
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].string("_id"), "C");
}

TEST_F(QueryPlanTest, IdSortOnViewAppliesViewPipelineFirst) {
    insert_numbered(30);
    ok(R"({"create": "odd", "viewOn": "c", "pipeline": [{"$match": {"v": {"$mod": [20, 10]}}}]})");
    auto docs = find("odd", "{}", R"({"sort": {"_id": -1}, "limit": 2})");
    EXPECT_EQ(ids_of(docs), (Ids{29, 27}));
}

TEST_F(QueryPlanTest, CountAndDistinctWithFilters) {
    insert_numbered(120);
    Bson count = ok(R"({"count": "c", "query": {"v": {"$gte": 1000}}})");
    EXPECT_EQ(count.number("n"), 20);
    Bson distinct = ok(R"({"distinct": "c", "key": "v", "query": {"_id": {"$lt": 3}}})");
    EXPECT_EQ(distinct.document("values").json(), R"({ "0" : 0, "1" : 10, "2" : 20 })");
}

// Manual, "$sample": with N under 5% of more than 100 documents as the first stage, a
// pseudo-random cursor selects the documents, and no document is returned twice.
TEST_F(QueryPlanTest, SampleOfSmallFractionIsDistinctAndSpreadOverTheCollection) {
    insert_numbered(10000);
    auto docs = aggregate(R"([{"$sample": {"size": 200}}, {"$project": {"_id": 1}}])");
    ASSERT_EQ(docs.size(), 200u);
    std::set<int64_t> ids;
    int low_half = 0;
    for (const Bson& doc : docs) {
        int64_t id = doc.number("_id");
        EXPECT_GE(id, 0);
        EXPECT_LT(id, 10000);
        ids.insert(id);
        if (id < 5000) ++low_half;
    }
    EXPECT_EQ(ids.size(), 200u);
    // Binomial(200, 1/2): 100 ± 7 (one standard deviation); 50..150 fails once in ~10^12 runs.
    EXPECT_GT(low_half, 50);
    EXPECT_LT(low_half, 150);
}

TEST_F(QueryPlanTest, SampleFollowedBySortGivesSortedDistinctIds) {
    insert_numbered(4000);
    auto docs = aggregate(
        R"([{"$sample": {"size": 64}}, {"$project": {"_id": 1}}, {"$sort": {"_id": 1}}])");
    ASSERT_EQ(docs.size(), 64u);
    for (size_t i = 1; i < docs.size(); ++i)
        EXPECT_LT(docs[i - 1].number("_id"), docs[i].number("_id"));
}

TEST_F(QueryPlanTest, SampleOfLargeFractionOrSmallCollectionReturnsDistinctDocuments) {
    insert_numbered(1000);
    EXPECT_EQ(aggregate(R"([{"$sample": {"size": 100}}])").size(), 100u);
    auto all = aggregate(R"([{"$sample": {"size": 5000}}])");
    ASSERT_EQ(all.size(), 1000u);
    auto ids = ids_of(all);
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 1000u);
}

TEST_F(QueryPlanTest, SampleAfterDeletesReturnsOnlyRemainingDocuments) {
    insert_numbered(10000);
    ok(R"({"delete": "c", "deletes": [{"q": {"v": {"$mod": [20, 0]}}, "limit": 0}]})");
    auto half = aggregate(R"([{"$sample": {"size": 100}}])");
    ASSERT_EQ(half.size(), 100u);
    for (const Bson& doc : half)
        EXPECT_EQ(doc.number("_id") % 2, 1);
    ok(R"({"delete": "c", "deletes": [{"q": {"_id": {"$gte": 200}}, "limit": 0}]})");
    auto rest = aggregate(R"([{"$sample": {"size": 4}}])");  // 100 left: 4 is under 5%, not > 100
    ASSERT_EQ(rest.size(), 4u);
    for (const Bson& doc : rest)
        EXPECT_LT(doc.number("_id"), 200);
}

TEST_F(QueryPlanTest, SampleAsFirstStageOfViewAndLaterStage) {
    insert_numbered(3000);
    ok(R"({"create": "small", "viewOn": "c", "pipeline": [{"$match": {"_id": {"$lt": 10}}}]})");
    auto from_view = first_batch(
        ok(R"({"aggregate": "small", "cursor": {}, "pipeline": [{"$sample": {"size": 5}}]})"));
    ASSERT_EQ(from_view.size(), 5u);
    for (const Bson& doc : from_view)
        EXPECT_LT(doc.number("_id"), 10);
    auto later = aggregate(R"([{"$match": {"_id": {"$gte": 2990}}}, {"$sample": {"size": 20}}])");
    EXPECT_EQ(later.size(), 10u);
}

// Reads longer than testmongod's copy chunk (it lets writers in between chunks, as mongod's plans
// yield) still return every document once, in order.
TEST_F(QueryPlanTest, LongReadsReturnEveryDocumentOnceInOrder) {
    insert_numbered(10000);
    auto ascending = find("c", "{}", R"({"sort": {"_id": 1}, "batchSize": 5000})");
    ASSERT_EQ(ascending.size(), 10000u);
    for (size_t i = 0; i < ascending.size(); ++i)
        ASSERT_EQ(ascending[i].number("_id"), static_cast<int64_t>(i));
    auto descending = find("c", R"({"_id": {"$gte": 1000}})", R"({"sort": {"_id": -1}})");
    ASSERT_EQ(descending.size(), 9000u);
    for (size_t i = 0; i < descending.size(); ++i)
        ASSERT_EQ(descending[i].number("_id"), 9999 - static_cast<int64_t>(i));
    auto natural = ids_of(find("c", R"({"v": {"$gte": 0}})"));
    ASSERT_EQ(natural.size(), 10000u);
    EXPECT_EQ(std::set<int64_t>(natural.begin(), natural.end()).size(), 10000u);
    auto counted = aggregate(R"([{"$match": {"v": {"$gte": 50000}}}, {"$count": "n"}])");
    ASSERT_EQ(counted.size(), 1u);
    EXPECT_EQ(counted[0].number("n"), 5000);
}

// Manual, "Cursor isolation": a read may or may not see documents inserted while it runs, but it
// returns each document at most once (the _id index walk and the natural-order scan both resume
// where they stopped).
TEST_F(QueryPlanTest, ReadsDuringConcurrentInsertsReturnEachDocumentOnce) {
    insert_numbered(10000);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        testsupport::Client client(server_->uri);
        for (int id = 100000; !stop.load(); ++id) {
            auto result = client.run_command(
                db_, R"({"insert": "c", "documents": [{"_id": )" + std::to_string(id) +
                         R"(, "v": 0}, {"_id": )" + std::to_string(-id) + R"(, "v": 0}]})");
            ASSERT_TRUE(result.ok) << result.error;
        }
    });
    for (int read = 0; read < 5; ++read) {
        auto sorted = ids_of(find("c", "{}", R"({"sort": {"_id": 1}, "batchSize": 100000})"));
        ASSERT_GE(sorted.size(), 10000u);
        for (size_t i = 1; i < sorted.size(); ++i)
            ASSERT_LT(sorted[i - 1], sorted[i]);
        auto natural = ids_of(find("c", R"({"v": {"$gte": 0}})"));
        ASSERT_GE(natural.size(), 10000u);
        EXPECT_EQ(std::set<int64_t>(natural.begin(), natural.end()).size(), natural.size());
    }
    stop.store(true);
    writer.join();
}

// Reads copy what they return while documents change: every document a read returns is one a
// write stored (its two fields always written together), never a mix.
TEST_F(QueryPlanTest, ReadsDuringConcurrentUpdatesSeeWholeDocuments) {
    std::string docs;
    for (int i = 0; i < 200; ++i)
        docs += (i ? "," : "") + std::string("{\"_id\": ") + std::to_string(i) +
                ", \"a\": 0, \"b\": 0}";
    ok(R"({"insert": "c", "documents": [)" + docs + "]}");
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        testsupport::Client client(server_->uri);
        for (int round = 1; !stop.load(); ++round) {
            std::string r = std::to_string(round);
            auto result = client.run_command(
                db_, R"({"update": "c", "updates": [{"q": {}, "u": {"$set": {"a": )" + r +
                         R"(, "b": )" + r + R"(}}, "multi": true}]})");
            ASSERT_TRUE(result.ok) << result.error;
        }
    });
    for (int read = 0; read < 20; ++read) {
        auto found = find("c", R"({"a": {"$gte": 0}})", R"({"sort": {"_id": 1}})");
        ASSERT_EQ(found.size(), 200u);
        for (const Bson& doc : found)
            ASSERT_EQ(doc.number("a"), doc.number("b"));
        auto aggregated = aggregate(R"([{"$match": {"b": {"$gte": 0}}}])");
        ASSERT_EQ(aggregated.size(), 200u);
        for (const Bson& doc : aggregated)
            ASSERT_EQ(doc.number("a"), doc.number("b"));
    }
    stop.store(true);
    writer.join();
}

}  // namespace
}  // namespace storagetest
