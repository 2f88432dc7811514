// The default spdlog logger in the seed script's format. Level names come from a custom flag
// because spdlog's own short and long names ("warning" lower-case, "W") are not Python's.
#include "cli/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "status/terminal.h"

namespace tributary {

const char* python_level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
        case spdlog::level::debug:
            return "DEBUG";
        case spdlog::level::info:
            return "INFO";
        case spdlog::level::warn:
            return "WARNING";
        case spdlog::level::err:
            return "ERROR";
        default:
            return "CRITICAL";
    }
}

namespace {

// %L → the Python level name.
class LevelNameFlag : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        std::string_view name = python_level_name(msg.level);
        dest.append(name.data(), name.data() + name.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<LevelNameFlag>();
    }
};

// The message's time in UTC, ISO 8601 with milliseconds: "2024-09-01T10:00:00.123Z". Computed
// from the message itself: spdlog fills the `tm` it hands to custom flags only when the pattern
// also holds one of its own time flags, which the JSON pattern does not.
std::string utc_timestamp(spdlog::log_clock::time_point when) {
    const auto since_epoch = when.time_since_epoch();
    const std::time_t seconds =
        std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[40];
    const size_t length = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(stamp + length, sizeof stamp - length, ".%03dZ", static_cast<int>(millis));
    return stamp;
}

// %J → {"time": "...", "level": "INFO", "message": "..."} with the message JSON-escaped.
class JsonLineFlag : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        nlohmann::json line = {{"time", utc_timestamp(msg.time)},
                               {"level", python_level_name(msg.level)},
                               {"message", std::string(msg.payload.data(), msg.payload.size())}};
        std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        dest.append(text.data(), text.data() + text.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonLineFlag>();
    }
};

}  // namespace

void setup_logging(spdlog::level::level_enum level, LogFormat format) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (format == LogFormat::kJson) {
        formatter->add_flag<JsonLineFlag>('J').set_pattern("%J");
    } else {
        formatter->add_flag<LevelNameFlag>('L').set_pattern("%Y-%m-%d %H:%M:%S - %L - %v");
    }
    // The status sink writes to stderr, erasing the progress display first.
    auto logger = std::make_shared<spdlog::logger>(
        "tributary", status::status_log_sink(std::make_shared<spdlog::sinks::stderr_sink_mt>()));
    logger->set_formatter(std::move(formatter));
    logger->set_level(level);
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace tributary
