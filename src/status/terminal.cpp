// The progress line: "\r" + text + erase-to-end-of-line, so each draw replaces the last one.
#include "status/terminal.h"

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <cstdio>
#include <mutex>

#include "status/progress.h"

namespace tributary::status {

namespace {

std::mutex g_line_mutex;
bool g_line_drawn = false;

class StatusLogSink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        clear_terminal_line();
        if (msg.level >= spdlog::level::warn)
            counters().warn(std::string(msg.payload.data(), msg.payload.size()));
    }
    void flush_() override {}
};

}  // namespace

void draw_terminal_line(const std::string& text) {
    std::lock_guard lock(g_line_mutex);
    std::fprintf(stderr, "\r%s\033[K", text.c_str());
    std::fflush(stderr);
    g_line_drawn = true;
}

void clear_terminal_line() {
    std::lock_guard lock(g_line_mutex);
    if (!g_line_drawn) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    g_line_drawn = false;
}

std::shared_ptr<spdlog::sinks::sink> status_log_sink() {
    return std::make_shared<StatusLogSink>();
}

}  // namespace tributary::status
