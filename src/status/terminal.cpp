// The progress display: its lines are redrawn in place (the cursor goes up to the first one,
// each line is rewritten and erased to its end, and what is left below is erased), under the same
// lock as the log lines, so a log line never lands amid a drawing.
#include "status/terminal.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace tributary::status {

namespace {

using Clock = std::chrono::steady_clock;

std::mutex g_display_mutex;
size_t g_lines_drawn = 0;

// "[#######.............]" for `done` of `total` (all dots when the total is unknown).
std::string bar(int64_t done, int64_t total) {
    constexpr int64_t kWidth = 20;
    const int64_t filled = total > 0 ? std::min(kWidth, done * kWidth / total) : 0;
    return "[" + std::string(size_t(filled), '#') + std::string(size_t(kWidth - filled), '.') + "]";
}

// "1200/5000 (24%)", or "1200/?" when the total is unknown.
std::string count_text(int64_t done, int64_t total) {
    if (total <= 0) return fmt::format("{}/?", done);
    return fmt::format("{}/{} ({}%)", done, total, std::min<int64_t>(100, done * 100 / total));
}

// ", 3000/s, ETA 13 s" (no ETA when the rate or the total is unknown).
std::string rate_text(double rate, int64_t done, int64_t total) {
    std::string text = fmt::format(", {:.0f}/s", rate);
    if (rate > 0 && total > 0) {
        text += fmt::format(", ETA {:.0f} s", double(std::max<int64_t>(0, total - done)) / rate);
    }
    return text;
}

struct Running {
    std::string ns;
    const CollectionProgress* progress;
    double rate;
};

std::vector<std::string> copy_lines(const Snapshot& snapshot, Clock::time_point now,
                                    size_t max_collections) {
    int64_t done = 0;
    int64_t total = 0;
    double rate = 0;
    std::vector<Running> running;
    for (const auto& [ns, progress] : snapshot.collections) {
        done += progress.documents_done;
        total += std::max(progress.documents_total, progress.documents_done);
        if (progress.complete) continue;
        running.push_back({ns, &progress, copy_rate(progress, now)});
        rate += running.back().rate;
    }
    std::vector<std::string> lines{
        fmt::format("[copying] total {} {} documents{} | {}/{} collections copied",
                    bar(done, total), count_text(done, total), rate_text(rate, done, total),
                    snapshot.collections_copied, snapshot.collections.size())};
    std::stable_sort(running.begin(), running.end(),
                     [](const Running& a, const Running& b) { return a.rate > b.rate; });
    for (size_t i = 0; i < std::min(running.size(), max_collections); ++i) {
        const CollectionProgress& p = *running[i].progress;
        lines.push_back(
            fmt::format("  {} {} {}{}", running[i].ns, bar(p.documents_done, p.documents_total),
                        count_text(p.documents_done, p.documents_total),
                        rate_text(running[i].rate, p.documents_done, p.documents_total)));
    }
    if (running.size() > max_collections) {
        lines.push_back(fmt::format("  ... and {} more", running.size() - max_collections));
    }
    return lines;
}

// "[live] 2000/2000 documents (100%) | 12 events applied | lag 0 s".
std::string replication_line(const Snapshot& snapshot, Clock::time_point now) {
    int64_t done = 0;
    int64_t total = 0;
    for (const auto& [ns, progress] : snapshot.collections) {
        done += progress.documents_done;
        total += std::max(progress.documents_total, progress.documents_done);
    }
    std::string line = fmt::format("[{}] {}", phase_name(snapshot.phase), done);
    if (total > 0) line += fmt::format("/{} documents ({}%)", total, done * 100 / total);
    line += fmt::format(" | {} events applied | lag {} s", snapshot.events_applied,
                        replication_lag(snapshot));
    if (auto eta = catch_up_eta(snapshot, now)) line += fmt::format(", ETA {:.0f} s", *eta);
    return line;
}

// Columns of the terminal on stderr (80 when it does not say).
size_t terminal_width() {
    winsize size{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}

// `line` cut to fewer than `width` columns (at a UTF-8 character boundary), so it never wraps.
std::string fitted(const std::string& line, size_t width) {
    if (line.size() < width) return line;
    size_t end = width - 1;
    while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80)
        --end;
    return line.substr(0, end);
}

// Back to the start of the drawn display: "\r", and up to its first line.
void rewind_locked() {
    std::fputs("\r", stderr);
    if (g_lines_drawn > 1) std::fprintf(stderr, "\033[%zuA", g_lines_drawn - 1);
}

void erase_locked() {
    if (g_lines_drawn == 0) return;
    rewind_locked();
    std::fputs("\033[J", stderr);
    std::fflush(stderr);
    g_lines_drawn = 0;
}

class StatusLogSink : public spdlog::sinks::sink {
  public:
    explicit StatusLogSink(std::shared_ptr<spdlog::sinks::sink> terminal)
        : terminal_(std::move(terminal)) {}
    void log(const spdlog::details::log_msg& msg) override {
        if (msg.level >= spdlog::level::warn)
            counters().warn(std::string(msg.payload.data(), msg.payload.size()));
        std::lock_guard lock(g_display_mutex);
        erase_locked();
        terminal_->log(msg);
    }
    void flush() override { terminal_->flush(); }
    void set_pattern(const std::string& pattern) override { terminal_->set_pattern(pattern); }
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
        terminal_->set_formatter(std::move(formatter));
    }

  private:
    std::shared_ptr<spdlog::sinks::sink> terminal_;
};

}  // namespace

std::vector<std::string> progress_lines(const Snapshot& snapshot, Clock::time_point now,
                                        size_t max_collections) {
    if (snapshot.phase == Phase::kCopying) return copy_lines(snapshot, now, max_collections);
    return {replication_line(snapshot, now)};
}

void draw_terminal_lines(const std::vector<std::string>& lines) {
    const size_t width = terminal_width();
    std::lock_guard lock(g_display_mutex);
    rewind_locked();
    for (size_t i = 0; i < lines.size(); ++i) {
        std::fprintf(stderr, "%s%s\033[K", i > 0 ? "\n" : "", fitted(lines[i], width).c_str());
    }
    std::fputs("\033[J", stderr);
    std::fflush(stderr);
    g_lines_drawn = lines.size();
}

void clear_terminal_lines() {
    std::lock_guard lock(g_display_mutex);
    erase_locked();
}

std::shared_ptr<spdlog::sinks::sink> status_log_sink(
    std::shared_ptr<spdlog::sinks::sink> terminal) {
    return std::make_shared<StatusLogSink>(std::move(terminal));
}

}  // namespace tributary::status
