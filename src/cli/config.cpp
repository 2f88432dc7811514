// Settings layers (flags, environment, config file) merged by precedence and validated into a
// Config. Every rejection is a UserError naming the setting, the bad value and what is accepted.
#include "cli/config.h"

#include <toml++/toml.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "cli/exit_codes.h"

namespace tributary {

namespace {

const std::set<std::string> kKnownKeys = {"source",
                                          "destination",
                                          "db",
                                          "include",
                                          "exclude",
                                          "existing",
                                          "log-level",
                                          "log-format",
                                          "state-db",
                                          "state-file",
                                          "on-history-lost",
                                          "transactions",
                                          "copy-workers",
                                          "apply-workers",
                                          "batch-size",
                                          "metrics-port",
                                          "status-addr",
                                          "status-token",
                                          "stall-timeout",
                                          "no-progress",
                                          "reset-state",
                                          "server-selection-timeout-ms",
                                          "range-docs",
                                          "catalog-poll-interval",
                                          "write-concern",
                                          "spool-max-mb",
                                          "max-differences",
                                          "json",
                                          "settle-timeout",
                                          "verify-after-copy"};

UserError usage(const std::string& message) {
    return UserError(kExitUsage, message);
}

// File keys may use '_' or '-' ("log_level", "log-level"); "databases" is an alias of "db".
std::string canonical_key(std::string key, const std::string& path) {
    std::replace(key.begin(), key.end(), '_', '-');
    if (key == "databases" || key == "database") key = "db";
    if (!kKnownKeys.contains(key)) {
        throw usage("unknown setting '" + key + "' in config file '" + path +
                    "'; the keys are the long flag names of `tributary sync --help`");
    }
    return key;
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        std::string part = text.substr(start, end - start);
        part.erase(0, part.find_first_not_of(" \t"));
        part.erase(part.find_last_not_of(" \t") + 1);
        if (!part.empty()) parts.push_back(part);
        start = end + 1;
    }
    return parts;
}

Settings from_yaml(const std::string& path) {
    Settings settings;
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap()) throw usage("config file '" + path + "' must be a mapping of settings");
    for (const auto& entry : root) {
        std::string key = canonical_key(entry.first.as<std::string>(), path);
        std::vector<std::string>& values = settings[key];
        if (entry.second.IsSequence()) {
            for (const auto& item : entry.second)
                values.push_back(item.as<std::string>());
        } else {
            values.push_back(entry.second.as<std::string>());
        }
    }
    return settings;
}

std::string toml_scalar(const toml::node& node, const std::string& key, const std::string& path) {
    if (auto text = node.value<std::string>()) return *text;
    if (auto number = node.value<int64_t>()) return std::to_string(*number);
    if (auto flag = node.value<bool>()) return *flag ? "true" : "false";
    throw usage("setting '" + key + "' in config file '" + path + "' must be a string or number");
}

Settings from_toml(const std::string& path) {
    Settings settings;
    toml::table root = toml::parse_file(path);
    for (const auto& [raw_key, node] : root) {
        std::string key = canonical_key(std::string(raw_key.str()), path);
        std::vector<std::string>& values = settings[key];
        if (const toml::array* array = node.as_array()) {
            for (const toml::node& item : *array)
                values.push_back(toml_scalar(item, key, path));
        } else {
            values.push_back(toml_scalar(node, key, path));
        }
    }
    return settings;
}

const std::string& single(const Settings& settings, const std::string& key) {
    const std::vector<std::string>& values = settings.at(key);
    if (values.size() != 1) throw usage("setting '" + key + "' takes exactly one value");
    return values.front();
}

int positive_int(const Settings& settings, const std::string& key, int minimum) {
    const std::string& text = single(settings, key);
    try {
        size_t used = 0;
        int value = std::stoi(text, &used);
        if (used == text.size() && value >= minimum) return value;
    } catch (const std::exception&) {
    }
    throw usage("--" + key + " must be a whole number of at least " + std::to_string(minimum) +
                ", not '" + text + "'");
}

// "majority" or a number of members (at least 1: w 0 would hide the write errors that the copy and
// replication repair).
std::string write_concern(const Settings& settings) {
    const std::string text = ascii_lower(single(settings, "write-concern"));
    if (text == "majority") return text;
    try {
        return std::to_string(positive_int(settings, "write-concern", 1));
    } catch (const UserError&) {
        throw usage("--write-concern must be majority or a number of members of at least 1, not '" +
                    single(settings, "write-concern") + "'");
    }
}

template <typename Enum>
Enum choice(const Settings& settings, const std::string& key,
            const std::vector<std::pair<std::string, Enum>>& choices) {
    std::string value = ascii_lower(single(settings, key));
    std::string accepted;
    for (const auto& [name, result] : choices) {
        if (value == name) return result;
        accepted += (accepted.empty() ? "" : "|") + name;
    }
    throw usage("--" + key + " must be one of " + accepted + ", not '" + value + "'");
}

bool truthy(const std::string& text) {
    std::string value = ascii_lower(text);
    if (value == "true" || value == "1" || value == "yes") return true;
    if (value == "false" || value == "0" || value == "no") return false;
    throw usage("expected true or false, not '" + text + "'");
}

// --status-addr HOST:PORT or PORT (loopback); --metrics-port PORT is 127.0.0.1:PORT.
void status_address(const Settings& settings, Config& config) {
    if (settings.contains("metrics-port")) {
        config.status_port = positive_int(settings, "metrics-port", 0);
        config.status_setting = "--metrics-port " + single(settings, "metrics-port");
    }
    if (!settings.contains("status-addr")) return;
    const std::string& text = single(settings, "status-addr");
    config.status_setting = "--status-addr " + text;
    const size_t colon = text.rfind(':');
    if (colon != std::string::npos) {
        std::string host = text.substr(0, colon);
        // [::1]:8080 names an IPv6 host.
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        if (!host.empty()) config.status_host = host;
    }
    try {
        size_t used = 0;
        const std::string port = text.substr(colon == std::string::npos ? 0 : colon + 1);
        const int value = std::stoi(port, &used);
        if (used == port.size() && value > 0 && value < 65536) {
            config.status_port = value;
            return;
        }
    } catch (const std::exception&) {
    }
    throw usage("--status-addr must be HOST:PORT or PORT with a port from 1 to 65535, not '" +
                text + "'");
}

}  // namespace

std::string ascii_lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

spdlog::level::level_enum parse_log_level(const std::string& text) {
    std::string level = ascii_lower(text);
    if (level.rfind("logging.", 0) == 0) level = level.substr(8);
    static const std::map<std::string, spdlog::level::level_enum> kLevels = {
        {"debug", spdlog::level::debug},  {"10", spdlog::level::debug},
        {"info", spdlog::level::info},    {"20", spdlog::level::info},
        {"warning", spdlog::level::warn}, {"warn", spdlog::level::warn},
        {"30", spdlog::level::warn},      {"error", spdlog::level::err},
        {"40", spdlog::level::err},       {"critical", spdlog::level::critical},
        {"50", spdlog::level::critical},  {"trace", spdlog::level::trace}};
    auto found = kLevels.find(level);
    if (found == kLevels.end()) {
        throw usage("log level '" + text + "' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL");
    }
    return found->second;
}

Settings settings_from_environment(const std::function<const char*(const char*)>& getenv) {
    Settings settings;
    auto take = [&](const char* variable, const std::string& key, bool list) {
        const char* value = getenv(variable);
        if (!value || !*value) return;
        settings[key] = list ? split_commas(value) : std::vector<std::string>{value};
    };
    take("PRIMARY_MONGO_URI", "source", false);
    take("SECONDARY_MONGO_URI", "destination", false);
    take("DATABASE_NAME", "db", true);
    take("LOGGING_LEVEL", "log-level", false);
    take("TRIBUTARY_STATUS_TOKEN", "status-token", false);
    return settings;
}

Settings settings_from_file(const std::string& path) {
    if (!std::filesystem::exists(path)) {
        throw usage("config file '" + path + "' does not exist; check the --config path");
    }
    std::string extension = ascii_lower(std::filesystem::path(path).extension().string());
    try {
        return extension == ".toml" ? from_toml(path) : from_yaml(path);
    } catch (const UserError&) {
        throw;
    } catch (const std::exception& error) {
        throw usage("cannot parse config file '" + path + "': " + error.what());
    }
}

Settings merge_settings(const std::vector<Settings>& layers_by_precedence) {
    Settings merged;
    for (auto layer = layers_by_precedence.rbegin(); layer != layers_by_precedence.rend();
         ++layer) {
        for (const auto& [key, values] : *layer)
            merged[key] = values;
    }
    return merged;
}

Config to_config(const Settings& settings) {
    Config config;
    auto has = [&](const char* key) { return settings.contains(key); };
    if (has("source")) config.source = single(settings, "source");
    if (has("destination")) config.destination = single(settings, "destination");
    if (has("db")) {
        for (const std::string& value : settings.at("db")) {
            for (std::string& db : split_commas(value))
                config.databases.push_back(db);
        }
    }
    if (has("include")) config.include = settings.at("include");
    if (has("exclude")) config.exclude = settings.at("exclude");
    if (has("existing")) {
        config.existing = choice<ExistingMode>(settings, "existing",
                                               {{"skip", ExistingMode::kSkip},
                                                {"drop", ExistingMode::kDrop},
                                                {"fail", ExistingMode::kFail}});
    }
    if (has("log-level")) config.log_level = parse_log_level(single(settings, "log-level"));
    if (has("log-format")) {
        config.log_format = choice<LogFormat>(
            settings, "log-format", {{"text", LogFormat::kText}, {"json", LogFormat::kJson}});
    }
    if (has("state-db")) config.state_db = single(settings, "state-db");
    if (has("state-file")) config.state_file = single(settings, "state-file");
    if (has("state-db") && has("state-file")) {
        throw usage(
            "--state-db and --state-file are mutually exclusive: the checkpoint is kept "
            "either in the destination or in a file");
    }
    if (has("on-history-lost")) {
        config.on_history_lost = choice<HistoryLostMode>(
            settings, "on-history-lost",
            {{"fail", HistoryLostMode::kFail}, {"resync", HistoryLostMode::kResync}});
    }
    if (has("transactions")) {
        config.transactions = choice<TransactionMode>(
            settings, "transactions",
            {{"atomic", TransactionMode::kAtomic}, {"split", TransactionMode::kSplit}});
    }
    if (has("copy-workers")) config.copy_workers = positive_int(settings, "copy-workers", 1);
    if (has("apply-workers")) config.apply_workers = positive_int(settings, "apply-workers", 1);
    if (has("batch-size")) config.batch_size = positive_int(settings, "batch-size", 1);
    status_address(settings, config);
    if (has("status-token")) config.status_token = single(settings, "status-token");
    if (has("stall-timeout")) config.stall_timeout_s = positive_int(settings, "stall-timeout", 1);
    if (has("no-progress")) config.progress = !truthy(single(settings, "no-progress"));
    if (has("max-differences"))
        config.max_differences = positive_int(settings, "max-differences", 1);
    if (has("settle-timeout"))
        config.settle_timeout_s = positive_int(settings, "settle-timeout", 0);
    if (has("verify-after-copy"))
        config.verify_after_copy = truthy(single(settings, "verify-after-copy"));
    if (has("json")) config.verify_json = truthy(single(settings, "json"));
    if (has("range-docs")) config.range_docs = positive_int(settings, "range-docs", 1);
    if (has("reset-state")) config.reset_state = truthy(single(settings, "reset-state"));
    if (has("catalog-poll-interval")) {
        config.catalog_poll_interval_s = positive_int(settings, "catalog-poll-interval", 0);
    }
    if (has("write-concern")) config.write_concern = write_concern(settings);
    if (has("spool-max-mb")) config.spool_max_mb = positive_int(settings, "spool-max-mb", 0);
    if (has("server-selection-timeout-ms")) {
        config.server_selection_timeout_ms =
            positive_int(settings, "server-selection-timeout-ms", 1);
    }
    return config;
}

}  // namespace tributary
