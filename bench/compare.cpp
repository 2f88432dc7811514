// compare: tributary side by side with what users would run instead (issue 10, "bench/compare").
// Two testmongods (7.0 profile); for each contender alone, on a freshly seeded source and an
// empty destination: the initial copy, the replication of a burst of mixed writes, and the lag
// at fixed source write rates. Contenders: `tributary sync`; the original script's algorithm in
// Python (bench/baselines/original_script.py, pymongo); and the limit, this program run again as
// a minimal libmongoc client that bulk-inserts the documents (copy) and bulk-applies the burst's
// write models straight to the destination (replication). Prints one markdown table; every
// phase ends with the independent comparator (tests/support/comparator.h) judging the data.
#include <mongoc/mongoc.h>
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench_util.h"
#include "sample_document.h"
#include "support/child_process.h"
#include "support/comparator.h"

namespace {

using Clock = std::chrono::steady_clock;
using bench::fail;
using bench::seconds_since;

constexpr const char* kReplicationStarted = "Database change stream started...";
constexpr const char* kUsageLine = "limit-usage ";
constexpr const char* kStateDb = "__tributary";
constexpr int kBatch = 1000;
constexpr int64_t kOriginal = -1;         // `v` of a seeded document not written since
constexpr int64_t kAbsent = -2;           // a deleted document, or one never inserted
constexpr int32_t kLagIds = 100'000'000;  // the lag phase inserts _id kLagIds + v
constexpr std::chrono::minutes kPatience{30};

struct Options {
    int docs = 200000;
    int burst = 50000;
    std::vector<std::string> rates{"1000", "5000", "max"};
    double rate_seconds = 10;
    unsigned seed = 42;
    bool tiny = false;
    std::string tributary = TRIBUTARY_PATH;
    std::vector<std::string> tributary_args;
    std::string python;  // the baselines' virtual environment; empty: bench/baselines/install.sh
    bool no_python = false;
    std::string db = "bench_compare";
    // The limit's own runs of this program: "limit-copy" or "limit-apply".
    std::string role;
    std::string source_uri;
    std::string dest_uri;
};

// One write of the burst or of the lag phase; its document gets `v` (unique, increasing).
enum class Kind { Insert, Update, Replace, Delete };
struct Write {
    Kind kind;
    int32_t id;
    int64_t v;
};

// The burst: 20 % inserts of new documents, 50 % $set/$inc, 20 % replacements, 10 % deletes of
// documents that exist at that point; the same for the same arguments.
std::vector<Write> burst_writes(int docs, int count, unsigned seed) {
    std::mt19937 random(seed);
    std::vector<int32_t> alive(docs);
    std::iota(alive.begin(), alive.end(), 0);
    int32_t next_id = docs;
    std::vector<Write> writes;
    writes.reserve(count);
    for (int64_t v = 1; v <= count; ++v) {
        const unsigned pick = random() % 10;
        if (pick < 2 || alive.empty()) {
            writes.push_back({Kind::Insert, next_id, v});
            alive.push_back(next_id++);
            continue;
        }
        const size_t slot = random() % alive.size();
        const int32_t id = alive[slot];
        if (pick < 7) {
            writes.push_back({Kind::Update, id, v});
        } else if (pick < 9) {
            writes.push_back({Kind::Replace, id, v});
        } else {
            writes.push_back({Kind::Delete, id, v});
            alive[slot] = alive.back();
            alive.pop_back();
        }
    }
    return writes;
}

// The `v` each document touched by `writes` ends with (kAbsent: deleted).
std::unordered_map<int32_t, int64_t> final_versions(const std::vector<Write>& writes) {
    std::unordered_map<int32_t, int64_t> last;
    for (const Write& write : writes)
        last[write.id] = write.kind == Kind::Delete ? kAbsent : write.v;
    return last;
}

// The sample document `id` with v (and the client send time in µs, in the lag phase).
void append_versioned_document(bson_t* doc, const Write& write, std::optional<int64_t> sent_us) {
    bench::append_sample_document(doc, write.id);
    BSON_APPEND_INT64(doc, "v", write.v);
    if (write.kind == Kind::Replace) BSON_APPEND_BOOL(doc, "replaced", true);
    if (sent_us) BSON_APPEND_INT64(doc, "sent", *sent_us);
}

void append_write(mongoc_bulk_operation_t* bulk, const Write& write,
                  std::optional<int64_t> sent_us) {
    bson_t* selector = BCON_NEW("_id", BCON_INT32(write.id));
    bson_t doc = BSON_INITIALIZER;
    bson_error_t error;
    bool ok = true;
    switch (write.kind) {
        case Kind::Insert:
            append_versioned_document(&doc, write, sent_us);
            ok = mongoc_bulk_operation_insert_with_opts(bulk, &doc, nullptr, &error);
            break;
        case Kind::Update: {
            bson_t set, inc;
            BSON_APPEND_DOCUMENT_BEGIN(&doc, "$set", &set);
            BSON_APPEND_INT64(&set, "v", write.v);
            BSON_APPEND_DOUBLE(&set, "score", static_cast<double>(write.v) * 0.25);
            if (sent_us) BSON_APPEND_INT64(&set, "sent", *sent_us);
            bson_append_document_end(&doc, &set);
            BSON_APPEND_DOCUMENT_BEGIN(&doc, "$inc", &inc);
            BSON_APPEND_INT32(&inc, "age", 1);
            bson_append_document_end(&doc, &inc);
            ok = mongoc_bulk_operation_update_one_with_opts(bulk, selector, &doc, nullptr, &error);
            break;
        }
        case Kind::Replace:
            append_versioned_document(&doc, write, sent_us);
            ok = mongoc_bulk_operation_replace_one_with_opts(bulk, selector, &doc, nullptr, &error);
            break;
        case Kind::Delete:
            ok = mongoc_bulk_operation_remove_one_with_opts(bulk, selector, nullptr, &error);
            break;
    }
    bson_destroy(&doc);
    bson_destroy(selector);
    if (!ok) fail("building a write bulk", error);
}

// writes[0, count) as one ordered bulk on db.docs (ordered: writes to one document apply in
// their order, as a replicator must apply them).
void write_bulk(mongoc_client_t* client, const std::string& db, const Write* writes, size_t count,
                std::optional<int64_t> sent_us = std::nullopt) {
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "docs");
    bson_t* opts = BCON_NEW("ordered", BCON_BOOL(true));
    mongoc_bulk_operation_t* bulk = mongoc_collection_create_bulk_operation_with_opts(coll, opts);
    for (size_t i = 0; i < count; ++i)
        append_write(bulk, writes[i], sent_us);
    bson_error_t error;
    if (!mongoc_bulk_operation_execute(bulk, nullptr, &error)) fail("write bulk", error);
    mongoc_bulk_operation_destroy(bulk);
    bson_destroy(opts);
    mongoc_collection_destroy(coll);
}

void write_all(mongoc_client_t* client, const std::string& db, const std::vector<Write>& writes) {
    for (size_t start = 0; start < writes.size(); start += kBatch)
        write_bulk(client, db, writes.data() + start,
                   std::min<size_t>(kBatch, writes.size() - start));
}

// The (documentKey._id, v) of a change event of db.docs; false for events without both (the
// copy's documents have no v, catalog events no document key).
bool parse_event(const bson_t* event, int32_t* id, int64_t* v) {
    bson_iter_t iter, found;
    if (!bson_iter_init_find(&iter, event, "operationType") || !BSON_ITER_HOLDS_UTF8(&iter)) {
        return false;
    }
    const std::string operation = bson_iter_utf8(&iter, nullptr);
    if (!bson_iter_init(&iter, event) ||
        !bson_iter_find_descendant(&iter, "documentKey._id", &found) ||
        !BSON_ITER_HOLDS_INT32(&found)) {
        return false;
    }
    *id = bson_iter_int32(&found);
    if (operation == "delete") {
        *v = kAbsent;
        return true;
    }
    const char* path = operation == "update" ? "updateDescription.updatedFields.v"
                       : operation == "insert" || operation == "replace" ? "fullDocument.v"
                                                                         : nullptr;
    if (!path || !bson_iter_init(&iter, event) || !bson_iter_find_descendant(&iter, path, &found) ||
        !BSON_ITER_HOLDS_INT64(&found)) {
        return false;
    }
    *v = bson_iter_int64(&found);
    return true;
}

// A change stream on the DESTINATION's database, read by a thread that records when each
// version of each document became visible there.
class DestinationWatcher {
  public:
    DestinationWatcher(const std::string& uri, const std::string& db)
        : client_(mongoc_client_new(uri.c_str())) {
        mongoc_database_t* database = mongoc_client_get_database(client_, db.c_str());
        bson_t pipeline = BSON_INITIALIZER;
        bson_t* opts = BCON_NEW("maxAwaitTimeMS", BCON_INT64(100));
        stream_ = mongoc_database_watch(database, &pipeline, opts);  // runs the aggregate
        bson_destroy(opts);
        mongoc_database_destroy(database);
        bson_error_t error;
        if (mongoc_change_stream_error_document(stream_, &error, nullptr)) {
            fail("opening the destination's change stream", error);
        }
        thread_ = std::thread([this] { run(); });
    }
    DestinationWatcher(const DestinationWatcher&) = delete;
    DestinationWatcher& operator=(const DestinationWatcher&) = delete;
    ~DestinationWatcher() {
        stop_ = true;
        thread_.join();
        mongoc_change_stream_destroy(stream_);
        mongoc_client_destroy(client_);
    }

    // From now on caught_up() tells whether each document of `expected` has the version given
    // there; a document without an event yet counts as seeded (_id < seeded) or absent.
    void expect(std::unordered_map<int32_t, int64_t> expected, int32_t seeded) {
        std::lock_guard lock(mutex_);
        expected_ = std::move(expected);
        seeded_ = seeded;
        matched_ = 0;
        for (const auto& [id, want] : expected_)
            matched_ += current(id) == want;
    }
    bool caught_up() const {
        std::lock_guard lock(mutex_);
        if (!error_.empty()) fail("the destination's change stream: " + error_);
        return matched_ == expected_.size();
    }

    // When each write became visible: the first event of its document with its version or a
    // later one (a replicator may coalesce writes to one document); max() if none.
    std::vector<Clock::time_point> visible_times(const std::vector<Write>& writes) const {
        std::lock_guard lock(mutex_);
        std::vector<Clock::time_point> times;
        times.reserve(writes.size());
        for (const Write& write : writes) {
            Clock::time_point first = Clock::time_point::max();
            auto found = events_.find(write.id);
            if (found != events_.end()) {
                for (const auto& [v, at] : found->second) {
                    if (v >= write.v) first = std::min(first, at);
                }
            }
            times.push_back(first);
        }
        return times;
    }

  private:
    void run() {
        const bson_t* event = nullptr;
        while (!stop_) {
            if (!mongoc_change_stream_next(stream_, &event)) {
                bson_error_t error;
                if (mongoc_change_stream_error_document(stream_, &error, nullptr)) {
                    std::lock_guard lock(mutex_);
                    error_ = error.message;
                    return;
                }
                continue;
            }
            int32_t id = 0;
            int64_t v = 0;
            if (!parse_event(event, &id, &v)) continue;
            const Clock::time_point at = Clock::now();
            std::lock_guard lock(mutex_);
            if (auto want = expected_.find(id); want != expected_.end()) {
                matched_ -= current(id) == want->second;
                matched_ += v == want->second;
            }
            last_[id] = v;
            events_[id].emplace_back(v, at);
        }
    }

    int64_t current(int32_t id) const {
        auto found = last_.find(id);
        return found != last_.end() ? found->second : (id < seeded_ ? kOriginal : kAbsent);
    }

    mongoc_client_t* client_;
    mongoc_change_stream_t* stream_ = nullptr;
    mutable std::mutex mutex_;
    std::unordered_map<int32_t, int64_t> last_;
    std::unordered_map<int32_t, int64_t> expected_;
    int32_t seeded_ = 0;
    size_t matched_ = 0;
    std::unordered_map<int32_t, std::vector<std::pair<int64_t, Clock::time_point>>> events_;
    std::string error_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// Lets the kernel start a new VmHWM for `pid` (clear_refs "5", Linux 4.0+).
void reset_peak_rss(pid_t pid) {
    std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";
}

// The CPU seconds and peak RSS of this process, as the limit's runs report them to the parent.
void report_own_usage() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    std::printf("%scpu=%.6f rss_kib=%ld\n", kUsageLine, cpu, usage.ru_maxrss);
}

int run_limit_role(const Options& options) {
    mongoc_init();
    mongoc_client_t* source = mongoc_client_new(options.source_uri.c_str());
    mongoc_client_t* dest = mongoc_client_new(options.dest_uri.c_str());
    if (options.role == "limit-copy") {
        bench::copy_docs(source, dest, options.db, options.db, kBatch);
    } else {
        write_all(dest, options.db, burst_writes(options.docs, options.burst, options.seed));
    }
    mongoc_client_destroy(dest);
    mongoc_client_destroy(source);
    mongoc_cleanup();
    report_own_usage();
    return 0;
}

struct Lag {
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

struct Row {
    std::string phase;
    std::string contender;
    int64_t count = 0;  // documents or events
    double wall = 0;
    std::optional<double> catch_up;
    double sync_cpu = 0, source_cpu = 0, dest_cpu = 0;  // seconds
    double rss_mib = 0;
    std::optional<Lag> lag;
    std::string check;
};

// CPU of the syncing process and of both servers from the start of a phase.
struct Probe {
    pid_t sync, source, dest;
    double sync0, source0, dest0;
    Clock::time_point start = Clock::now();
    Probe(pid_t sync_pid, pid_t source_pid, pid_t dest_pid)
        : sync(sync_pid),
          source(source_pid),
          dest(dest_pid),
          sync0(bench::process_cpu_seconds(sync_pid)),
          source0(bench::process_cpu_seconds(source_pid)),
          dest0(bench::process_cpu_seconds(dest_pid)) {}

    Row finish(std::string phase, std::string contender, int64_t count) const {
        Row row;
        row.phase = std::move(phase);
        row.contender = std::move(contender);
        row.count = count;
        row.wall = seconds_since(start);
        row.sync_cpu = bench::process_cpu_seconds(sync) - sync0;
        row.source_cpu = bench::process_cpu_seconds(source) - source0;
        row.dest_cpu = bench::process_cpu_seconds(dest) - dest0;
        row.rss_mib = bench::peak_rss_mib(sync);
        return row;
    }
};

double percentile(const std::vector<double>& sorted, double fraction) {
    if (sorted.empty()) return 0;
    const size_t index = static_cast<size_t>(std::ceil(fraction * sorted.size())) - 1;
    return sorted[std::min(index, sorted.size() - 1)];
}

// Polls `condition` every 10 ms; exits the benchmark after kPatience or when `child` exits.
void wait_while_running(const char* what, testsupport::ChildProcess& child,
                        const std::function<bool()>& condition) {
    const auto deadline = Clock::now() + kPatience;
    while (!condition()) {
        if (auto code = child.exit_code()) {
            fail(std::string(what) + ": the contender exited with " + std::to_string(*code) +
                 ":\n" + child.output());
        }
        if (Clock::now() > deadline) fail(std::string("timed out waiting for ") + what);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

constexpr const char* kTributary = "tributary";
constexpr const char* kPython = "python (original)";
constexpr const char* kLimit = "limit (libmongoc)";

class Comparison {
  public:
    explicit Comparison(const Options& options)
        : options_(options),
          source_server_(testsupport::ServerProcess::start(
              {"--version-profile", "7.0", "--oplog-size-mb", "4096"})),
          dest_server_(testsupport::ServerProcess::start({"--version-profile", "7.0"})),
          source_(source_server_.uri()),
          dest_(dest_server_.uri()),
          burst_(burst_writes(options.docs, options.burst, options.seed)) {}

    void run_limit() {
        fresh_start();
        run_limit_child("copy", "limit-copy", options_.docs);
        write_all(source_.get(), options_.db, burst_);  // the source's side, not timed
        run_limit_child("replication", "limit-apply", options_.burst);
    }

    // A contender that copies, then follows the source (tributary, the Python baseline), started
    // by `start` with the source's and the destination's URIs.
    using Start = std::function<std::unique_ptr<testsupport::ChildProcess>(const std::string&,
                                                                           const std::string&)>;
    void run_follower(const char* name, const Start& start) {
        fresh_start();
        Probe copy(0, source_server_.pid(), dest_server_.pid());
        std::unique_ptr<testsupport::ChildProcess> child =
            start(source_server_.uri(), dest_server_.uri());
        copy.sync = child->pid();  // a new process: all its CPU is the copy's
        bench::wait_for_output(*child, kReplicationStarted, name, kPatience);
        add(copy.finish("copy", name, options_.docs));

        DestinationWatcher watcher(dest_server_.uri(), options_.db);
        replicate_burst(name, *child, watcher);
        int64_t next_v = static_cast<int64_t>(burst_.size()) + 1;
        for (const std::string& rate : options_.rates)
            follow_rate(name, *child, watcher, rate, next_v);
        child->terminate();
    }

    bool all_equal() const { return all_equal_; }
    void print_table() const;

  private:
    void fresh_start() {
        bench::drop_database(dest_.get(), options_.db);
        bench::drop_database(dest_.get(), kStateDb);
        bench::drop_database(source_.get(), options_.db);
        bench::insert_sample_documents(source_.get(), options_.db, 0, options_.docs, kBatch);
    }

    void add(Row row) {
        const std::vector<std::string> differences =
            testsupport::compare_databases(source_, dest_, {options_.db});
        row.check = differences.empty() ? "equal"
                                        : "**DIFFERENT** (" + std::to_string(differences.size()) +
                                              "): " + differences.front();
        if (!differences.empty()) all_equal_ = false;
        std::printf("%s, %s: %.3f s, %s\n", row.phase.c_str(), row.contender.c_str(), row.wall,
                    row.check.c_str());
        std::fflush(stdout);
        rows_.push_back(std::move(row));
    }

    // This program again, as the limit: its own CPU and peak RSS come from its report.
    void run_limit_child(const char* phase, const char* role, int64_t count) {
        const Probe probe(0, source_server_.pid(), dest_server_.pid());
        testsupport::ChildProcess child(
            "/proc/self/exe",
            {"--role", role, "--source", source_server_.uri(), "--destination", dest_server_.uri(),
             "--db", options_.db, "--docs", std::to_string(options_.docs), "--burst",
             std::to_string(options_.burst), "--seed", std::to_string(options_.seed)});
        const int code = child.wait(kPatience);
        Row row = probe.finish(phase, kLimit, count);
        const std::string output = child.output();
        const size_t usage = output.find(kUsageLine);
        double cpu = 0;
        long rss_kib = 0;
        if (code != 0 || usage == std::string::npos ||
            std::sscanf(output.c_str() + usage, "limit-usage cpu=%lf rss_kib=%ld", &cpu,
                        &rss_kib) != 2) {
            fail(std::string("the limit (") + role + ") failed with " + std::to_string(code) +
                 ":\n" + output);
        }
        row.sync_cpu = cpu;
        row.rss_mib = static_cast<double>(rss_kib) / 1024.0;
        add(std::move(row));
    }

    void replicate_burst(const char* name, testsupport::ChildProcess& child,
                         DestinationWatcher& watcher) {
        watcher.expect(final_versions(burst_), options_.docs);
        reset_peak_rss(child.pid());
        const Probe probe(child.pid(), source_server_.pid(), dest_server_.pid());
        write_all(source_.get(), options_.db, burst_);
        const auto burst_end = Clock::now();
        wait_while_running("the burst to replicate", child, [&] { return watcher.caught_up(); });
        Row row = probe.finish("replication", name, static_cast<int64_t>(burst_.size()));
        row.catch_up = seconds_since(burst_end);
        add(std::move(row));
    }

    // Writes pairs (insert of a new document, then a $set of it) at `rate` writes/s ("max": one
    // ordered bulk of 1,000 after the other) for rate_seconds, each carrying its client send
    // time; the lag of each write is from its acknowledgement to its visibility on the
    // destination.
    void follow_rate(const char* name, testsupport::ChildProcess& child,
                     DestinationWatcher& watcher, const std::string& rate, int64_t& next_v) {
        const bool unlimited = rate == "max";
        const double per_second = unlimited ? 0 : std::stod(rate);
        std::vector<Write> writes;
        std::vector<Clock::time_point> acks;
        reset_peak_rss(child.pid());
        const Probe probe(child.pid(), source_server_.pid(), dest_server_.pid());
        const auto tick = std::chrono::milliseconds(10);
        auto next_tick = probe.start;
        while (seconds_since(probe.start) < options_.rate_seconds) {
            const size_t due =
                unlimited ? writes.size() + kBatch
                          : static_cast<size_t>(std::ceil(per_second * seconds_since(probe.start)));
            const size_t begin = writes.size();
            while (writes.size() < std::min(due, begin + kBatch) ||
                   (!writes.empty() && writes.back().kind == Kind::Insert)) {
                const bool insert = writes.empty() || writes.back().kind != Kind::Insert;
                const int64_t v = next_v++;
                writes.push_back({insert ? Kind::Insert : Kind::Update,
                                  insert ? static_cast<int32_t>(kLagIds + v) : writes.back().id,
                                  v});
            }
            if (writes.size() > begin) {
                const auto sent_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
                write_bulk(source_.get(), options_.db, writes.data() + begin, writes.size() - begin,
                           sent_us);
                acks.resize(writes.size(), Clock::now());
            }
            if (!unlimited) {
                next_tick += tick;
                std::this_thread::sleep_until(next_tick);
            }
        }
        const double write_seconds = seconds_since(probe.start);
        const auto writes_end = Clock::now();
        watcher.expect(final_versions(writes), options_.docs);
        wait_while_running("the paced writes to replicate", child,
                           [&] { return watcher.caught_up(); });
        char phase[96];
        std::snprintf(phase, sizeof phase, "lag at %s/s (%.0f/s written)", rate.c_str(),
                      static_cast<double>(writes.size()) / write_seconds);
        Row row = probe.finish(phase, name, static_cast<int64_t>(writes.size()));
        row.catch_up = seconds_since(writes_end);
        const std::vector<Clock::time_point> visible = watcher.visible_times(writes);
        std::vector<double> lags;
        lags.reserve(writes.size());
        for (size_t i = 0; i < writes.size(); ++i) {
            // Seen on the destination before the acknowledgement reached this client: 0.
            lags.push_back(std::max(
                0.0, std::chrono::duration<double, std::milli>(visible[i] - acks[i]).count()));
        }
        std::sort(lags.begin(), lags.end());
        row.lag = Lag{percentile(lags, 0.50), percentile(lags, 0.99), lags.back()};
        add(std::move(row));
    }

    const Options& options_;
    testsupport::ServerProcess source_server_;
    testsupport::ServerProcess dest_server_;
    testsupport::Client source_;
    testsupport::Client dest_;
    std::vector<Write> burst_;
    std::vector<Row> rows_;
    bool all_equal_ = true;
};

std::string format(const char* pattern, double value) {
    char text[64];
    std::snprintf(text, sizeof text, pattern, value);
    return text;
}

void Comparison::print_table() const {
    auto find = [&](const std::string& phase, const char* contender) -> const Row* {
        for (const Row& row : rows_) {
            if (row.phase.substr(0, row.phase.find(" (")) == phase.substr(0, phase.find(" (")) &&
                row.contender == contender) {
                return &row;
            }
        }
        return nullptr;
    };
    auto ratio = [](const Row* base, const Row& row, double Row::*field) {
        if (!base || base == &row || base->*field <= 0) return std::string("—");
        return format("%.2f×", row.*field / base->*field);
    };
    std::printf(
        "\n| phase | contender | docs/events | wall s | catch-up s | per s | CPU µs per doc/event: "
        "syncing process | source | destination | peak RSS MiB | lag p50 / p99 / max ms | wall "
        "vs limit | wall vs python | sync CPU vs limit | sync CPU vs python | comparator |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const Row& row : rows_) {
        const double n = static_cast<double>(row.count);
        const Row* limit = find(row.phase, kLimit);
        const Row* python = find(row.phase, kPython);
        std::string lag = "—";
        if (row.lag) {
            char text[96];
            std::snprintf(text, sizeof text, "%.1f / %.1f / %.1f", row.lag->p50_ms, row.lag->p99_ms,
                          row.lag->max_ms);
            lag = text;
        }
        std::printf(
            "| %s | %s | %lld | %.3f | %s | %.0f | %.1f | %.1f | %.1f | %.0f | %s | %s | %s | %s | "
            "%s | %s |\n",
            row.phase.c_str(), row.contender.c_str(), static_cast<long long>(row.count), row.wall,
            row.catch_up ? format("%.3f", *row.catch_up).c_str() : "—", n / row.wall,
            row.sync_cpu * 1e6 / n, row.source_cpu * 1e6 / n, row.dest_cpu * 1e6 / n, row.rss_mib,
            lag.c_str(), ratio(limit, row, &Row::wall).c_str(),
            ratio(python, row, &Row::wall).c_str(), ratio(limit, row, &Row::sync_cpu).c_str(),
            ratio(python, row, &Row::sync_cpu).c_str(), row.check.c_str());
    }
    std::fflush(stdout);
}

// The python of bench/baselines' virtual environment, made by its install.sh (from PyPI);
// nullopt, with the reason printed, when it cannot be made.
std::optional<std::string> baseline_python(const Options& options) {
    if (!options.python.empty()) return options.python;
    const std::string script = BASELINES_DIR "/install.sh";
    testsupport::ChildProcess install("/bin/bash", {script});
    const int code =
        install.wait(options.tiny ? std::chrono::seconds(40) : std::chrono::minutes(10));
    std::string output = install.output();
    while (!output.empty() && output.back() == '\n')
        output.pop_back();
    const std::string python = output.substr(output.rfind('\n') + 1);
    if (code == 0 && access(python.c_str(), X_OK) == 0) return python;
    std::printf(
        "SKIPPING the Python baseline: %s could not make its virtual environment (exit %d; no "
        "network to PyPI?). tributary and the limit still run. Its output:\n%s\n",
        script.c_str(), code, output.c_str());
    return std::nullopt;
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{
        "tributary, the original script's algorithm and the libmongoc limit, side by side"};
    app.add_option("--docs", options.docs, "~1 KB documents seeded on the source")
        ->capture_default_str();
    app.add_option("--burst", options.burst, "mixed writes replicated in the burst")
        ->capture_default_str();
    app.add_option("--rates", options.rates, "source writes/s of the lag phase, or max")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--rate-seconds", options.rate_seconds, "how long each rate is written")
        ->capture_default_str();
    app.add_option("--seed", options.seed, "random seed of the burst")->capture_default_str();
    app.add_flag("--tiny", options.tiny,
                 "2,000 docs, a burst of 500, one rate of 200/s for 2 s (the ctest smoke run)");
    app.add_option("--tributary", options.tributary, "tributary binary")->capture_default_str();
    app.add_option("--tributary-arg", options.tributary_args,
                   "extra argument for tributary sync (repeatable)");
    app.add_option(
        "--python", options.python,
        "python of the baselines' environment (default: run bench/baselines/install.sh)");
    app.add_flag("--no-python", options.no_python, "leave out the Python baseline");
    app.add_option("--db", options.db, "database of the data set")->capture_default_str();
    app.add_option("--role", options.role, "internal: the limit's own runs")
        ->check(CLI::IsMember({"limit-copy", "limit-apply"}))
        ->group("");
    app.add_option("--source", options.source_uri, "internal: the limit's source")->group("");
    app.add_option("--destination", options.dest_uri, "internal: the limit's destination")
        ->group("");
    CLI11_PARSE(app, argc, argv);
    if (!options.role.empty()) return run_limit_role(options);
    if (options.tiny) {
        options.docs = 2000;
        options.burst = 500;
        options.rates = {"200"};
        options.rate_seconds = 2;
    }
    if (!(options.rate_seconds > 0)) fail("--rate-seconds must be positive");
    for (const std::string& rate : options.rates) {
        if (rate != "max" && !(std::strtod(rate.c_str(), nullptr) > 0)) {
            fail("--rates takes writes per second or max, not '" + rate + "'");
        }
    }

    mongoc_init();
    const std::optional<std::string> python =
        options.no_python ? std::nullopt : baseline_python(options);
    std::printf(
        "compare: %d docs, burst of %d, rates %s for %.0f s each; nproc %u, load average "
        "%s\n",
        options.docs, options.burst,
        std::accumulate(options.rates.begin(), options.rates.end(), std::string(),
                        [](std::string all, const std::string& rate) {
                            return all.empty() ? rate : all + "," + rate;
                        })
            .c_str(),
        options.rate_seconds, std::thread::hardware_concurrency(), load_average().c_str());
    std::fflush(stdout);
    bool equal = false;
    try {
        Comparison comparison(options);
        comparison.run_limit();
        if (python) {
            comparison.run_follower(
                kPython, [&](const std::string& source, const std::string& dest) {
                    return std::make_unique<testsupport::ChildProcess>(
                        *python, std::vector<std::string>{BASELINES_DIR "/original_script.py"},
                        std::vector<std::string>{"PRIMARY_MONGO_URI=" + source,
                                                 "SECONDARY_MONGO_URI=" + dest,
                                                 "DATABASE_NAME=" + options.db});
                });
        }
        comparison.run_follower(kTributary, [&](const std::string& source,
                                                const std::string& dest) {
            std::vector<std::string> args{"sync", "--source", source,    "--destination",
                                          dest,   "--db",     options.db};
            args.insert(args.end(), options.tributary_args.begin(), options.tributary_args.end());
            return std::make_unique<testsupport::ChildProcess>(options.tributary, args);
        });
        comparison.print_table();
        equal = comparison.all_equal();
    } catch (const std::exception& error) {  // a server that did not start, a failed read
        fail(error.what());
    }
    std::printf("load average at the end: %s\n", load_average().c_str());
    mongoc_cleanup();
    if (!equal) std::printf("FAILED: a destination differed from its source (table above)\n");
    return equal ? 0 : 1;
}
