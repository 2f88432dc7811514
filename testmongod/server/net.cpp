// The listener and per-connection loop; see net.h.
#include "server/net.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "server/dispatch.h"
#include "server/server_state.h"
#include "server/tls.h"
#include "server/wire.h"

namespace tmd {
namespace {

std::string peer_address(const sockaddr_in& addr) {
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &addr.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(addr.sin_port));
}

// Requests and replies allocate buffers of up to tens of MiB (a 48 MB insert message, a 16 MiB
// reply message) and free them at once. glibc serves such sizes with fresh mmaps by default, so
// the kernel zeroes and faults in every page again: about a third of the server's time under
// bench/testmongod_throughput. Keeping them in the heap lets them be reused. 64 MiB holds a
// maxMessageSizeBytes request; glibc 2.36 honours it (a 40 MiB malloc is not mmapped).
void keep_large_buffers_in_heap() {
    constexpr int kMmapThreshold = 64 * 1024 * 1024;
    constexpr int kTrimThreshold = 256 * 1024 * 1024;
    mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
    mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
}

}  // namespace

Listener::Listener(ServerState& server) : server_(server) {}

Listener::~Listener() {
    stop();
}

int Listener::listen() {
    keep_large_buffers_in_heap();
    const auto& options = server_.options();
    tls_ = std::make_unique<TlsServer>(options.tls);
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(options.port));
    if (inet_pton(AF_INET, options.bind_ip.c_str(), &addr.sin_addr) != 1) {
        throw std::runtime_error("--bind: not an IPv4 address: " + options.bind_ip);
    }
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, SOMAXCONN) != 0) {
        throw std::runtime_error("cannot listen on " + options.bind_ip + ":" +
                                 std::to_string(options.port) + ": " + std::strerror(errno));
    }
    socklen_t length = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    return ntohs(addr.sin_port);
}

void Listener::start() {
    accept_thread_ = std::thread([this] { accept_loop(); });
}

void Listener::accept_loop() {
    while (true) {
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
                continue;
            }
            return;  // the listening socket was shut down
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard lock(mutex_);
        if (stopping_) {
            close(fd);
            return;
        }
        join_ended_threads();
        uint64_t id = next_connection_id_++;
        connections_[id] = Connection{fd, std::thread([this, fd, id, address = peer_address(peer)] {
                                          serve(fd, id, address);
                                      })};
    }
}

void Listener::serve(int fd, uint64_t id, std::string peer) {
    ServerStats& stats = server_.stats();
    ++stats.connections_current;
    ++stats.connections_total;
    log_line(LogLevel::Debug, "connection " + std::to_string(id) + " accepted from " + peer);
    std::string why;
    std::unique_ptr<Stream> stream = tls_->accept(fd, &why);
    if (!stream) log_line(LogLevel::Info, "connection " + std::to_string(id) + " " + why);
    if (stream) serve_messages(*stream, id, std::move(peer));
    log_line(LogLevel::Debug, "connection " + std::to_string(id) + " ended");
    --stats.connections_current;
    std::lock_guard lock(mutex_);
    ended_.push_back(std::move(connections_[id].thread));
    connections_.erase(id);
    close(fd);
    all_closed_.notify_all();
}

void Listener::join_ended_threads() {
    for (std::thread& thread : ended_)
        thread.join();
    ended_.clear();
}

void Listener::serve_messages(Stream& stream, uint64_t id, std::string peer) {
    ClientInfo client;
    client.connection_id = id;
    client.remote_address = std::move(peer);
    while (true) {
        char header_bytes[wire::kHeaderSize];
        if (!stream.read_exact(header_bytes, sizeof header_bytes)) break;
        auto header = wire::read_header(reinterpret_cast<const uint8_t*>(header_bytes));
        // mongod closes the connection on a message length it will not read.
        if (!wire::acceptable_length(header)) break;
        std::string message(static_cast<size_t>(header.length), '\0');
        std::memcpy(message.data(), header_bytes, sizeof header_bytes);
        if (!stream.read_exact(message.data() + wire::kHeaderSize,
                               message.size() - wire::kHeaderSize)) {
            break;
        }
        DispatchOutcome outcome = handle_message(server_, client, std::move(message));
        if (outcome.close_connection) break;
        if (!outcome.reply.empty() && !stream.write_all(outcome.reply)) break;
    }
}

void Listener::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || listen_fd_ < 0) return;
        stopping_ = true;
    }
    server_.request_shutdown();
    // shutdown() wakes the blocked accept() and every blocked recv().
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (accept_thread_.joinable()) accept_thread_.join();
    close(listen_fd_);
    std::unique_lock lock(mutex_);
    for (const auto& [id, connection] : connections_)
        ::shutdown(connection.fd, SHUT_RDWR);
    all_closed_.wait(lock, [this] { return connections_.empty(); });
    join_ended_threads();
}

}  // namespace tmd
