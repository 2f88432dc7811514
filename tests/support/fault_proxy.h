// Test support: a loopback TCP proxy placed between a client (tributary, a test's client) and a
// server, which injects network faults on demand: drop every connection, stall (stop
// forwarding while keeping connections open), delay each forwarded chunk, cut the next reply in
// half (forward half of it, then close), and refuse new connections. One thread accepts; one
// thread per connection forwards both directions.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace testsupport {

class FaultProxy {
  public:
    // Listens on a free 127.0.0.1 port and forwards each connection to 127.0.0.1:target_port.
    // Throws std::runtime_error when it cannot listen.
    explicit FaultProxy(int target_port);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    int port() const { return port_; }
    // A URI reaching the server through the proxy: a direct connection (the server's hello
    // names its own port, which a replica-set discovery would then use instead).
    std::string uri() const;

    // Closes every open connection (both sides); new ones are accepted as before.
    void drop_connections();
    // While stalled, no byte is forwarded either way; connections stay open.
    void set_stalled(bool stalled) { stalled_ = stalled; }
    // Each chunk is forwarded `delay` after it was read.
    void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
    // The next chunk a server sends is forwarded only in part (its first half), then that
    // connection is closed: a reply cut in the middle.
    void cut_next_reply() { cut_pending_ = true; }
    // While refusing, a new connection is closed (reset) as soon as it is accepted.
    void set_refusing(bool refusing) { refusing_ = refusing; }

    // Counts, for a test's figures: connections accepted (refused ones included), connections
    // ended by drop_connections or a cut reply, and connections refused.
    size_t accepted() const { return accepted_; }
    size_t dropped() const { return dropped_; }
    size_t refused() const { return refused_; }

  private:
    struct Connection;

    void accept_loop();
    void forward(std::shared_ptr<Connection> connection);
    // Forwards one chunk from `from` to `to`; false when the connection is to end.
    bool pump(int from, int to, bool from_server);

    int listen_fd_ = -1;
    int port_ = 0;
    int target_port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> stalled_{false};
    std::atomic<bool> refusing_{false};
    std::atomic<bool> cut_pending_{false};
    std::atomic<long long> delay_ms_{0};
    std::atomic<size_t> generation_{0};  // drop_connections ends connections of older ones
    std::atomic<size_t> accepted_{0};
    std::atomic<size_t> dropped_{0};
    std::atomic<size_t> refused_{0};
    std::mutex threads_mutex_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

}  // namespace testsupport
