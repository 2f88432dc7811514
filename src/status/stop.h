// The process-wide stop request: SIGINT/SIGTERM set it; long-running stages poll it between
// batches and finish cleanly (checkpoint written, exit code 0).
#pragma once

#include <atomic>

namespace tributary {

// The flag set by the signal handlers (lock-free, safe to set from a handler).
std::atomic<bool>& stop_requested();
// Installs SIGINT and SIGTERM handlers that set stop_requested(); a second signal exits at once.
void install_stop_signal_handlers();

}  // namespace tributary
