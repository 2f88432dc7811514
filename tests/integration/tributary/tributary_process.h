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
  private:
    // libmongoc initialises its shared-memory counters when the library loads, in
    // /dev/shm/mongoc-<pid>; the processes these tests SIGKILL leave theirs behind, and a later
    // process with the same pid then gets "Falling back to malloc for counters" on stderr, a
    // line that is libmongoc's, not tributary's. MONGOC_DISABLE_SHM, read at load time, skips
    // the segment.
    static std::vector<std::string> with_shm_disabled(std::vector<std::string> env) {
        env.push_back("MONGOC_DISABLE_SHM=1");
        return env;
    }

  public:
    // Starts `tributary args...` with the given extra environment ("NAME=value").
    explicit TributaryProcess(std::vector<std::string> args, std::vector<std::string> env = {})
        : ChildProcess(TRIBUTARY_PATH, std::move(args), with_shm_disabled(std::move(env))) {}

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
