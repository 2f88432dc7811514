// many_collections: the cost of copying many small collections. N collections of a few small
// documents on a source testmongod; `tributary sync` until its copy is done and replication has
// started, against the original script's algorithm in Python (bench/baselines) between the same
// servers in the same run. Prints wall time and the CPU seconds of the syncing process and of
// each server, in total and per collection.
#include <mongoc/mongoc.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "support/child_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using bench::fail;
using bench::seconds_since;

struct Options {
    std::string tributary = TRIBUTARY_PATH;
    std::string python;  // the baselines' virtual environment (bench/baselines/install.sh)
    std::string baseline = BASELINES_DIR "/original_script.py";
    int collections = 1000;
    int docs = 10;
    bool skip_baseline = false;
    std::vector<std::string> tributary_args;
};

constexpr const char* kReplicationStarted = "Database change stream started...";

// Collections c0 .. c<N-1> of `docs` small documents each ({_id, n, name}).
void seed(mongoc_client_t* client, const std::string& db, const Options& options) {
    // A plain array: std::vector<bson_t*> trips -Wignored-attributes (bson_t is over-aligned).
    auto** docs = static_cast<bson_t**>(bson_malloc(sizeof(bson_t*) * options.docs));
    for (int c = 0; c < options.collections; ++c) {
        const std::string name = "c" + std::to_string(c);
        mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), name.c_str());
        for (int i = 0; i < options.docs; ++i) {
            docs[i] = BCON_NEW("_id", BCON_INT32(i), "n", BCON_INT32(c * options.docs + i), "name",
                               BCON_UTF8(name.c_str()));
        }
        bench::insert_and_destroy(coll, docs, options.docs, nullptr, "seeding insert_many");
        mongoc_collection_destroy(coll);
    }
    bson_free(docs);
}

// Collections of `db` and the documents they hold (metadata counts); exits when they are not
// the seeded ones.
void check_copied(mongoc_client_t* client, const std::string& db, const Options& options,
                  const char* who) {
    mongoc_database_t* database = mongoc_client_get_database(client, db.c_str());
    bson_error_t error;
    char** names = mongoc_database_get_collection_names_with_opts(database, nullptr, &error);
    if (!names) fail("listCollections", error);
    int64_t collections = 0, documents = 0;
    for (char** name = names; *name; ++name) {
        mongoc_collection_t* coll = mongoc_database_get_collection(database, *name);
        documents +=
            mongoc_collection_estimated_document_count(coll, nullptr, nullptr, nullptr, &error);
        mongoc_collection_destroy(coll);
        ++collections;
    }
    bson_strfreev(names);
    mongoc_database_destroy(database);
    if (collections != options.collections ||
        documents != int64_t{options.collections} * options.docs) {
        fail(std::string(who) + " left " + std::to_string(collections) + " collections and " +
             std::to_string(documents) + " documents on the destination");
    }
}

struct Measurement {
    double wall = 0;
    double client_cpu = 0;  // the syncing process
    double source_cpu = 0;
    double destination_cpu = 0;
};

// Runs `child` until its output has the line that replication started, and measures it.
template <typename Start>
Measurement measure(const char* who, pid_t source_pid, pid_t destination_pid, Start start) {
    Measurement m;
    const double source_before = bench::process_cpu_seconds(source_pid);
    const double destination_before = bench::process_cpu_seconds(destination_pid);
    const auto started = Clock::now();
    std::unique_ptr<testsupport::ChildProcess> child = start();
    bench::wait_for_output(*child, kReplicationStarted, who, std::chrono::minutes(30));
    m.wall = seconds_since(started);
    m.client_cpu = bench::process_cpu_seconds(child->pid());
    m.source_cpu = bench::process_cpu_seconds(source_pid) - source_before;
    m.destination_cpu = bench::process_cpu_seconds(destination_pid) - destination_before;
    child->terminate();
    return m;
}

// "0.42 x baseline".
std::string fmt_ratio(double ratio) {
    char text[64];
    std::snprintf(text, sizeof text, "%.2f x baseline", ratio);
    return text;
}

void print_row(const char* who, const Measurement& m, const Options& options,
               const std::optional<Measurement>& baseline) {
    const double n = options.collections;
    auto ratio = [&](double value, double base) {
        return baseline && base > 0 ? fmt_ratio(value / base) : std::string("-");
    };
    std::printf(
        "%-22s wall %8.3f s (%s)  CPU: %s %7.3f s (%s), source %7.3f s (%s), "
        "destination %7.3f s (%s)\n",
        who, m.wall, ratio(m.wall, baseline ? baseline->wall : 0).c_str(), who, m.client_cpu,
        ratio(m.client_cpu, baseline ? baseline->client_cpu : 0).c_str(), m.source_cpu,
        ratio(m.source_cpu, baseline ? baseline->source_cpu : 0).c_str(), m.destination_cpu,
        ratio(m.destination_cpu, baseline ? baseline->destination_cpu : 0).c_str());
    std::printf(
        "%-22s per collection: wall %.1f us, CPU %.1f us (syncing process) + %.1f us "
        "(source) + %.1f us (destination)\n",
        "", m.wall / n * 1e6, m.client_cpu / n * 1e6, m.source_cpu / n * 1e6,
        m.destination_cpu / n * 1e6);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"copying many small collections: tributary sync against the original script"};
    app.add_option("--collections", options.collections, "collections seeded on the source")
        ->capture_default_str();
    app.add_option("--docs", options.docs, "documents per collection")->capture_default_str();
    app.add_option("--tributary", options.tributary, "tributary binary")->capture_default_str();
    app.add_option("--python", options.python,
                   "python of the baselines' environment (bench/baselines/install.sh prints it)");
    app.add_option("--baseline", options.baseline, "the original script's algorithm")
        ->capture_default_str();
    app.add_flag("--skip-baseline", options.skip_baseline, "measure tributary alone");
    app.add_option("--tributary-arg", options.tributary_args,
                   "extra argument for tributary sync (repeatable)");
    CLI11_PARSE(app, argc, argv);
    if (!options.skip_baseline && options.python.empty()) {
        fail("--python is required for the baseline (or --skip-baseline)");
    }

    mongoc_init();
    testsupport::ServerProcess source_server =
        testsupport::ServerProcess::start({"--version-profile", "7.0"});
    testsupport::ServerProcess dest_server =
        testsupport::ServerProcess::start({"--version-profile", "7.0"});
    mongoc_client_t* source = mongoc_client_new(source_server.uri().c_str());
    mongoc_client_t* dest = mongoc_client_new(dest_server.uri().c_str());
    const std::string db = "bench_many";
    std::printf("many_collections: %d collections of %d documents, %s -> %s\n", options.collections,
                options.docs, source_server.uri().c_str(), dest_server.uri().c_str());
    const auto seeding = Clock::now();
    seed(source, db, options);
    std::printf("seeded in %.3f s\n", seconds_since(seeding));
    std::fflush(stdout);

    std::optional<Measurement> baseline;
    if (!options.skip_baseline) {
        baseline = measure("python", source_server.pid(), dest_server.pid(), [&] {
            return std::make_unique<testsupport::ChildProcess>(
                options.python, std::vector<std::string>{options.baseline},
                std::vector<std::string>{"PRIMARY_MONGO_URI=" + source_server.uri(),
                                         "SECONDARY_MONGO_URI=" + dest_server.uri(),
                                         "DATABASE_NAME=" + db});
        });
        check_copied(dest, db, options, "the baseline");
        bench::drop_database(dest, db);
        print_row("python (original)", *baseline, options, std::nullopt);
    }
    Measurement tributary = measure("tributary", source_server.pid(), dest_server.pid(), [&] {
        std::vector<std::string> args{
            "sync", "--source", source_server.uri(), "--destination", dest_server.uri(),
            "--db", db};
        args.insert(args.end(), options.tributary_args.begin(), options.tributary_args.end());
        return std::make_unique<testsupport::ChildProcess>(options.tributary, args);
    });
    check_copied(dest, db, options, "tributary");
    print_row("tributary", tributary, options, baseline);

    mongoc_client_destroy(dest);
    mongoc_client_destroy(source);
    mongoc_cleanup();
    return 0;
}
