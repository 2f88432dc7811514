// Settings precedence (flags > environment > config file), environment and config-file parsing,
// log level names and the one-line errors of bad values.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/config.h"
#include "cli/exit_codes.h"

namespace tributary {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "_" + name);
    std::ofstream(path) << text;
    return path.string();
}

Settings env_of(const std::map<std::string, std::string>& variables) {
    return settings_from_environment([&](const char* name) -> const char* {
        auto found = variables.find(name);
        return found == variables.end() ? nullptr : found->second.c_str();
    });
}

TEST(Config, EnvironmentUsesTheOriginalScriptsVariables) {
    Config config = to_config(env_of({{"PRIMARY_MONGO_URI", "mongodb://a"},
                                      {"SECONDARY_MONGO_URI", "mongodb://b"},
                                      {"DATABASE_NAME", "training"},
                                      {"LOGGING_LEVEL", "logging.DEBUG"}}));
    EXPECT_EQ(config.source, "mongodb://a");
    EXPECT_EQ(config.destination, "mongodb://b");
    EXPECT_EQ(config.databases, std::vector<std::string>{"training"});
    EXPECT_EQ(config.log_level, spdlog::level::debug);
}

TEST(Config, DatabaseNameMayListSeveralDatabases) {
    Config config = to_config(env_of({{"DATABASE_NAME", "shop, crm"}}));
    EXPECT_EQ(config.databases, (std::vector<std::string>{"shop", "crm"}));
}

TEST(Config, FlagsOverrideEnvironmentWhichOverridesFile) {
    std::string file = write_temp("precedence.yaml",
                                  "source: mongodb://file-src\n"
                                  "destination: mongodb://file-dst\n"
                                  "log_level: ERROR\n"
                                  "copy-workers: 7\n");
    Settings flags = {{"source", {"mongodb://flag-src"}}};
    Settings env = env_of(
        {{"PRIMARY_MONGO_URI", "mongodb://env-src"}, {"SECONDARY_MONGO_URI", "mongodb://env-dst"}});
    Config config = to_config(merge_settings({flags, env, settings_from_file(file)}));
    EXPECT_EQ(config.source, "mongodb://flag-src");
    EXPECT_EQ(config.destination, "mongodb://env-dst");
    EXPECT_EQ(config.log_level, spdlog::level::err);
    EXPECT_EQ(config.copy_workers, 7);
    std::filesystem::remove(file);
}

TEST(Config, TomlFileHasTheSameKeys) {
    std::string file = write_temp("settings.toml",
                                  "source = \"mongodb://s\"\n"
                                  "databases = [\"a\", \"b\"]\n"
                                  "existing = \"drop\"\n"
                                  "batch_size = 500\n"
                                  "apply_workers = 8\n");
    Config config = to_config(settings_from_file(file));
    EXPECT_EQ(config.source, "mongodb://s");
    EXPECT_EQ(config.databases, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(config.existing, ExistingMode::kDrop);
    EXPECT_EQ(config.batch_size, 500);
    EXPECT_EQ(config.apply_workers, 8);
    std::filesystem::remove(file);
}

TEST(Config, DefaultsMatchTheDocumentation) {
    Config config = to_config({});
    EXPECT_EQ(config.existing, ExistingMode::kSkip);
    EXPECT_EQ(config.state_db, "__tributary");
    EXPECT_EQ(config.on_history_lost, HistoryLostMode::kFail);
    EXPECT_EQ(config.log_level, spdlog::level::info);
    EXPECT_EQ(config.log_format, LogFormat::kText);
    EXPECT_EQ(config.catalog_poll_interval_s, 5);
    EXPECT_EQ(config.copy_workers, 4);
    EXPECT_EQ(config.apply_workers, 4);
}

void expect_usage_error(const Settings& settings, const std::string& fragment) {
    try {
        to_config(settings);
        FAIL() << "expected a usage error mentioning " << fragment;
    } catch (const UserError& error) {
        EXPECT_EQ(error.code(), kExitUsage);
        EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
    }
}

TEST(Config, RejectsBadValuesNamingTheSetting) {
    expect_usage_error({{"existing", {"merge"}}}, "--existing must be one of skip|drop|fail");
    expect_usage_error({{"copy-workers", {"0"}}}, "--copy-workers");
    expect_usage_error({{"apply-workers", {"0"}}}, "--apply-workers");
    expect_usage_error({{"batch-size", {"ten"}}}, "--batch-size");
    expect_usage_error({{"log-format", {"xml"}}}, "--log-format");
}

TEST(Config, CatalogPollIntervalMayBeZeroButNotNegative) {
    EXPECT_EQ(to_config({{"catalog-poll-interval", {"0"}}}).catalog_poll_interval_s, 0);
    expect_usage_error({{"catalog-poll-interval", {"-1"}}}, "--catalog-poll-interval");
}

TEST(Config, WriteConcernIsMajorityUnlessANumberOfMembersIsGiven) {
    EXPECT_EQ(to_config({}).write_concern, "majority");
    EXPECT_EQ(to_config({{"write-concern", {"2"}}}).write_concern, "2");
    EXPECT_EQ(to_config({{"write-concern", {"MAJORITY"}}}).write_concern, "majority");
    // w: 0 would hide the write errors that replication repairs.
    expect_usage_error({{"write-concern", {"0"}}}, "--write-concern");
    expect_usage_error({{"write-concern", {"all"}}}, "--write-concern");
}

TEST(Config, StatusAddressIsHostAndPortOrAPortOnLoopback) {
    Config config = to_config({{"status-addr", {"0.0.0.0:9100"}}});
    EXPECT_EQ(config.status_host, "0.0.0.0");
    EXPECT_EQ(config.status_port, 9100);
    config = to_config({{"status-addr", {"9101"}}});
    EXPECT_EQ(config.status_host, "127.0.0.1");
    EXPECT_EQ(config.status_port, 9101);
    config = to_config({{"status-addr", {"[::1]:9102"}}});
    EXPECT_EQ(config.status_host, "::1");
    config = to_config({{"metrics-port", {"9103"}}});
    EXPECT_EQ(config.status_host, "127.0.0.1");
    EXPECT_EQ(config.status_port, 9103);
    EXPECT_EQ(config.status_setting, "--metrics-port 9103");
    EXPECT_EQ(to_config({}).status_port, 0);
    EXPECT_EQ(to_config({}).stall_timeout_s, 60);
    for (const char* bad : {"host:", "host:http", "1:70000", "0"}) {
        EXPECT_THROW(to_config({{"status-addr", {bad}}}), UserError) << bad;
    }
}

TEST(Config, StatusTokenComesFromTheEnvironmentToo) {
    EXPECT_EQ(to_config(env_of({{"TRIBUTARY_STATUS_TOKEN", "t0ken"}})).status_token, "t0ken");
}

TEST(Config, StateDbAndStateFileConflict) {
    expect_usage_error({{"state-db", {"x"}}, {"state-file", {"/tmp/y"}}}, "mutually exclusive");
}

TEST(Config, UnknownConfigFileKeyIsAUsageError) {
    std::string file = write_temp("unknown.yaml", "sauce: mongodb://x\n");
    try {
        settings_from_file(file);
        FAIL();
    } catch (const UserError& error) {
        EXPECT_EQ(error.code(), kExitUsage);
        EXPECT_NE(std::string(error.what()).find("unknown setting 'sauce'"), std::string::npos);
    }
    std::filesystem::remove(file);
}

TEST(Config, MissingConfigFileIsAUsageError) {
    EXPECT_THROW(settings_from_file("/nonexistent/tributary.yaml"), UserError);
}

TEST(LogLevel, AcceptsPythonStyleNames) {
    EXPECT_EQ(parse_log_level("DEBUG"), spdlog::level::debug);
    EXPECT_EQ(parse_log_level("info"), spdlog::level::info);
    EXPECT_EQ(parse_log_level("logging.INFO"), spdlog::level::info);
    EXPECT_EQ(parse_log_level("WARNING"), spdlog::level::warn);
    EXPECT_EQ(parse_log_level("warn"), spdlog::level::warn);
    EXPECT_EQ(parse_log_level("ERROR"), spdlog::level::err);
    EXPECT_EQ(parse_log_level("20"), spdlog::level::info);
    EXPECT_THROW(parse_log_level("loud"), UserError);
}

}  // namespace
}  // namespace tributary
