#include "copy/retrying.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "mongo/error.h"
#include "mongo/retry.h"
#include "status/progress.h"

namespace tributary::copy {

namespace {

// The delays grow from kBaseRetryDelay to at most kMaxRetryDelay.
constexpr int kMaxAttempts = 8;
constexpr std::chrono::milliseconds kBaseRetryDelay{100};
constexpr std::chrono::milliseconds kMaxRetryDelay{15000};

}  // namespace

bool retry_transient(const std::string& what, const std::atomic<bool>& stop,
                     const std::function<void()>& step) {
    for (int attempt = 1;; ++attempt) {
        try {
            step();
            return true;
        } catch (const mongo::Error& error) {
            const bool transient = error.is_transient() || error.is_connection_failure();
            if (!transient || attempt >= kMaxAttempts) throw;
            const std::chrono::milliseconds delay =
                mongo::retry_delay(attempt, kBaseRetryDelay, kMaxRetryDelay);
            ++status::counters().retries;
            ++status::counters().errors;
            spdlog::warn("{} failed ({}); retrying in {} ms (attempt {} of {}).", what,
                         error.what(), delay.count(), attempt + 1, kMaxAttempts);
            if (!mongo::sleep_unless_stopped(delay, stop)) return false;
        }
    }
}

}  // namespace tributary::copy
