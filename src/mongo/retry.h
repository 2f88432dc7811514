// The delay before retrying an operation that failed transiently (a dropped connection, a
// retryable server error): capped exponential backoff with full jitter, uniform in
// [0, min(cap, base * 2^attempt)], so clients that failed together (one blip) do not all retry
// at the same moment (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
#pragma once

#include <atomic>
#include <chrono>

namespace tributary::mongo {

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base,
                                      std::chrono::milliseconds cap);

// Sleeps `delay`, waking early when `stop` is set; false when stopped.
bool sleep_unless_stopped(std::chrono::milliseconds delay, const std::atomic<bool>& stop);

}  // namespace tributary::mongo
