// The progress line redrawn on an interactive stderr, and the log sink that keeps log lines clean
// of it (the line is cleared before each message) and records warnings for the status API.
#pragma once

#include <spdlog/sinks/sink.h>

#include <memory>
#include <string>

namespace tributary::status {

// Replaces the progress line on stderr with `text` (no newline).
void draw_terminal_line(const std::string& text);
// Erases the progress line, if one is drawn.
void clear_terminal_line();
// A sink to put before the logger's stderr sink: clears the progress line before each message
// and passes WARNING and above to counters().warn().
std::shared_ptr<spdlog::sinks::sink> status_log_sink();

}  // namespace tributary::status
