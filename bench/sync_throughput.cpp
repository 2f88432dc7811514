// sync_throughput: `tributary sync` initial-copy rate between two testmongods, as a ratio to a
// plain single-threaded find → insert_many copy in the same run, then its replication of a burst.
#include <mongoc/mongoc.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "sample_document.h"
#include "support/child_process.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string source_uri;
    std::string dest_uri;
    std::string tributary = TRIBUTARY_PATH;
    int docs = 100000;
    int burst = 20000;
    int updates = 20000;
    int batch = 1000;
    std::string profile = "7.0";
};

using bench::drop_database;
using bench::fail;
using bench::seconds_since;

// Polls `condition` every 10 ms until it holds; exits the benchmark after `timeout`.
void wait_until(const char* what, const std::function<bool()>& condition,
                std::chrono::seconds timeout = std::chrono::seconds(600)) {
    auto deadline = Clock::now() + timeout;
    while (!condition()) {
        if (Clock::now() > deadline) fail(std::string("timed out waiting for ") + what);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// A tributary child process with its output in a file, given the benchmark's patience.
class Tributary : public testsupport::ChildProcess {
  public:
    Tributary(const std::string& path, std::vector<std::string> args)
        : ChildProcess(path, std::move(args)) {}
    int wait() { return exited(ChildProcess::wait(kPatience)); }
    int terminate() { return exited(ChildProcess::terminate(kPatience)); }

  private:
    static constexpr std::chrono::seconds kPatience{600};
    static int exited(int code) {
        if (code < 0) fail("timed out waiting for tributary to exit");
        return code;
    }
};

// The collection's document count from metadata (the count command), not countDocuments: that is
// an aggregate testmongod answers by parsing every document under its catalog lock, so polling
// it every 10 ms kept tributary's writes waiting and made replication look 5-10x slower, more so
// the larger the collection (bench/RESULTS.md, "upsert-perf").
int64_t count_documents(mongoc_client_t* client, const std::string& db) {
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "docs");
    bson_error_t error;
    int64_t count =
        mongoc_collection_estimated_document_count(coll, nullptr, nullptr, nullptr, &error);
    mongoc_collection_destroy(coll);
    return count;
}

// The baseline: one thread reading the source collection with large batches and writing each
// batch with one unordered insert_many. Returns docs/s.
double baseline_copy_rate(mongoc_client_t* source, mongoc_client_t* dest, const std::string& db,
                          const std::string& target_db, int batch) {
    auto start = Clock::now();
    const int64_t copied = bench::copy_docs(source, dest, db, target_db, batch);
    return copied / seconds_since(start);
}

// $set {n: <round>} on documents [0, count) of db.docs, as unordered update bulks of `batch`.
void update_documents(mongoc_client_t* client, const std::string& db, int count, int batch,
                      int round) {
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "docs");
    for (int start = 0; start < count; start += batch) {
        bson_t* opts = BCON_NEW("ordered", BCON_BOOL(false));
        mongoc_bulk_operation_t* bulk =
            mongoc_collection_create_bulk_operation_with_opts(coll, opts);
        for (int id = start; id < std::min(count, start + batch); ++id) {
            bson_t* selector = BCON_NEW("_id", BCON_INT32(id));
            bson_t* update = BCON_NEW("$set", "{", "n", BCON_INT32(round), "}");
            bson_error_t error;
            if (!mongoc_bulk_operation_update_one_with_opts(bulk, selector, update, nullptr,
                                                            &error)) {
                fail("update burst", error);
            }
            bson_destroy(update);
            bson_destroy(selector);
        }
        bson_error_t error;
        if (!mongoc_bulk_operation_execute(bulk, nullptr, &error)) fail("update burst", error);
        mongoc_bulk_operation_destroy(bulk);
        bson_destroy(opts);
    }
    mongoc_collection_destroy(coll);
}

// True when document `id` of db.docs has n == round (a find by _id: a countDocuments poll would
// read the whole collection, see count_documents).
bool has_round(mongoc_client_t* client, const std::string& db, int id, int round) {
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "docs");
    bson_t* filter = BCON_NEW("_id", BCON_INT32(id), "n", BCON_INT32(round));
    mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(coll, filter, nullptr, nullptr);
    const bson_t* doc = nullptr;
    const bool found = mongoc_cursor_next(cursor, &doc);
    mongoc_cursor_destroy(cursor);
    bson_destroy(filter);
    mongoc_collection_destroy(coll);
    return found;
}

bool verify_passes(const Options& options, const std::string& db) {
    Tributary verify(options.tributary, {"verify", "--source", options.source_uri, "--destination",
                                         options.dest_uri, "--db", db});
    return verify.wait() == 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"tributary sync: initial copy and replication rates against a plain copy loop"};
    app.add_option("--source", options.source_uri, "source MongoDB instead of a new testmongod");
    app.add_option("--destination", options.dest_uri, "destination instead of a new testmongod");
    app.add_option("--tributary", options.tributary, "tributary binary")->capture_default_str();
    app.add_option("--docs", options.docs, "documents seeded before the sync")
        ->capture_default_str();
    app.add_option("--burst", options.burst, "documents inserted while replicating")
        ->capture_default_str();
    app.add_option("--updates", options.updates,
                   "documents updated ($set) while replicating, after the insert burst")
        ->capture_default_str();
    app.add_option("--profile", options.profile, "testmongod --version-profile of both servers")
        ->capture_default_str();
    app.add_option("--batch", options.batch, "documents per insert_many and find batch")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    mongoc_init();
    const std::vector<std::string> server_args{"--version-profile", options.profile};
    auto source_server = bench::start_server_unless_given(options.source_uri, server_args);
    auto dest_server = bench::start_server_unless_given(options.dest_uri, server_args);
    std::string db = testsupport::unique_name("bench_sync");
    std::string baseline_db = db + "_baseline";
    mongoc_client_t* source = mongoc_client_new(options.source_uri.c_str());
    mongoc_client_t* dest = mongoc_client_new(options.dest_uri.c_str());
    std::printf("sync_throughput: %d docs seeded, burst of %d, %s -> %s\n", options.docs,
                options.burst, options.source_uri.c_str(), options.dest_uri.c_str());
    bench::insert_sample_documents(source, db, 0, options.docs, options.batch);

    double baseline = baseline_copy_rate(source, dest, db, baseline_db, options.batch);
    drop_database(dest, baseline_db);
    std::printf("baseline find -> insert_many copy: %.0f docs/s\n", baseline);
    std::fflush(stdout);

    // Initial copy: from the start of `tributary sync` to its "copied successfully" line, and
    // to the first passing verify after it.
    auto sync_start = Clock::now();
    Tributary sync(options.tributary, {"sync", "--source", options.source_uri, "--destination",
                                       options.dest_uri, "--db", db});
    wait_until("the initial copy", [&] {
        if (sync.exit_code()) fail("tributary sync exited:\n" + sync.output());
        return sync.output().find("Collection 'docs' copied successfully.") != std::string::npos;
    });
    double copy_seconds = seconds_since(sync_start);
    wait_until("verify to pass after the copy", [&] { return verify_passes(options, db); });
    double copy_verified_seconds = seconds_since(sync_start);
    double copy_rate = options.docs / copy_seconds;
    std::printf(
        "tributary initial copy: %.3f s to 'copied successfully' = %.0f docs/s = %.3f x "
        "baseline; verify passed at %.3f s\n",
        copy_seconds, copy_rate, copy_rate / baseline, copy_verified_seconds);
    std::fflush(stdout);

    // Replication: a burst of inserts on the source, then the time until the destination holds
    // all of them and verify passes. The burst's own write rate is the in-run reference.
    const double insert_cpu_before = bench::process_cpu_seconds(sync.pid());
    auto burst_start = Clock::now();
    bench::insert_sample_documents(source, db, options.docs, options.burst, options.batch);
    double burst_seconds = seconds_since(burst_start);
    auto burst_end = Clock::now();
    int64_t expected = int64_t{options.docs} + options.burst;
    wait_until("replication to catch up", [&] { return count_documents(dest, db) == expected; });
    double caught_up_lag = seconds_since(burst_end);
    const double cpu_us_per_insert =
        (bench::process_cpu_seconds(sync.pid()) - insert_cpu_before) * 1e6 / options.burst;
    wait_until("verify to pass after the burst", [&] { return verify_passes(options, db); });
    double verified_lag = seconds_since(burst_end);
    double source_rate = options.burst / burst_seconds;
    double replication_rate = options.burst / (burst_seconds + caught_up_lag);
    std::printf("burst of %d inserts on the source: %.3f s = %.0f docs/s\n", options.burst,
                burst_seconds, source_rate);
    std::printf(
        "replication: destination caught up %.3f s after the burst, verify passed after "
        "%.3f s; %.0f docs/s = %.3f x the source write rate; tributary CPU %.1f us per insert "
        "event\n",
        caught_up_lag, verified_lag, replication_rate, replication_rate / source_rate,
        cpu_us_per_insert);

    // Updates: a burst of $set on existing documents (update events: on 6.1+ sources they carry
    // disambiguatedPaths), timed until the destination holds the last one (events apply in
    // order), with tributary's CPU over that time per event.
    const int updates = std::min(options.updates, options.docs);
    const double cpu_before = bench::process_cpu_seconds(sync.pid());
    auto updates_start = Clock::now();
    update_documents(source, db, updates, options.batch, 1);
    double updates_seconds = seconds_since(updates_start);
    auto updates_end = Clock::now();
    wait_until("the updates to replicate", [&] { return has_round(dest, db, updates - 1, 1); });
    double updates_lag = seconds_since(updates_end);
    const double cpu_us_per_update =
        (bench::process_cpu_seconds(sync.pid()) - cpu_before) * 1e6 / updates;
    std::printf(
        "burst of %d $set updates: %.3f s on the source; destination caught up %.3f s after it; "
        "%.0f events/s; tributary CPU %.1f us per update event\n",
        updates, updates_seconds, updates_lag, updates / (updates_seconds + updates_lag),
        cpu_us_per_update);

    std::printf("tributary peak resident memory: %.1f MiB\n", bench::peak_rss_mib(sync.pid()));
    int code = sync.terminate();
    if (code != 0) std::printf("note: tributary sync exited with %d on SIGTERM\n", code);
    drop_database(source, db);
    drop_database(dest, db);
    mongoc_client_destroy(dest);
    mongoc_client_destroy(source);
    mongoc_cleanup();
    return 0;
}
