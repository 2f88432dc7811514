// The log line formats: the original script's "date - LEVEL - message" with Python level names,
// and one JSON object per line.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <ctime>
#include <iomanip>
#include <regex>
#include <sstream>

#include "cli/logging.h"

namespace tributary {
namespace {

std::string logged_line(LogFormat format, spdlog::level::level_enum level,
                        const std::string& text) {
    setup_logging(spdlog::level::debug, format);
    testing::internal::CaptureStderr();
    spdlog::log(level, "{}", text);
    return testing::internal::GetCapturedStderr();
}

TEST(Logging, TextLinesUseTheOriginalFormat) {
    std::string line = logged_line(LogFormat::kText, spdlog::level::info,
                                   "Copying collection 'users' to secondary database...");
    EXPECT_TRUE(std::regex_match(
        line, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - INFO - Copying collection 'users' )"
                         R"(to secondary database\.\.\.\n)")))
        << line;
}

TEST(Logging, WarningsAreNamedWarning) {
    std::string line = logged_line(LogFormat::kText, spdlog::level::warn, "careful");
    EXPECT_NE(line.find(" - WARNING - careful"), std::string::npos) << line;
}

TEST(Logging, JsonLinesAreOneObjectEach) {
    std::string line = logged_line(LogFormat::kJson, spdlog::level::err, "quote \" and\nnewline");
    ASSERT_EQ(line.back(), '\n');
    auto object = nlohmann::json::parse(line.substr(0, line.size() - 1));
    EXPECT_EQ(object["level"], "ERROR");
    EXPECT_EQ(object["message"], "quote \" and\nnewline");
    EXPECT_TRUE(object.contains("time"));
}

TEST(Logging, JsonTimeIsTheCurrentUtcTimeWithMilliseconds) {
    std::string line = logged_line(LogFormat::kJson, spdlog::level::info, "now");
    const std::string stamp =
        nlohmann::json::parse(line.substr(0, line.size() - 1))["time"].get<std::string>();
    ASSERT_TRUE(std::regex_match(stamp, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
        << stamp;
    std::tm utc{};
    std::istringstream(stamp) >> std::get_time(&utc, "%Y-%m-%dT%H:%M:%S");
    EXPECT_LE(std::abs(std::difftime(timegm(&utc), std::time(nullptr))), 60.0) << stamp;
}

}  // namespace
}  // namespace tributary
