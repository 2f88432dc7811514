// Test helper: runs the tributary binary of this build (TRIBUTARY_PATH) as a child process with
// its output in a temporary file (testsupport::ChildProcess).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "support/child_process.h"

namespace tributary_test {

using testsupport::eventually;

class TributaryProcess : public testsupport::ChildProcess {
  public:
    // Starts `tributary args...` with the given extra environment ("NAME=value").
    explicit TributaryProcess(std::vector<std::string> args, std::vector<std::string> env = {})
        : ChildProcess(TRIBUTARY_PATH, std::move(args), std::move(env)) {}

    // Runs to completion and returns the exit code (-1 on timeout, after killing it).
    static int run(std::vector<std::string> args, std::string* output = nullptr,
                   std::vector<std::string> env = {}) {
        TributaryProcess process(std::move(args), std::move(env));
        int code = process.wait(std::chrono::seconds(120));
        if (output) *output = process.output();
        return code;
    }
};

}  // namespace tributary_test
