// Test support: spawning and stopping testmongod for a test, and picking external servers from
// the environment. See server_process.h.
#include "support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace testsupport {
namespace {

using Clock = std::chrono::steady_clock;

// Generous: sanitizer builds on a loaded 2-core machine start slowly.
constexpr auto kReadyDeadline = std::chrono::seconds(30);
constexpr int kStopTimeoutMs = 15000;

std::string replset_of(const std::vector<std::string>& args) {
    for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--replset") return args[i + 1];
    }
    return "rs0";
}

[[noreturn]] void exec_server(const std::vector<std::string>& args, int stdout_fd) {
    dup2(stdout_fd, STDOUT_FILENO);
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
}

// Reads the child's stdout until "ready port=N\n"; returns N, or -1 at EOF or the deadline.
int read_ready_port(int fd) {
    std::string output;
    auto deadline = Clock::now() + kReadyDeadline;
    while (Clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(left.count()) + 1) <= 0) continue;
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return -1;
        output.append(buf, static_cast<size_t>(n));
        auto pos = output.find("ready port=");
        if (pos != std::string::npos && output.find('\n', pos) != std::string::npos) {
            return std::atoi(output.c_str() + pos + 11);
        }
    }
    return -1;
}

TestServer uri_or_start(const char* env_name, std::vector<std::string> extra_args) {
    if (const char* uri = std::getenv(env_name); uri != nullptr && *uri != '\0') {
        return TestServer{uri, std::nullopt};
    }
    auto process = ServerProcess::start(std::move(extra_args));
    std::string uri = process.uri();
    return TestServer{uri, std::move(process)};
}

}  // namespace

ServerProcess ServerProcess::start(std::vector<std::string> extra_args, int port) {
    std::vector<std::string> args{TESTMONGOD_PATH, "--port", std::to_string(port)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) exec_server(args, pipe_fds[1]);
    close(pipe_fds[1]);
    int ready_port = read_ready_port(pipe_fds[0]);
    // The server writes nothing else to stdout; closing our end is safe (it ignores SIGPIPE).
    close(pipe_fds[0]);
    ServerProcess process(pid, ready_port, replset_of(args));
    if (ready_port <= 0) {
        process.kill();
        throw std::runtime_error("testmongod did not print 'ready port=N': " + args[0]);
    }
    return process;
}

ServerProcess::ServerProcess(pid_t pid, int port, std::string replset)
    : pid_(pid), port_(port), replset_(std::move(replset)) {}

ServerProcess::ServerProcess(ServerProcess&& other) noexcept
    : pid_(other.pid_), port_(other.port_), replset_(std::move(other.replset_)) {
    other.pid_ = -1;
}

ServerProcess& ServerProcess::operator=(ServerProcess&& other) noexcept {
    if (this != &other) {
        stop();
        pid_ = other.pid_;
        port_ = other.port_;
        replset_ = std::move(other.replset_);
        other.pid_ = -1;
    }
    return *this;
}

ServerProcess::~ServerProcess() {
    stop();
}

std::string ServerProcess::uri() const {
    return "mongodb://127.0.0.1:" + std::to_string(port_) + "/?replicaSet=" + replset_;
}

int ServerProcess::wait_for_exit(int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    int status = 0;
    while (true) {
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) break;
        if (r < 0) return -1;
        if (Clock::now() >= deadline) return -2;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a child's exit
    }
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int ServerProcess::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int code = wait_for_exit(kStopTimeoutMs);
    if (code == -2) {
        ::kill(pid_, SIGKILL);
        code = wait_for_exit(kStopTimeoutMs);
    }
    return code;
}

void ServerProcess::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait_for_exit(kStopTimeoutMs);
}

std::string unique_name(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

TestServer source_uri_or_start(std::vector<std::string> extra_args) {
    return uri_or_start("TRIBUTARY_TEST_SOURCE_URI", std::move(extra_args));
}

TestServer dest_uri_or_start(std::vector<std::string> extra_args) {
    return uri_or_start("TRIBUTARY_TEST_DEST_URI", std::move(extra_args));
}

}  // namespace testsupport
