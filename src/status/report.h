// What the status API answers, from one Snapshot of the counters: the /status JSON, the
// /metrics Prometheus text and the /healthz verdict. None of it holds a URI or a credential.
#pragma once

#include <chrono>
#include <string>

#include "status/progress.h"

namespace tributary::status {

// The /status document (docs/usage.md, "Status and metrics").
std::string status_json(const Snapshot& snapshot, std::chrono::steady_clock::time_point now);
// The /metrics text, every series prefixed tributary_.
std::string prometheus_text(const Snapshot& snapshot, std::chrono::steady_clock::time_point now);

struct Health {
    bool ok = true;
    std::string reason;  // why not ok
};
// Not ok when nothing progressed (no batch copied, no event read, no drained stream) for longer
// than `stall_timeout`, or the last batch failed.
Health health(const Snapshot& snapshot, std::chrono::steady_clock::time_point now,
              std::chrono::seconds stall_timeout);

// "2026-12-03T22:57:13Z" for seconds since the epoch.
std::string iso_utc(int64_t seconds);
// "2026-12-03T22:57:13Z (42 s ago)" for a source cluster time (seconds), measured from `now`.
std::string time_and_age(int64_t seconds, std::chrono::system_clock::time_point now);

}  // namespace tributary::status
