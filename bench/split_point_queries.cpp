// split_point_queries: the reads tributary's initial copy makes on its source (lowest/highest _id,
// a sorted $sample of _ids, an _id-sorted range read) and how long a write waits behind a read.
#include <mongoc/mongoc.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "support/mongo_client.h"

namespace {

struct Options {
    std::string uri;
    int docs = 200000;
    int payload = 40;  // bytes of filler per document ("small documents")
    int sample = 512;
    int repeat = 5;
    int writes = 2000;
    int reads = 3;
};

using bench::fail;
using bench::seconds_since;

void seed(mongoc_collection_t* coll, const Options& options) {
    const std::string filler(options.payload, 'x');
    constexpr int kBatch = 1000;
    bson_t* docs[kBatch];
    for (int first = 0; first < options.docs; first += kBatch) {
        int count = std::min(kBatch, options.docs - first);
        for (int i = 0; i < count; ++i) {
            docs[i] = BCON_NEW("n", BCON_INT32(first + i), "s", BCON_UTF8(filler.c_str()));
            bson_oid_t oid;
            bson_oid_init(&oid, nullptr);
            // _id first, as a driver adds it: a fresh document with the oid then the fields.
            bson_t* with_id = BCON_NEW("_id", BCON_OID(&oid));
            bson_concat(with_id, docs[i]);
            bson_destroy(docs[i]);
            docs[i] = with_id;
        }
        bench::insert_and_destroy(coll, docs, count, nullptr, "seed insert_many");
    }
}

// Drains a cursor; returns the number of documents.
int64_t drain(mongoc_cursor_t* cursor, const char* what) {
    const bson_t* doc;
    int64_t n = 0;
    while (mongoc_cursor_next(cursor, &doc))
        ++n;
    bson_error_t error;
    if (mongoc_cursor_error(cursor, &error)) fail(what, error);
    mongoc_cursor_destroy(cursor);
    return n;
}

int64_t find(mongoc_collection_t* coll, const char* filter_json, const char* opts_json) {
    bson_error_t error;
    bson_t* filter = bson_new_from_json(reinterpret_cast<const uint8_t*>(filter_json), -1, &error);
    bson_t* opts = bson_new_from_json(reinterpret_cast<const uint8_t*>(opts_json), -1, &error);
    if (!filter || !opts) fail("bad JSON", error);
    int64_t n = drain(mongoc_collection_find_with_opts(coll, filter, opts, nullptr), "find");
    bson_destroy(filter);
    bson_destroy(opts);
    return n;
}

int64_t aggregate(mongoc_collection_t* coll, const std::string& pipeline_json) {
    bson_error_t error;
    bson_t* pipeline =
        bson_new_from_json(reinterpret_cast<const uint8_t*>(pipeline_json.c_str()), -1, &error);
    if (!pipeline) fail("bad JSON", error);
    int64_t n =
        drain(mongoc_collection_aggregate(coll, MONGOC_QUERY_NONE, pipeline, nullptr, nullptr),
              "aggregate");
    bson_destroy(pipeline);
    return n;
}

// Median milliseconds of `repeat` runs of `query`, which must return `expected` documents.
double median_ms(int repeat, int64_t expected, const char* label,
                 const std::function<int64_t()>& query) {
    std::vector<double> ms;
    for (int run = 0; run < repeat; ++run) {
        auto start = std::chrono::steady_clock::now();
        int64_t n = query();
        ms.push_back(seconds_since(start) * 1000);
        if (n != expected) {
            fail(std::string(label) + ": " + std::to_string(n) + " documents, expected " +
                 std::to_string(expected));
        }
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%-44s median %9.2f ms (min %.2f, max %.2f)\n", label, ms[ms.size() / 2],
                ms.front(), ms.back());
    std::fflush(stdout);
    return ms[ms.size() / 2];
}

struct Latency {
    double median_ms;
    double mean_ms;
    double p99_ms;
    double max_ms;
    size_t writes;
};

// insert_one latencies into `coll`: at least `writes` calls, and more while `more()` says so.
Latency insert_latency(mongoc_collection_t* coll, int writes, const std::function<bool()>& more) {
    std::vector<double> ms;
    for (int i = 0; i < writes || more(); ++i) {
        bson_t* doc = BCON_NEW("w", BCON_INT32(i));
        bson_error_t error;
        auto start = std::chrono::steady_clock::now();
        if (!mongoc_collection_insert_one(coll, doc, nullptr, nullptr, &error))
            fail("insert_one", error);
        ms.push_back(seconds_since(start) * 1000);
        bson_destroy(doc);
    }
    std::sort(ms.begin(), ms.end());
    double total = 0;
    for (double one : ms)
        total += one;
    return Latency{ms[ms.size() / 2], total / static_cast<double>(ms.size()),
                   ms[ms.size() * 99 / 100], ms.back(), ms.size()};
}

// Write latency while another client runs whole-collection reads that parse every document
// (a $match on a non-_id field and $count), against the same with no reader. The writes go on
// until `reads` reads completed.
void write_latency(const Options& options, mongoc_collection_t* writes_coll,
                   const std::string& db) {
    Latency idle = insert_latency(writes_coll, options.writes, [] { return false; });
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0};
    std::thread reader([&] {
        mongoc_client_t* client = mongoc_client_new(options.uri.c_str());
        mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "docs");
        while (!stop.load()) {
            aggregate(coll, R"({"pipeline": [{"$match": {"n": {"$gte": 0}}}, {"$count": "n"}]})");
            reads.fetch_add(1);
        }
        mongoc_collection_destroy(coll);
        mongoc_client_destroy(client);
    });
    Latency busy =
        insert_latency(writes_coll, options.writes, [&] { return reads.load() < options.reads; });
    stop.store(true);
    reader.join();
    auto print = [](const char* label, const Latency& latency) {
        std::printf(
            "%-44s median %9.3f ms, mean %8.3f ms, p99 %8.3f ms, max %8.3f ms (%zu writes)\n",
            label, latency.median_ms, latency.mean_ms, latency.p99_ms, latency.max_ms,
            latency.writes);
    };
    print("insert_one latency, idle", idle);
    print("insert_one latency, during full reads", busy);
    std::printf("%-44s mean %.1f x idle (%d reads ran)\n", "", busy.mean_ms / idle.mean_ms,
                reads.load());
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"tributary's split-point queries and write latency behind reads"};
    app.add_option("--uri", options.uri, "MongoDB to use instead of a new testmongod");
    app.add_option("--docs", options.docs, "documents in the collection");
    app.add_option("--payload", options.payload, "filler bytes per document");
    app.add_option("--sample", options.sample, "$sample size");
    app.add_option("--repeat", options.repeat, "runs of each query (the median is reported)");
    app.add_option("--writes", options.writes,
                   "insert_one calls per latency measurement (at least)");
    app.add_option("--reads", options.reads, "whole-collection reads the writes run alongside");
    CLI11_PARSE(app, argc, argv);

    mongoc_init();
    auto server = bench::start_server_unless_given(options.uri);
    std::string db = testsupport::unique_name("bench_split");
    mongoc_client_t* client = mongoc_client_new(options.uri.c_str());
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "docs");
    mongoc_collection_t* writes = mongoc_client_get_collection(client, db.c_str(), "writes");
    std::printf("split_point_queries: %d docs with %d filler bytes, $sample %d, %d runs, %s\n",
                options.docs, options.payload, options.sample, options.repeat, options.uri.c_str());
    auto start = std::chrono::steady_clock::now();
    seed(coll, options);
    std::printf("seeded in %.1f s\n", seconds_since(start));

    const char* id_only = R"({"projection": {"_id": 1}, "limit": 1, "sort": {"_id": %d}})";
    char lowest[128], highest[128];
    std::snprintf(lowest, sizeof lowest, id_only, 1);
    std::snprintf(highest, sizeof highest, id_only, -1);
    median_ms(options.repeat, 1, "find lowest _id (sort 1, limit 1)",
              [&] { return find(coll, "{}", lowest); });
    median_ms(options.repeat, 1, "find highest _id (sort -1, limit 1)",
              [&] { return find(coll, "{}", highest); });
    std::string sample = R"({"pipeline": [{"$sample": {"size": )" + std::to_string(options.sample) +
                         R"(}}, {"$project": {"_id": 1}}, {"$sort": {"_id": 1}}]})";
    median_ms(options.repeat, options.sample, "aggregate $sample + $project + $sort",
              [&] { return aggregate(coll, sample); });
    median_ms(options.repeat, options.docs, "find all, sort _id 1 (batchSize 10000)",
              [&] { return find(coll, "{}", R"({"sort": {"_id": 1}, "batchSize": 10000})"); });
    write_latency(options, writes, db);

    bson_t* drop = BCON_NEW("dropDatabase", BCON_INT32(1));
    mongoc_client_command_simple(client, db.c_str(), drop, nullptr, nullptr, nullptr);
    bson_destroy(drop);
    mongoc_collection_destroy(writes);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    mongoc_cleanup();
    return 0;
}
