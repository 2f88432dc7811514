// Test helper: runs the tributary binary (TRIBUTARY_PATH) as a child process with its output in
// a temporary file, and polls with deadlines (no sleeps as synchronisation).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tributary_test {

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

class TributaryProcess {
  public:
    // Starts `tributary args...` with the given extra environment ("NAME=value").
    explicit TributaryProcess(std::vector<std::string> args, std::vector<std::string> env = {}) {
        static int counter = 0;
        log_path_ = (std::filesystem::temp_directory_path() /
                     ("tributary_test_" + std::to_string(::getpid()) + "_" +
                      std::to_string(counter++) + ".log"))
                        .string();
        int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) throw std::runtime_error("cannot create " + log_path_);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fd, STDOUT_FILENO);
            ::dup2(fd, STDERR_FILENO);
            for (const std::string& assignment : env)
                ::putenv(const_cast<char*>(assignment.c_str()));
            std::vector<char*> argv{const_cast<char*>(TRIBUTARY_PATH)};
            for (std::string& arg : args)
                argv.push_back(arg.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(fd);
        if (pid_ < 0) throw std::runtime_error("fork failed");
    }
    TributaryProcess(const TributaryProcess&) = delete;
    TributaryProcess& operator=(const TributaryProcess&) = delete;
    ~TributaryProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        std::filesystem::remove(log_path_);
    }

    // Runs to completion and returns the exit code (-1 on timeout, after killing it).
    static int run(std::vector<std::string> args, std::string* output = nullptr,
                   std::vector<std::string> env = {}) {
        TributaryProcess process(std::move(args), std::move(env));
        int code = process.wait(std::chrono::seconds(120));
        if (output) *output = process.output();
        return code;
    }

    std::string output() const {
        std::ifstream in(log_path_);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    bool output_contains(const std::string& text) const {
        return output().find(text) != std::string::npos;
    }

    // Waits for the exit; returns the exit code, 128 + signal, or -1 on timeout (then kills).
    int wait(std::chrono::milliseconds timeout) {
        int status = 0;
        bool exited = eventually(
            [&] {
                pid_t done = ::waitpid(pid_, &status, WNOHANG);
                return done == pid_;
            },
            timeout);
        if (!exited) {
            kill_hard();
            return -1;
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    // SIGTERM (a clean stop) and the exit code.
    int terminate() {
        ::kill(pid_, SIGTERM);
        return wait(std::chrono::seconds(60));
    }
    // kill -9, as a crash.
    void kill_hard() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

  private:
    pid_t pid_ = -1;
    std::string log_path_;
};

}  // namespace tributary_test
