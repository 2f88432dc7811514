// The progress display redrawn on an interactive stderr, and the log sink that keeps log lines
// clean of it (the display is erased before each message is written) and records warnings for
// the status API.
#pragma once

#include <spdlog/sinks/sink.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "status/progress.h"

namespace tributary::status {

// The display's lines for `snapshot`. While copying: a total line, then one bar per collection
// being copied (the `max_collections` fastest, then "... and K more"), each with its documents
// done of the total, rate and ETA. Otherwise one line: phase, documents, events applied, lag
// (and the catch-up estimate while catching up).
std::vector<std::string> progress_lines(const Snapshot& snapshot,
                                        std::chrono::steady_clock::time_point now,
                                        size_t max_collections = 8);
// Replaces the drawn display on stderr with `lines`, each cut to the terminal's width.
void draw_terminal_lines(const std::vector<std::string>& lines);
// Erases the display, if one is drawn.
void clear_terminal_lines();
// A sink that writes to `terminal` (stderr), erasing the display before each message, and passes
// WARNING and above to counters().warn().
std::shared_ptr<spdlog::sinks::sink> status_log_sink(std::shared_ptr<spdlog::sinks::sink> terminal);

}  // namespace tributary::status
