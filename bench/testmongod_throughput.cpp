// testmongod_throughput: insert and scan rates of one client against testmongod, each also given
// as a ratio to what the same client code achieves with libbson alone (no server) in the same run.
#include <mongoc/mongoc.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "sample_document.h"

namespace {

struct Options {
    std::string uri;
    int docs = 200000;
    int batch = 1000;
    int repeat = 3;
};

// Targets from the issue, on the 2-core reference machine.
constexpr double kInsertTarget = 150000;
constexpr double kScanTarget = 300000;

using bench::fail;
using bench::seconds_since;

// Builds one batch of documents [first, first + count) into docs (already allocated).
void build_batch(bson_t** docs, int first, int count) {
    for (int i = 0; i < count; ++i) {
        docs[i] = bson_new();
        bench::append_sample_document(docs[i], first + i);
    }
}

void destroy_batch(bson_t** docs, int count) {
    for (int i = 0; i < count; ++i)
        bson_destroy(docs[i]);
}

// Client-side baseline for inserts: build each batch and serialise it into one command-like
// document (the copy the driver makes into its OP_MSG document sequence), no server involved.
double produce_rate_without_server(const Options& options) {
    auto** docs = static_cast<bson_t**>(bson_malloc(sizeof(bson_t*) * options.batch));
    auto start = std::chrono::steady_clock::now();
    int64_t bytes = 0;
    for (int first = 0; first < options.docs; first += options.batch) {
        int count = std::min(options.batch, options.docs - first);
        build_batch(docs, first, count);
        bson_t sequence = BSON_INITIALIZER;
        for (int i = 0; i < count; ++i)
            bson_append_document(&sequence, "0", 1, docs[i]);
        bytes += sequence.len;
        bson_destroy(&sequence);
        destroy_batch(docs, count);
    }
    double seconds = seconds_since(start);
    bson_free(docs);
    return bytes > 0 ? options.docs / seconds : 0;
}

// The documents as one cursor-batch-like array, for the scan baseline.
bson_t* build_scan_buffer(const Options& options) {
    bson_t* batch = bson_new();
    for (int i = 0; i < options.docs; ++i) {
        bson_t doc = BSON_INITIALIZER;
        bench::append_sample_document(&doc, i);
        bson_append_document(batch, "0", 1, &doc);
        bson_destroy(&doc);
    }
    return batch;
}

// Client-side baseline for scans: walk the same documents from one buffer, as a cursor batch.
double consume_rate_without_server(const Options& options, const bson_t* batch) {
    auto start = std::chrono::steady_clock::now();
    int64_t sum = 0;
    bson_iter_t iter;
    bson_iter_init(&iter, batch);
    while (bson_iter_next(&iter)) {
        uint32_t len = 0;
        const uint8_t* data = nullptr;
        bson_iter_document(&iter, &len, &data);
        bson_t doc;
        bson_init_static(&doc, data, len);
        sum += bench::consume_sample_document(&doc);
    }
    double seconds = seconds_since(start);
    return sum > 0 ? options.docs / seconds : 0;
}

// Inserts all documents in unordered insert_many batches; returns docs/s.
double insert_rate(mongoc_collection_t* coll, const Options& options) {
    auto** docs = static_cast<bson_t**>(bson_malloc(sizeof(bson_t*) * options.batch));
    bson_t* opts = BCON_NEW("ordered", BCON_BOOL(false));
    auto start = std::chrono::steady_clock::now();
    for (int first = 0; first < options.docs; first += options.batch) {
        int count = std::min(options.batch, options.docs - first);
        build_batch(docs, first, count);
        bench::insert_and_destroy(coll, docs, count, opts, "insert_many");
    }
    double seconds = seconds_since(start);
    bson_destroy(opts);
    bson_free(docs);
    return options.docs / seconds;
}

// Reads every document with find/getMore (batch_size 0: the driver's defaults); returns docs/s.
double scan_rate(mongoc_collection_t* coll, const Options& options, int batch_size) {
    bson_t filter = BSON_INITIALIZER;
    bson_t* opts = batch_size > 0 ? BCON_NEW("batchSize", BCON_INT32(batch_size)) : nullptr;
    auto start = std::chrono::steady_clock::now();
    mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(coll, &filter, opts, nullptr);
    const bson_t* doc = nullptr;
    int64_t seen = 0;
    int64_t sum = 0;
    while (mongoc_cursor_next(cursor, &doc)) {
        ++seen;
        sum += bench::consume_sample_document(doc);
    }
    bson_error_t error;
    if (mongoc_cursor_error(cursor, &error)) fail("find", error);
    double seconds = seconds_since(start);
    mongoc_cursor_destroy(cursor);
    if (opts) bson_destroy(opts);
    if (seen != options.docs || sum <= 0) {
        std::fprintf(stderr, "testmongod_throughput: scanned %lld documents, expected %d\n",
                     static_cast<long long>(seen), options.docs);
        std::exit(1);
    }
    return seen / seconds;
}

// CPU seconds used so far by this process (all threads).
double client_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

// One measurement: the wall-clock rate, and the CPU each side spent per document. The CPU
// figures do not depend on what else the (shared) machine is running.
struct Figures {
    double rate = 0;
    double client_us = 0;
    double server_us = 0;
    // The rate if client and server took turns on one otherwise idle core (request/response).
    double cpu_bound_rate() const { return 1e6 / (client_us + server_us); }
};

Figures median(std::vector<Figures> runs) {
    auto middle = [&](auto field) {
        std::vector<double> values;
        for (const Figures& run : runs)
            values.push_back(run.*field);
        std::sort(values.begin(), values.end());
        return values[values.size() / 2];
    };
    return Figures{middle(&Figures::rate), middle(&Figures::client_us),
                   middle(&Figures::server_us)};
}

// Runs `measure` (which handles options.docs documents and returns docs/s) options.repeat
// times, printing each run; returns the medians.
Figures repeated(const Options& options, pid_t server_pid, const char* label,
                 const std::function<double()>& measure) {
    std::vector<Figures> runs;
    for (int run = 0; run < options.repeat; ++run) {
        double client_before = client_cpu_seconds();
        double server_before = bench::process_cpu_seconds(server_pid);
        Figures figures;
        figures.rate = measure();
        figures.client_us = (client_cpu_seconds() - client_before) * 1e6 / options.docs;
        figures.server_us =
            (bench::process_cpu_seconds(server_pid) - server_before) * 1e6 / options.docs;
        runs.push_back(figures);
        std::printf("  %-30s run %d: %9.0f docs/s  cpu/doc: client %.2f us, server %.2f us\n",
                    label, run + 1, figures.rate, figures.client_us, figures.server_us);
        std::fflush(stdout);
    }
    return median(runs);
}

void report(const char* label, const Figures& server, const Figures& baseline, double target,
            bool server_cpu_known) {
    std::printf("%-22s %9.0f docs/s = %.3f x client-only baseline (%.0f docs/s); target %.0f: %s\n",
                label, server.rate, server.rate / baseline.rate, baseline.rate, target,
                server.rate >= target ? "met" : "NOT met");
    if (!server_cpu_known) return;
    std::printf(
        "%-22s cpu/doc client %.2f us + server %.2f us (baseline %.2f us) -> %.0f docs/s "
        "on one idle core; target %s\n",
        "", server.client_us, server.server_us, baseline.client_us, server.cpu_bound_rate(),
        server.cpu_bound_rate() >= target ? "met" : "NOT met");
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"testmongod insert and scan throughput against a libbson-only baseline"};
    app.add_option("--uri", options.uri,
                   "MongoDB to use instead of a new testmongod (no server CPU figures then)");
    app.add_option("--docs", options.docs, "documents inserted and scanned per run");
    app.add_option("--batch", options.batch, "documents per unordered insert_many");
    app.add_option("--repeat", options.repeat, "runs of each measurement (the median is reported)");
    CLI11_PARSE(app, argc, argv);

    mongoc_init();
    auto server = bench::start_server_unless_given(options.uri);
    bson_t sample = BSON_INITIALIZER;
    bench::append_sample_document(&sample, 123456);
    std::printf("testmongod_throughput: %d docs of %u bytes, batches of %d, %d runs, %s\n",
                options.docs, sample.len, options.batch, options.repeat, options.uri.c_str());
    bson_destroy(&sample);

    std::string db = testsupport::unique_name("bench_tp");
    mongoc_client_t* client = mongoc_client_new(options.uri.c_str());
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "docs");

    pid_t server_pid = server ? server->pid() : -1;
    Figures produce = repeated(options, server_pid, "client-only build",
                               [&] { return produce_rate_without_server(options); });
    Figures insert = repeated(options, server_pid, "insert (unordered batches)", [&] {
        bson_error_t error;
        // NamespaceNotFound (26) on the first run is fine.
        if (!mongoc_collection_drop(coll, &error) &&
            error.code != MONGOC_ERROR_COLLECTION_DOES_NOT_EXIST) {
            fail("drop", error);
        }
        return insert_rate(coll, options);
    });
    bson_t* scan_buffer = build_scan_buffer(options);
    Figures consume = repeated(options, server_pid, "client-only parse",
                               [&] { return consume_rate_without_server(options, scan_buffer); });
    bson_destroy(scan_buffer);
    Figures scan_default = repeated(options, server_pid, "scan (driver default batches)",
                                    [&] { return scan_rate(coll, options, 0); });
    Figures scan_10000 = repeated(options, server_pid, "scan (batchSize 10000)",
                                  [&] { return scan_rate(coll, options, 10000); });

    std::printf("medians:\n");
    report("insert", insert, produce, kInsertTarget, server_pid > 0);
    report("scan, default batches", scan_default, consume, kScanTarget, server_pid > 0);
    report("scan, batchSize 10000", scan_10000, consume, kScanTarget, server_pid > 0);

    bson_t* drop = BCON_NEW("dropDatabase", BCON_INT32(1));
    mongoc_client_command_simple(client, db.c_str(), drop, nullptr, nullptr, nullptr);
    bson_destroy(drop);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    mongoc_cleanup();
    return 0;
}
