// Test hook: with TRIBUTARY_CRASH_AT=<name> in the environment the process kills itself
// (SIGKILL, as a crash) when it reaches the crash point of that name, so a test can stop it
// exactly between two writes. Checked only at the named points of docs/replication.md.
#pragma once

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace tributary::checkpoint {

inline void crash_point(const char* name) {
    static const char* const wanted = std::getenv("TRIBUTARY_CRASH_AT");
    if (wanted != nullptr && std::strcmp(wanted, name) == 0) std::raise(SIGKILL);
}

}  // namespace tributary::checkpoint
