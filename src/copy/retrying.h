// The copy's steps that talk to a server (a range, creating a collection before its ranges,
// building its indexes after them) are retried after a transient failure (a dropped connection,
// a RetryableWriteError or other transient label): each step is idempotent, so running it again
// is safe.
#pragma once

#include <atomic>
#include <functional>
#include <string>

namespace tributary::copy {

// Runs `step`; after a transient failure runs it again after a capped, jittered exponential
// backoff, up to a few times in all (about a minute of outage), logging
// "<what> failed (<reason>); retrying in N ms (attempt K of M)." Throws the failure that is not
// transient or outlasts the attempts. Returns false when `stop` is set during a wait.
bool retry_transient(const std::string& what, const std::atomic<bool>& stop,
                     const std::function<void()>& step);

}  // namespace tributary::copy
