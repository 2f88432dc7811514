// `tributary status --status-addr`: asks a running sync's status API and describes its answer
// for a person.
#pragma once

#include <optional>
#include <string>

namespace tributary::status {

struct Fetched {
    std::optional<std::string> body;  // the /status JSON
    std::string error;                // why there is none: unreachable, 401, ...
};

Fetched fetch_status(const std::string& host, int port, const std::string& token);

// Lines like "phase:          copying" from a /status document.
std::string describe_status(const std::string& status_json);

}  // namespace tributary::status
