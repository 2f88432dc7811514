// Logging setup: the original script's line format "2024-09-01 10:00:00 - INFO - message"
// (Python logging level names, so WARNING not "warn") or one JSON object per line.
#pragma once

#include <spdlog/spdlog.h>

#include "cli/config.h"

namespace tributary {

// Python's level name for an spdlog level: DEBUG, INFO, WARNING, ERROR, CRITICAL.
const char* python_level_name(spdlog::level::level_enum level);
// Replaces the default logger with one writing to stderr in `format` at `level`.
void setup_logging(spdlog::level::level_enum level, LogFormat format);

}  // namespace tributary
