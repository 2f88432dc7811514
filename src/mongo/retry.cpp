#include "mongo/retry.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <thread>

namespace tributary::mongo {

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base,
                                      std::chrono::milliseconds cap) {
    const int64_t growth = int64_t{1} << std::clamp(attempt, 0, 20);
    const int64_t ceiling = std::min<int64_t>(cap.count(), base.count() * growth);
    thread_local std::mt19937_64 random(std::random_device{}());
    return std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(0, ceiling)(random));
}

bool sleep_unless_stopped(std::chrono::milliseconds delay, const std::atomic<bool>& stop) {
    const auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
        if (stop.load()) return false;
        std::this_thread::sleep_for(
            std::min<std::chrono::milliseconds>(delay, std::chrono::milliseconds(50)));
    }
    return !stop.load();
}

}  // namespace tributary::mongo
