// testmongod_update_throughput: the write pattern tributary replicates with (unordered bulk
// updates by _id: replace-upserts, $set, deletes), each as a ratio to insert_many in the same run.
#include <mongoc/mongoc.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "sample_document.h"

namespace {

struct Options {
    std::string uri;
    std::vector<int> sizes{10000, 100000};
    int ops = 5000;
    int batch = 1000;
    int repeat = 3;
};

using bench::fail;
using bench::seconds_since;

// What one bulk reports, summed over the batches of a measurement.
struct Counts {
    int64_t inserted = 0, matched = 0, modified = 0, upserted = 0, removed = 0;
};

int64_t reply_int(const bson_t& reply, const char* field) {
    bson_iter_t iter;
    return bson_iter_init_find(&iter, &reply, field) ? bson_iter_as_int64(&iter) : 0;
}

// Adds one statement for document id `id` to `bulk`.
using StatementFn = std::function<void(mongoc_bulk_operation_t* bulk, int id)>;

// Runs `ids` as unordered bulks of options.batch statements; returns statements/s and adds the
// replies' counts to `counts`.
double run_bulks(mongoc_collection_t* coll, const std::vector<int>& ids, const Options& options,
                 const StatementFn& add_statement, Counts& counts) {
    bson_t* opts = BCON_NEW("ordered", BCON_BOOL(false));
    auto start = std::chrono::steady_clock::now();
    for (size_t first = 0; first < ids.size(); first += options.batch) {
        mongoc_bulk_operation_t* bulk =
            mongoc_collection_create_bulk_operation_with_opts(coll, opts);
        size_t end = std::min(ids.size(), first + options.batch);
        for (size_t i = first; i < end; ++i)
            add_statement(bulk, ids[i]);
        bson_t reply;
        bson_error_t error;
        if (!mongoc_bulk_operation_execute(bulk, &reply, &error)) fail("bulk write", error);
        counts.inserted += reply_int(reply, "nInserted");
        counts.matched += reply_int(reply, "nMatched");
        counts.modified += reply_int(reply, "nModified");
        counts.upserted += reply_int(reply, "nUpserted");
        counts.removed += reply_int(reply, "nRemoved");
        bson_destroy(&reply);
        mongoc_bulk_operation_destroy(bulk);
    }
    double seconds = seconds_since(start);
    bson_destroy(opts);
    return ids.size() / seconds;
}

void insert_statement(mongoc_bulk_operation_t* bulk, int id) {
    bson_t doc = BSON_INITIALIZER;
    bench::append_sample_document(&doc, id);
    mongoc_bulk_operation_insert(bulk, &doc);
    bson_destroy(&doc);
}

// {q: {_id}, u: <the sample document, plus `revision` when not 0>, upsert: true}: tributary's
// insert and replace events.
void replace_upsert_statement(mongoc_bulk_operation_t* bulk, int id, int revision) {
    bson_t* selector = BCON_NEW("_id", BCON_INT32(id));
    bson_t doc = BSON_INITIALIZER;
    bench::append_sample_document(&doc, id);
    if (revision != 0) BSON_APPEND_INT32(&doc, "revision", revision);
    bson_t* opts = BCON_NEW("upsert", BCON_BOOL(true));
    bson_error_t error;
    if (!mongoc_bulk_operation_replace_one_with_opts(bulk, selector, &doc, opts, &error))
        fail("replace_one", error);
    bson_destroy(opts);
    bson_destroy(&doc);
    bson_destroy(selector);
}

// {q: {_id}, u: {$set: {...}, $unset: {...}}}: tributary's update events.
void set_statement(mongoc_bulk_operation_t* bulk, int id) {
    bson_t* selector = BCON_NEW("_id", BCON_INT32(id));
    bson_t* update =
        BCON_NEW("$set", "{", "age", BCON_INT32(99), "address.city", BCON_UTF8("Shelbyville"), "}",
                 "$unset", "{", "active", BCON_UTF8(""), "}");
    bson_error_t error;
    if (!mongoc_bulk_operation_update_one_with_opts(bulk, selector, update, nullptr, &error))
        fail("update_one", error);
    bson_destroy(update);
    bson_destroy(selector);
}

// {q: {_id}, limit: 1}: tributary's delete events.
void delete_statement(mongoc_bulk_operation_t* bulk, int id) {
    bson_t* selector = BCON_NEW("_id", BCON_INT32(id));
    bson_error_t error;
    if (!mongoc_bulk_operation_remove_one_with_opts(bulk, selector, nullptr, &error))
        fail("remove_one", error);
    bson_destroy(selector);
}

// The ids [first, first + count).
std::vector<int> id_range(int first, int count) {
    std::vector<int> ids(count);
    for (int i = 0; i < count; ++i)
        ids[i] = first + i;
    return ids;
}

// `count` existing ids spread evenly over [0, size), so updates touch the whole collection.
std::vector<int> spread_ids(int size, int count) {
    std::vector<int> ids(count);
    for (int i = 0; i < count; ++i)
        ids[i] = static_cast<int>(static_cast<int64_t>(i) * size / count);
    return ids;
}

void expect(bool ok, const std::string& what) {
    if (!ok) fail("unexpected bulk result: " + what);
}

// docs/s of each measurement in one run.
struct RunRates {
    double insert = 0, upsert_new = 0, upsert_existing = 0, set = 0, remove = 0;
};

// Reads a change stream in a thread until stopped, counting events, as tributary's source
// reader does; the stream is open before the first write.
class StreamReader {
  public:
    StreamReader(const std::string& uri, const std::string& db, const std::string& coll)
        : client_(mongoc_client_new(uri.c_str())) {
        mongoc_collection_t* target =
            mongoc_client_get_collection(client_, db.c_str(), coll.c_str());
        bson_t* pipeline = BCON_NEW("pipeline", "[", "]");
        bson_t* opts = BCON_NEW("maxAwaitTimeMS", BCON_INT64(100));
        stream_ = mongoc_collection_watch(target, pipeline, opts);
        bson_destroy(opts);
        bson_destroy(pipeline);
        mongoc_collection_destroy(target);
        const bson_t* event = nullptr;
        mongoc_change_stream_next(stream_, &event);  // runs the aggregate: the stream is open
        check_error();
        thread_ = std::thread([this] { read_until_stopped(); });
    }
    ~StreamReader() {
        stop_ = true;
        thread_.join();
        mongoc_change_stream_destroy(stream_);
        mongoc_client_destroy(client_);
    }
    int64_t events() const { return events_; }

  private:
    void check_error() {
        bson_error_t error;
        if (mongoc_change_stream_error_document(stream_, &error, nullptr))
            fail("reading the change stream", error);
    }
    void read_until_stopped() {
        const bson_t* event = nullptr;
        while (!stop_) {
            if (mongoc_change_stream_next(stream_, &event)) ++events_;
            check_error();
        }
    }

    mongoc_client_t* client_;
    mongoc_change_stream_t* stream_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int64_t> events_{0};
};

// One run against a new collection seeded with `size` documents: the insert_many baseline
// (ids [size, size + ops)), replace-upserts and $set of existing ids spread over the seeded
// range, deletes of the baseline's ids, then replace-upserts that insert them again.
RunRates run_once(mongoc_client_t* client, const std::string& db, int size, bool with_stream,
                  const Options& options) {
    std::string name = testsupport::unique_name("docs");
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), name.c_str());
    std::optional<StreamReader> reader;
    if (with_stream) reader.emplace(options.uri, db, name);
    Counts seeded;
    run_bulks(coll, id_range(0, size), options, insert_statement, seeded);
    expect(seeded.inserted == size, "seed inserted " + std::to_string(seeded.inserted));

    RunRates rates;
    std::vector<int> fresh = id_range(size, options.ops);
    std::vector<int> existing = spread_ids(size, options.ops);
    const int64_t ops = options.ops;
    Counts c;
    rates.insert = run_bulks(coll, fresh, options, insert_statement, c);
    expect(c.inserted == ops, "insert");
    c = {};
    rates.upsert_existing = run_bulks(
        coll, existing, options,
        [](mongoc_bulk_operation_t* bulk, int id) { replace_upsert_statement(bulk, id, 1); }, c);
    expect(c.matched == ops && c.modified == ops && c.upserted == 0, "replace existing");
    c = {};
    rates.set = run_bulks(coll, existing, options, set_statement, c);
    expect(c.matched == ops && c.modified == ops, "$set");
    c = {};
    rates.remove = run_bulks(coll, fresh, options, delete_statement, c);
    expect(c.removed == ops, "delete");
    c = {};
    rates.upsert_new = run_bulks(
        coll, fresh, options,
        [](mongoc_bulk_operation_t* bulk, int id) { replace_upsert_statement(bulk, id, 0); }, c);
    expect(c.upserted == ops && c.matched == 0, "replace-upsert new");

    reader.reset();
    bson_error_t error;
    if (!mongoc_collection_drop(coll, &error)) fail("drop", error);
    mongoc_collection_destroy(coll);
    return rates;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Prints each run's figures and the medians of docs/s and of the ratio to the run's baseline.
void measure(mongoc_client_t* client, const std::string& db, int size, bool with_stream,
             const Options& options) {
    std::printf("collection of %d docs, %s change stream:\n", size,
                with_stream ? "with an open" : "no");
    std::vector<RunRates> runs;
    for (int run = 0; run < options.repeat; ++run) {
        runs.push_back(run_once(client, db, size, with_stream, options));
        const RunRates& r = runs.back();
        std::printf(
            "  run %d: insert %.0f, replace-upsert new %.0f, replace-upsert existing %.0f, "
            "$set %.0f, delete %.0f docs/s\n",
            run + 1, r.insert, r.upsert_new, r.upsert_existing, r.set, r.remove);
        std::fflush(stdout);
    }
    auto report = [&](const char* label, double RunRates::*field) {
        std::vector<double> rates, ratios;
        for (const RunRates& r : runs) {
            rates.push_back(r.*field);
            ratios.push_back(r.*field / r.insert);
        }
        double ratio = median(ratios);
        std::printf("  %-24s %9.0f docs/s = %.3f x insert (cost %.2f x insert)\n", label,
                    median(rates), ratio, 1 / ratio);
    };
    report("insert_many (baseline)", &RunRates::insert);
    report("replace-upsert, new id", &RunRates::upsert_new);
    report("replace-upsert, existing", &RunRates::upsert_existing);
    report("$set by _id", &RunRates::set);
    report("delete by _id", &RunRates::remove);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"testmongod bulk update/delete throughput by _id against insert_many"};
    app.add_option("--uri", options.uri, "MongoDB to use instead of a new testmongod");
    app.add_option("--sizes", options.sizes, "collection sizes (documents seeded first)")
        ->delimiter(',');
    app.add_option("--ops", options.ops, "statements per measurement");
    app.add_option("--batch", options.batch, "statements per unordered bulk");
    app.add_option("--repeat", options.repeat, "runs of each measurement (medians reported)");
    CLI11_PARSE(app, argc, argv);

    mongoc_init();
    auto server = bench::start_server_unless_given(options.uri);
    std::printf(
        "testmongod_update_throughput: %d statements per measurement, batches of %d, "
        "%d runs, %s\n",
        options.ops, options.batch, options.repeat, options.uri.c_str());
    std::string db = testsupport::unique_name("bench_up");
    mongoc_client_t* client = mongoc_client_new(options.uri.c_str());
    for (bool with_stream : {false, true}) {
        for (int size : options.sizes)
            measure(client, db, size, with_stream, options);
    }
    bson_t* drop = BCON_NEW("dropDatabase", BCON_INT32(1));
    mongoc_client_command_simple(client, db.c_str(), drop, nullptr, nullptr, nullptr);
    bson_destroy(drop);
    mongoc_client_destroy(client);
    mongoc_cleanup();
    return 0;
}
