// change_stream_throughput: change-stream delivery rate to one reader while a writer inserts in
// batches. Starts its own testmongod (or uses --uri) and prints events/s; target ≥ 100,000.
#include <mongoc/mongoc.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "bench_util.h"

namespace {

struct Options {
    std::string uri;
    int events = 200000;
    int batch = 1000;
};

// Inserts `total` small documents in insert_many batches of `batch`.
void write_documents(const std::string& uri, const std::string& db, int total, int batch) {
    mongoc_client_t* client = mongoc_client_new(uri.c_str());
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "events");
    // A plain array: std::vector<bson_t*> trips -Wignored-attributes (bson_t is over-aligned).
    auto** docs = static_cast<bson_t**>(bson_malloc(sizeof(bson_t*) * batch));
    for (int start = 0; start < total; start += batch) {
        size_t count = 0;
        for (int i = start; i < std::min(total, start + batch); ++i) {
            docs[count++] = BCON_NEW("_id", BCON_INT32(i), "name", BCON_UTF8("event"), "n",
                                     BCON_INT64(int64_t{i} * 7));
        }
        bench::insert_and_destroy(coll, docs, count, nullptr, "insert_many");
    }
    bson_free(docs);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"change-stream delivery rate while a writer inserts in batches"};
    app.add_option("--uri", options.uri, "MongoDB to use instead of a new testmongod");
    app.add_option("--events", options.events, "documents inserted (one event each)");
    app.add_option("--batch", options.batch, "documents per insert_many");
    CLI11_PARSE(app, argc, argv);

    mongoc_init();
    auto server = bench::start_server_unless_given(options.uri);
    std::string db = testsupport::unique_name("bench_cs");
    mongoc_client_t* client = mongoc_client_new(options.uri.c_str());
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "events");
    bson_t* pipeline = BCON_NEW("pipeline", "[", "]");
    bson_t* opts = BCON_NEW("maxAwaitTimeMS", BCON_INT64(1000));
    mongoc_change_stream_t* stream = mongoc_collection_watch(coll, pipeline, opts);
    const bson_t* event = nullptr;
    mongoc_change_stream_next(stream, &event);  // opens the stream before the writer starts

    auto start = std::chrono::steady_clock::now();
    std::thread writer(write_documents, options.uri, db, options.events, options.batch);
    int received = 0;
    bson_error_t error;
    while (received < options.events) {
        if (mongoc_change_stream_next(stream, &event)) {
            ++received;
        } else if (mongoc_change_stream_error_document(stream, &error, nullptr)) {
            bench::fail("reading the change stream", error);
        }
    }
    double seconds = bench::seconds_since(start);
    writer.join();
    std::printf("change_stream_throughput: %d events in %.3f s = %.0f events/s (batches of %d)\n",
                received, seconds, received / seconds, options.batch);

    mongoc_change_stream_destroy(stream);
    bson_destroy(opts);
    bson_destroy(pipeline);
    bson_t* drop = BCON_NEW("dropDatabase", BCON_INT32(1));
    mongoc_client_command_simple(client, db.c_str(), drop, nullptr, nullptr, nullptr);
    bson_destroy(drop);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    mongoc_cleanup();
    return 0;
}
