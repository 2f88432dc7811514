// Test support: starts testmongod as a child process on a free loopback port, or uses the
// MongoDB named by TRIBUTARY_TEST_SOURCE_URI / TRIBUTARY_TEST_DEST_URI so tests run unchanged.
#pragma once

#include <sys/types.h>

#include <cstdlib>

#include <optional>
#include <string>
#include <vector>

// Skips the test (gtest) when the servers come from TRIBUTARY_TEST_SOURCE_URI /
// TRIBUTARY_TEST_DEST_URI: it needs a testmongod started with particular flags, or one it
// restarts, or it arms a server-wide failpoint, which would fail the commands of the other tests
// sharing that server (and be consumed or turned off by theirs).
#define SKIP_UNLESS_OWN_SERVERS(why)                                                            \
    do {                                                                                        \
        if (std::getenv("TRIBUTARY_TEST_SOURCE_URI") || std::getenv("TRIBUTARY_TEST_DEST_URI")) \
            GTEST_SKIP() << "needs its own testmongod (" << why << "); an external URI is set"; \
    } while (false)

namespace testsupport {

class ServerProcess {
  public:
    // Spawns TESTMONGOD_PATH with --port `port` (0: a free one) plus extra_args and waits (with
    // a deadline) for its "ready port=N" line. Throws std::runtime_error if it does not come.
    // A port of a server that just exited restarts it where its clients look for it.
    static ServerProcess start(std::vector<std::string> extra_args = {}, int port = 0);

    ServerProcess(ServerProcess&& other) noexcept;
    ServerProcess& operator=(ServerProcess&& other) noexcept;
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess();

    std::string uri() const;  // mongodb://127.0.0.1:PORT/?replicaSet=rs0
    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0; }

    // SIGTERM, then waits for the exit (SIGKILL after a deadline). Returns the exit code, or
    // 128 + signal number if it died of a signal; -1 if it was not running.
    int stop();
    // SIGKILL and wait, as a crash would.
    void kill();

  private:
    ServerProcess(pid_t pid, int port, std::string replset);
    int wait_for_exit(int timeout_ms);

    pid_t pid_ = -1;
    int port_ = 0;
    std::string replset_;
};

// A name unique to this process and call, for databases and collections: prefix_<pid>_<n>.
std::string unique_name(const std::string& prefix);

// The server a test talks to: an external MongoDB named by an environment variable, or a
// testmongod started for the test (and stopped when this goes away).
struct TestServer {
    std::string uri;
    std::optional<ServerProcess> process;  // empty when external
    bool external() const { return !process.has_value(); }
};

// TRIBUTARY_TEST_SOURCE_URI if set, else a new testmongod started with extra_args.
TestServer source_uri_or_start(std::vector<std::string> extra_args = {});
// TRIBUTARY_TEST_DEST_URI if set, else a new testmongod started with extra_args.
TestServer dest_uri_or_start(std::vector<std::string> extra_args = {});

}  // namespace testsupport
