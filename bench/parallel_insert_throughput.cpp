// parallel_insert_throughput: whether writers to different collections proceed in parallel on one
// testmongod (issue 9). One client, then two clients at once, each inserting into a collection of
// its own, with small bulk batches and with single-document inserts. Prints documents/s for one
// and for two clients, their ratio (above 1: the second client added throughput; with one lock
// serialising every write it stays near 1), and the testmongod process's CPU seconds per document
// (from /proc/<pid>/stat). As a control, when it starts its own servers, it also runs the two
// clients against two separate testmongod processes: what this machine allows two independent
// writers at that moment, which the one-server figure is compared with ("vs 2 servers": 1 means
// sharing one server cost the writers nothing).
#include <mongoc/mongoc.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "sample_document.h"

namespace {

struct Options {
    std::string uri;
    int docs = 20000;  // per client and run
    int batch = 10;    // documents per bulk insert (the "small bulk" writes)
    int repeat = 3;
};

using bench::fail;
using bench::seconds_since;

// One client's work: `docs` documents into db.<coll>, `batch` per insert command (1: single-
// document inserts with insert_one).
void insert_documents(const std::string& uri, const std::string& db, const std::string& coll,
                      int docs, int batch) {
    mongoc_client_t* client = mongoc_client_new(uri.c_str());
    if (!client) fail("bad --uri " + uri);
    mongoc_collection_t* collection =
        mongoc_client_get_collection(client, db.c_str(), coll.c_str());
    auto** batch_docs = static_cast<bson_t**>(bson_malloc(sizeof(bson_t*) * batch));
    bson_error_t error;
    for (int first = 0; first < docs; first += batch) {
        int count = std::min(batch, docs - first);
        for (int i = 0; i < count; ++i) {
            batch_docs[i] = bson_new();
            bench::append_sample_document(batch_docs[i], first + i);
        }
        if (count == 1) {
            if (!mongoc_collection_insert_one(collection, batch_docs[0], nullptr, nullptr, &error))
                fail("insert_one", error);
            bson_destroy(batch_docs[0]);
        } else {
            bench::insert_and_destroy(collection, batch_docs, count, nullptr, "insert_many");
        }
    }
    bson_free(batch_docs);
    mongoc_collection_destroy(collection);
    mongoc_client_destroy(client);
}

// Drops and creates the clients' collections, so that every run starts from empty collections
// and no run times an implicit creation.
void reset_collections(const std::string& uri, const std::string& db, int clients) {
    mongoc_client_t* client = mongoc_client_new(uri.c_str());
    mongoc_database_t* database = mongoc_client_get_database(client, db.c_str());
    bson_error_t error;
    if (!mongoc_database_drop(database, &error) && error.code != 26) fail("dropDatabase", error);
    for (int i = 0; i < clients; ++i) {
        mongoc_collection_t* coll = mongoc_database_create_collection(
            database, ("lane_" + std::to_string(i)).c_str(), nullptr, &error);
        if (!coll) fail("create", error);
        mongoc_collection_destroy(coll);
    }
    mongoc_database_destroy(database);
    mongoc_client_destroy(client);
}

// The servers clients write to: client i uses uris[i % size]; pids (empty for a server given by
// --uri) are those whose CPU is counted.
struct Servers {
    std::vector<std::string> uris;
    std::vector<pid_t> pids;
};

double servers_cpu_seconds(const Servers& servers) {
    double total = 0;
    for (pid_t pid : servers.pids)
        total += bench::process_cpu_seconds(pid);
    return total;
}

struct Figures {
    double rate = 0;           // documents/s, all clients together
    double server_cpu_us = 0;  // testmongod CPU microseconds per document; 0 when unknown
};

// `clients` threads, each with its own connection and collection, start together; the rate is
// all their documents over the time until the last one finished.
Figures measure(const Options& options, const std::string& db, int clients, int batch,
                const Servers& servers) {
    for (const std::string& uri : servers.uris)
        reset_collections(uri, db, clients);
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; ++i) {
        threads.emplace_back([&, i] {
            ++ready;
            while (!go.load())
                std::this_thread::yield();
            insert_documents(servers.uris[i % servers.uris.size()], db, "lane_" + std::to_string(i),
                             options.docs, batch);
        });
    }
    while (ready.load() < clients)
        std::this_thread::yield();
    double cpu_before = servers_cpu_seconds(servers);
    auto start = std::chrono::steady_clock::now();
    go = true;
    for (auto& thread : threads)
        thread.join();
    double seconds = seconds_since(start);
    double total = static_cast<double>(options.docs) * clients;
    double cpu = servers_cpu_seconds(servers) - cpu_before;
    return Figures{total / seconds, servers.pids.empty() ? 0 : cpu * 1e6 / total};
}

struct Ratios {
    double two_by_one = 0;          // 2 clients on one server / 1 client
    double one_by_two_servers = 0;  // 2 clients on one server / 2 clients on two servers; 0: none
};

// One line per run: the rates, the ratios, the server's CPU per document. Odd runs measure one
// client first, even runs two clients first, so that a machine getting busier or quieter during
// the run does not favour one side.
Ratios run_once(const Options& options, const std::string& db, const char* label, int batch,
                int run, const Servers& one_server, const std::optional<Servers>& two_servers) {
    Figures one, two;
    if (run % 2 == 1) one = measure(options, db, 1, batch, one_server);
    two = measure(options, db, 2, batch, one_server);
    if (run % 2 == 0) one = measure(options, db, 1, batch, one_server);
    Ratios ratios{two.rate / one.rate, 0};
    std::printf("  %-22s run %d: 1 client %8.0f docs/s, 2 clients %8.0f docs/s, ratio %.2f", label,
                run, one.rate, two.rate, ratios.two_by_one);
    if (two_servers) {
        Figures control = measure(options, db, 2, batch, *two_servers);
        ratios.one_by_two_servers = two.rate / control.rate;
        std::printf("; 2 clients on 2 servers %8.0f docs/s, vs 2 servers %.2f", control.rate,
                    ratios.one_by_two_servers);
    }
    if (!one_server.pids.empty()) {
        std::printf("; server cpu/doc %.1f us (1) %.1f us (2)", one.server_cpu_us,
                    two.server_cpu_us);
    }
    std::printf("\n");
    std::fflush(stdout);
    return ratios;
}

void print_spread(const char* label, const char* what, std::vector<double> values) {
    std::sort(values.begin(), values.end());
    std::printf("%-24s %s: median %.2f (min %.2f, max %.2f)\n", label, what,
                values[values.size() / 2], values.front(), values.back());
}

void report(const Options& options, const std::string& db, const char* label, int batch,
            const Servers& one_server, const std::optional<Servers>& two_servers) {
    std::vector<double> two_by_one, one_by_two_servers;
    for (int run = 1; run <= options.repeat; ++run) {
        Ratios ratios = run_once(options, db, label, batch, run, one_server, two_servers);
        two_by_one.push_back(ratios.two_by_one);
        one_by_two_servers.push_back(ratios.one_by_two_servers);
    }
    print_spread(label, "ratio 2 clients / 1 client", two_by_one);
    if (two_servers)
        print_spread(label, "2 clients on 1 server / on 2 servers", one_by_two_servers);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"one vs two clients inserting into collections of their own on one testmongod"};
    app.add_option("--uri", options.uri,
                   "MongoDB to use instead of a new testmongod (no server CPU figures then)");
    app.add_option("--docs", options.docs, "documents each client inserts per run");
    app.add_option("--batch", options.batch, "documents per bulk insert (the bulk measurement)");
    app.add_option("--repeat", options.repeat, "runs of each measurement");
    CLI11_PARSE(app, argc, argv);
    if (options.docs < 1 || options.batch < 2 || options.repeat < 1)
        fail("--docs and --repeat must be positive, --batch at least 2");

    mongoc_init();
    auto server = bench::start_server_unless_given(options.uri);
    Servers one_server{{options.uri}, {}};
    std::optional<testsupport::ServerProcess> second;
    std::optional<Servers> two_servers;
    if (server) {
        one_server.pids.push_back(server->pid());
        second.emplace(testsupport::ServerProcess::start({}));
        two_servers = Servers{{options.uri, second->uri()}, {server->pid(), second->pid()}};
    }
    std::printf("parallel_insert_throughput: %d docs per client, bulk batches of %d, %d runs, %s\n",
                options.docs, options.batch, options.repeat, options.uri.c_str());
    std::string db = testsupport::unique_name("bench_parallel");
    std::string bulk = "bulk (" + std::to_string(options.batch) + " per insert)";
    report(options, db, bulk.c_str(), options.batch, one_server, two_servers);
    report(options, db, "single-document inserts", 1, one_server, two_servers);

    mongoc_client_t* client = mongoc_client_new(options.uri.c_str());
    mongoc_database_t* database = mongoc_client_get_database(client, db.c_str());
    bson_error_t error;
    mongoc_database_drop(database, &error);
    mongoc_database_destroy(database);
    mongoc_client_destroy(client);
    mongoc_cleanup();
    return 0;
}
