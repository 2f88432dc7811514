#include "mongo/retry.h"

#include <algorithm>
#include <cstdint>
#include <random>

namespace tributary::mongo {

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base,
                                      std::chrono::milliseconds cap) {
    const int64_t growth = int64_t{1} << std::clamp(attempt, 0, 20);
    const int64_t ceiling = std::min<int64_t>(cap.count(), base.count() * growth);
    thread_local std::mt19937_64 random(std::random_device{}());
    return std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(0, ceiling)(random));
}

}  // namespace tributary::mongo
