// Test support: the fault-injecting loopback TCP proxy (fault_proxy.h).
#include "support/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace testsupport {
namespace {

// How often idle threads look at the proxy's state (stop, stall, drop): a bound on how late a
// fault takes effect, not a synchronisation.
constexpr int kPollMs = 10;
constexpr size_t kChunkBytes = 64 * 1024;

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// Closes with a reset (SO_LINGER 0), as a refused or broken connection looks to the peer.
void reset(int fd) {
    linger option{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof option);
    close(fd);
}

bool write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(port);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
        return fd;
    if (fd >= 0) close(fd);
    return -1;
}

}  // namespace

struct FaultProxy::Connection {
    int client_fd = -1;
    int server_fd = -1;
    size_t generation = 0;
};

FaultProxy::FaultProxy(int target_port) : target_port_(target_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listen_fd_, 64) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (listen_fd_ >= 0) close(listen_fd_);
        throw std::runtime_error("fault proxy: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
    stopping_ = true;
    acceptor_.join();
    close(listen_fd_);
    std::lock_guard lock(threads_mutex_);
    for (auto& thread : threads_)
        thread.join();
}

std::string FaultProxy::uri() const {
    return "mongodb://127.0.0.1:" + std::to_string(port_) + "/?directConnection=true";
}

void FaultProxy::drop_connections() {
    ++generation_;
}

void FaultProxy::accept_loop() {
    while (!stopping_) {
        pollfd listening{listen_fd_, POLLIN, 0};
        if (poll(&listening, 1, kPollMs) <= 0) continue;
        int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        ++accepted_;
        if (refusing_) {
            ++refused_;
            reset(client);
            continue;
        }
        int server = connect_to(target_port_);
        if (server < 0) {
            reset(client);
            continue;
        }
        auto connection = std::make_shared<Connection>(Connection{client, server, generation_});
        std::lock_guard lock(threads_mutex_);
        threads_.emplace_back([this, connection] { forward(connection); });
    }
}

void FaultProxy::forward(std::shared_ptr<Connection> connection) {
    while (!stopping_) {
        if (connection->generation != generation_) {
            ++dropped_;
            break;
        }
        if (stalled_) {
            poll(nullptr, 0, kPollMs);
            continue;
        }
        pollfd fds[2] = {{connection->client_fd, POLLIN, 0}, {connection->server_fd, POLLIN, 0}};
        if (poll(fds, 2, kPollMs) <= 0) continue;
        if (fds[0].revents && !pump(connection->client_fd, connection->server_fd, false)) break;
        if (fds[1].revents && !pump(connection->server_fd, connection->client_fd, true)) break;
    }
    reset(connection->client_fd);
    reset(connection->server_fd);
}

bool FaultProxy::pump(int from, int to, bool from_server) {
    char buffer[kChunkBytes];
    ssize_t n = recv(from, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) return false;
    if (long long delay = delay_ms_; delay > 0) poll(nullptr, 0, static_cast<int>(delay));
    if (from_server && cut_pending_.exchange(false)) {
        write_all(to, buffer, static_cast<size_t>(n) / 2);
        ++dropped_;
        return false;
    }
    return write_all(to, buffer, static_cast<size_t>(n));
}

}  // namespace testsupport
