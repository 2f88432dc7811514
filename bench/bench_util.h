// Plumbing every benchmark program shares: fatal errors, timing, a testmongod started when no
// --uri was given, and inserting a batch of owned documents.
#pragma once

#include <errno.h>  // program_invocation_short_name
#include <mongoc/mongoc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

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

}  // namespace bench
