// Plumbing every benchmark program shares: fatal errors, timing, a testmongod started when no
// --uri was given, and inserting a batch of owned documents.
#pragma once

#include <errno.h>  // program_invocation_short_name
#include <mongoc/mongoc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/server_process.h"

namespace bench {

// Benchmarks have nobody to recover for them: print "<program>: <what>" and exit 1.
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
    std::exit(1);
}

[[noreturn]] inline void fail(const char* what, const bson_error_t& error) {
    fail(std::string(what) + " failed: " + error.message);
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds (user + system, all threads) used so far by process `pid`, from /proc/<pid>/stat;
// 0 when unknown (a server we did not start).
inline double process_cpu_seconds(pid_t pid) {
    if (pid <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(in, line);
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// VmHWM of a running process (its peak resident set), in MiB; 0 when unknown.
inline double peak_rss_mib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    }
    return 0;
}

inline void drop_database(mongoc_client_t* client, const std::string& db) {
    bson_t* drop = BCON_NEW("dropDatabase", BCON_INT32(1));
    bson_error_t error;
    if (!mongoc_client_command_simple(client, db.c_str(), drop, nullptr, nullptr, &error)) {
        fail("dropDatabase", error);
    }
    bson_destroy(drop);
}

// Polls the output of `child` every 20 ms until it contains `text`; exits the benchmark when the
// child exits first or `timeout` passes. Reads only what was added since the last poll.
inline void wait_for_output(testsupport::ChildProcess& child, const std::string& text,
                            const std::string& who, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::streamoff offset = 0;
    std::string tail;  // the end of the output read so far: a line may arrive in two parts
    while (true) {
        std::string seen = tail + child.output_from(offset);
        if (seen.find(text) != std::string::npos) return;
        if (auto code = child.exit_code()) {
            fail(who + " exited with " + std::to_string(*code) + ":\n" + child.output());
        }
        if (std::chrono::steady_clock::now() > deadline) fail("timed out waiting for " + who);
        tail = seen.substr(seen.size() - std::min(seen.size(), text.size()));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// Starts a testmongod (with `args`) and points `uri` at it when `uri` is empty (no --uri given);
// the server lives as long as the returned value.
inline std::optional<testsupport::ServerProcess> start_server_unless_given(
    std::string& uri, std::vector<std::string> args = {}) {
    std::optional<testsupport::ServerProcess> server;
    if (uri.empty()) {
        server.emplace(testsupport::ServerProcess::start(std::move(args)));
        uri = server->uri();
    }
    return server;
}

// insert_many of docs[0, count) with `opts`, then destroys them; exits on an error. A plain array
// since std::vector<bson_t*> trips -Wignored-attributes (bson_t is over-aligned).
inline void insert_and_destroy(mongoc_collection_t* coll, bson_t** docs, size_t count,
                               const bson_t* opts, const char* what) {
    bson_error_t error;
    if (count > 0 && !mongoc_collection_insert_many(coll, const_cast<const bson_t**>(docs), count,
                                                    opts, nullptr, &error)) {
        fail(what, error);
    }
    for (size_t i = 0; i < count; ++i)
        bson_destroy(docs[i]);
}

// The plain copy loop: one thread reading db.docs of `source` with batches of `batch` and writing
// each batch to target_db.docs of `dest` with one unordered insert_many. Returns the documents
// copied.
inline int64_t copy_docs(mongoc_client_t* source, mongoc_client_t* dest, const std::string& db,
                         const std::string& target_db, int batch) {
    mongoc_collection_t* from = mongoc_client_get_collection(source, db.c_str(), "docs");
    mongoc_collection_t* to = mongoc_client_get_collection(dest, target_db.c_str(), "docs");
    bson_t filter = BSON_INITIALIZER;
    bson_t* find_opts = BCON_NEW("batchSize", BCON_INT32(batch));
    bson_t* insert_opts = BCON_NEW("ordered", BCON_BOOL(false));
    auto** pending = static_cast<bson_t**>(bson_malloc(sizeof(bson_t*) * batch));
    int pending_count = 0;
    auto flush = [&] {
        insert_and_destroy(to, pending, pending_count, insert_opts, "copy insert_many");
        pending_count = 0;
    };
    mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(from, &filter, find_opts, nullptr);
    const bson_t* doc = nullptr;
    int64_t copied = 0;
    while (mongoc_cursor_next(cursor, &doc)) {
        pending[pending_count++] = bson_copy(doc);
        ++copied;
        if (pending_count == batch) flush();
    }
    flush();
    bson_error_t error;
    if (mongoc_cursor_error(cursor, &error)) fail("copy find", error);
    mongoc_cursor_destroy(cursor);
    bson_free(pending);
    bson_destroy(insert_opts);
    bson_destroy(find_opts);
    mongoc_collection_destroy(to);
    mongoc_collection_destroy(from);
    return copied;
}

}  // namespace bench
