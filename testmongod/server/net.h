// The network layer: a TCP listener (plain or TLS, server/tls.h) with one thread per connection.
// Each connection reads whole messages, hands them to the dispatcher and writes the replies; a
// failing connection is closed without affecting the others.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tmd {

class ServerState;
class Stream;
class TlsServer;

class Listener {
  public:
    explicit Listener(ServerState& server);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Binds and listens on options().bind_ip:port; returns the bound port (useful with port 0).
    // Throws std::runtime_error when the address cannot be bound or the TLS files not loaded.
    int listen();
    // Starts accepting connections on a background thread.
    void start();
    // Stops accepting, shuts every connection down and waits for their threads to finish.
    void stop();

  private:
    void accept_loop();
    void serve(int fd, uint64_t id, std::string peer);
    void serve_messages(Stream& stream, uint64_t id, std::string peer);
    void join_ended_threads();  // with mutex_ held

    ServerState& server_;
    std::unique_ptr<TlsServer> tls_;  // set by listen()
    int listen_fd_ = -1;
    std::thread accept_thread_;
    std::mutex mutex_;
    std::condition_variable all_closed_;
    struct Connection {
        int fd;
        std::thread thread;
    };
    std::map<uint64_t, Connection> connections_;  // by connection id
    // Threads of ended connections, joined by the accept loop and stop(): a thread still exiting
    // when main returns would leave its OpenSSL thread state unfreed (LeakSanitizer reports it).
    std::vector<std::thread> ended_;
    uint64_t next_connection_id_ = 1;
    bool stopping_ = false;
};

}  // namespace tmd
