// A child program (fork + exec) with its stdout and stderr in a temporary file, for the tests and
// benchmarks that run tributary; and eventually(), the deadline poll they wait with.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace testsupport {

// Polls `condition` every 20 ms until it holds or `timeout` passes; returns its last value.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

class ChildProcess {
  public:
    // Starts `path args...` with extra environment entries ("NAME=value").
    ChildProcess(const std::string& path, std::vector<std::string> args,
                 std::vector<std::string> env = {}) {
        static int counter = 0;
        log_path_ =
            (std::filesystem::temp_directory_path() /
             ("child_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".log"))
                .string();
        int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) throw std::runtime_error("cannot create " + log_path_);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fd, STDOUT_FILENO);
            ::dup2(fd, STDERR_FILENO);
            for (const std::string& assignment : env)
                ::putenv(const_cast<char*>(assignment.c_str()));
            std::vector<char*> argv{const_cast<char*>(path.c_str())};
            for (std::string& arg : args)
                argv.push_back(arg.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(fd);
        if (pid_ < 0) throw std::runtime_error("fork failed");
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess() {
        if (pid_ > 0) kill_hard();
        std::filesystem::remove(log_path_);
    }

    std::string output() const {
        std::ifstream in(log_path_);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    // The output written since byte `offset`, which moves past it: polling a long log this way
    // costs what was added, not the whole log.
    std::string output_from(std::streamoff& offset) const {
        std::ifstream in(log_path_);
        in.seekg(offset);
        std::stringstream text;
        text << in.rdbuf();
        std::string added = text.str();
        offset += static_cast<std::streamoff>(added.size());
        return added;
    }
    bool output_contains(const std::string& text) const {
        return output().find(text) != std::string::npos;
    }

    // The exit code (128 + signal when killed) once it has exited; nullopt while it runs.
    std::optional<int> exit_code() {
        if (pid_ <= 0) return code_;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
        pid_ = -1;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return code_;
    }
    // Waits for the exit and returns the exit code, or -1 on timeout (then kills it).
    int wait(std::chrono::milliseconds timeout) {
        if (!eventually([&] { return exit_code().has_value(); }, timeout)) {
            kill_hard();
            return -1;
        }
        return *code_;
    }
    // SIGTERM (a clean stop) and the exit code.
    int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        if (pid_ > 0) ::kill(pid_, SIGTERM);
        return wait(timeout);
    }
    // The process id while it runs (0 once it has exited).
    pid_t pid() const { return pid_ > 0 ? pid_ : 0; }
    // kill -9, as a crash.
    void kill_hard() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

  private:
    pid_t pid_ = -1;
    std::optional<int> code_;
    std::string log_path_;
};

}  // namespace testsupport
