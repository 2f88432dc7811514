// verify_throughput: `tributary verify` of two equal collections against a plain-scan baseline
// in the same run (both sides read at once with a plain find, one thread per side, nothing
// compared), as docs/s per side, their ratio, and CPU per document of tributary and servers.
#include <mongoc/mongoc.h>
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "sample_document.h"
#include "support/child_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using bench::fail;

struct Options {
    std::string source_uri;
    std::string dest_uri;
    std::string tributary = TRIBUTARY_PATH;
    int docs = 100000;
    int batch = 1000;
    int rounds = 3;
    std::vector<std::string> verify_args;  // extra flags of `tributary verify`
};

// Reads every document of db.docs with a plain find; returns the count.
int64_t plain_scan(const std::string& uri, const std::string& db) {
    mongoc_client_t* client = mongoc_client_new(uri.c_str());
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "docs");
    bson_t filter = BSON_INITIALIZER;
    bson_t* opts = BCON_NEW("batchSize", BCON_INT32(10000));
    mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(coll, &filter, opts, nullptr);
    const bson_t* doc = nullptr;
    int64_t count = 0;
    while (mongoc_cursor_next(cursor, &doc))
        ++count;
    bson_error_t error;
    if (mongoc_cursor_error(cursor, &error)) fail("plain scan", error);
    mongoc_cursor_destroy(cursor);
    bson_destroy(opts);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    return count;
}

double children_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Measure {
    double seconds = 0;
    double client_cpu = 0;  // the reading process: this one (baseline) or tributary
    double server_cpu = 0;  // both servers together (0 when not started here)
};

template <typename Run>
Measure measure(pid_t source_pid, pid_t dest_pid, double (*client_cpu)(), Run run) {
    auto servers = [&] {
        return bench::process_cpu_seconds(source_pid) + bench::process_cpu_seconds(dest_pid);
    };
    const double server_before = servers();
    const double client_before = client_cpu();
    const auto start = Clock::now();
    run();
    Measure m;
    m.seconds = bench::seconds_since(start);
    m.client_cpu = client_cpu() - client_before;
    m.server_cpu = servers() - server_before;
    return m;
}

double own_cpu_seconds() {
    return bench::process_cpu_seconds(::getpid());
}

void report(const char* what, const Measure& m, int docs) {
    std::printf("%-34s %8.2f s  %9.0f docs/s per side  client %6.1f us/doc  servers %6.1f us/doc\n",
                what, m.seconds, docs / m.seconds, m.client_cpu * 1e6 / docs,
                m.server_cpu * 1e6 / docs);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"tributary verify against a plain scan of both sides"};
    app.add_option("--source", options.source_uri, "source MongoDB instead of a new testmongod");
    app.add_option("--destination", options.dest_uri, "destination instead of a new testmongod");
    app.add_option("--tributary", options.tributary, "tributary binary")->capture_default_str();
    app.add_option("--docs", options.docs, "documents on each side")->capture_default_str();
    app.add_option("--batch", options.batch, "documents per seeding insert_many")
        ->capture_default_str();
    app.add_option("--rounds", options.rounds, "baseline/verify pairs; the best of each is kept")
        ->capture_default_str();
    app.add_option(
        "--verify-arg", options.verify_args,
        "an extra flag for tributary verify (repeatable), e.g. --verify-arg=--range-docs "
        "--verify-arg=50000");
    CLI11_PARSE(app, argc, argv);

    mongoc_init();
    auto source_server = bench::start_server_unless_given(options.source_uri);
    auto dest_server = bench::start_server_unless_given(options.dest_uri);
    const pid_t source_pid = source_server ? source_server->pid() : 0;
    const pid_t dest_pid = dest_server ? dest_server->pid() : 0;
    const std::string db = testsupport::unique_name("bench_verify");
    mongoc_client_t* source = mongoc_client_new(options.source_uri.c_str());
    mongoc_client_t* dest = mongoc_client_new(options.dest_uri.c_str());
    bench::insert_sample_documents(source, db, 0, options.docs, options.batch);
    bench::insert_sample_documents(dest, db, 0, options.docs, options.batch);
    std::printf("verify_throughput: %d docs per side, %s vs %s\n", options.docs,
                options.source_uri.c_str(), options.dest_uri.c_str());

    Measure best_scan, best_verify;
    for (int round = 0; round < options.rounds; ++round) {
        Measure scan = measure(source_pid, dest_pid, own_cpu_seconds, [&] {
            int64_t source_count = 0;
            std::thread reader([&] { source_count = plain_scan(options.source_uri, db); });
            const int64_t dest_count = plain_scan(options.dest_uri, db);
            reader.join();
            if (source_count != options.docs || dest_count != options.docs)
                fail("plain scan read a wrong count");
        });
        Measure verify = measure(source_pid, dest_pid, children_cpu_seconds, [&] {
            std::vector<std::string> args = {"verify",
                                             "--source",
                                             options.source_uri,
                                             "--destination",
                                             options.dest_uri,
                                             "--db",
                                             db,
                                             "--settle-timeout",
                                             "0"};
            args.insert(args.end(), options.verify_args.begin(), options.verify_args.end());
            testsupport::ChildProcess process(options.tributary, args);
            if (process.wait(std::chrono::seconds(600)) != 0) {
                fail("verify did not find both sides equal: " + process.output());
            }
        });
        report("plain scan (both sides, 2 threads)", scan, options.docs);
        report("tributary verify", verify, options.docs);
        if (round == 0 || scan.seconds < best_scan.seconds) best_scan = scan;
        if (round == 0 || verify.seconds < best_verify.seconds) best_verify = verify;
    }
    std::printf("best of %d: verify at %.2f of the plain scan's speed\n", options.rounds,
                best_scan.seconds / best_verify.seconds);
    mongoc_client_destroy(dest);
    mongoc_client_destroy(source);
    mongoc_cleanup();
    return 0;
}
