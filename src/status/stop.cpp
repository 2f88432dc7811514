// SIGINT/SIGTERM handling: the first signal asks every stage to stop after its batch in flight;
// a second one ends the process immediately (the user insists), without a checkpoint.
#include "status/stop.h"

#include <unistd.h>
#include <csignal>

namespace tributary {

namespace {
std::atomic<bool> g_stop{false};

void on_signal(int) {
    if (g_stop.exchange(true)) _exit(130);
}
}  // namespace

std::atomic<bool>& stop_requested() {
    return g_stop;
}

void install_stop_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

}  // namespace tributary
