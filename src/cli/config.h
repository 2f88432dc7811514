// tributary's settings and where they come from: command-line flags override the environment
// (PRIMARY_MONGO_URI, SECONDARY_MONGO_URI, DATABASE_NAME, LOGGING_LEVEL), which overrides a
// YAML or TOML config file with the same keys as the flags.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/common.h>

namespace tributary {

enum class ExistingMode { kSkip, kDrop, kFail };
enum class HistoryLostMode { kFail, kResync };
enum class TransactionMode { kAtomic, kSplit };
enum class LogFormat { kText, kJson };

struct Config {
    std::string source;       // URI (may hold credentials: print only redacted)
    std::string destination;  // URI
    std::vector<std::string> databases;
    std::vector<std::string> include;
    std::vector<std::string> exclude;
    ExistingMode existing = ExistingMode::kSkip;
    spdlog::level::level_enum log_level = spdlog::level::info;
    LogFormat log_format = LogFormat::kText;
    std::string state_db = "__tributary";
    std::string state_file;  // non-empty: checkpoint in this file instead of the destination
    HistoryLostMode on_history_lost = HistoryLostMode::kFail;
    TransactionMode transactions = TransactionMode::kAtomic;
    int copy_workers = 4;
    int apply_workers = 4;   // replication's parallel appliers (documents routed by _id hash)
    int batch_size = 10000;  // documents per read batch
    // Status API (--status-addr HOST:PORT; --metrics-port PORT is 127.0.0.1:PORT); port 0: off.
    std::string status_host = "127.0.0.1";
    int status_port = 0;
    std::string status_setting;  // the flag as given, for messages: "--metrics-port 9100"
    std::string status_token;    // non-empty: requests need "Authorization: Bearer TOKEN"
    int stall_timeout_s = 60;    // /healthz: 503 after this long without progress
    bool progress = true;        // --no-progress: no progress line on a terminal
    int range_docs = 0;          // documents per copy range; 0: automatic (at least 100,000)
    bool reset_state = false;    // discard the checkpoint and start over
    int server_selection_timeout_ms = 10000;
    // verify: differences listed (all are counted), and the report as one JSON line.
    int max_differences = 1000;
    int settle_timeout_s = 30;  // verify: how long differences are rechecked while sync runs
    bool verify_json = false;
    bool verify_after_copy = false;  // sync: run verify once the initial copy is done
    // Sources before 6.0 only: how often index/option changes are looked for (0: at barriers).
    int catalog_poll_interval_s = 5;
    // Write concern of the destination's data writes: "majority" or a number of members.
    std::string write_concern = "majority";
    // Bound of the spool of change events followed during the copy; 0: no following (the
    // stream is opened at the start point after the copy, which the oplog must still hold).
    int spool_max_mb = 1024;
};

// One layer of raw settings: canonical key (the long flag name without "--") to its values.
// Keys that take a list (db, include, exclude) may have several values.
using Settings = std::map<std::string, std::vector<std::string>>;

// Settings from the environment; `getenv` is injectable for tests.
Settings settings_from_environment(const std::function<const char*(const char*)>& getenv =
                                       [](const char* name) { return std::getenv(name); });
// Settings from a .yaml/.yml or .toml file (other extensions: YAML). Throws UserError.
Settings settings_from_file(const std::string& path);
// Higher layers first: {flags, env, file}; a key present in a layer hides lower layers' values.
Settings merge_settings(const std::vector<Settings>& layers_by_precedence);
// Validates and converts; throws UserError (exit 2) naming the bad key and its accepted values.
Config to_config(const Settings& settings);

// DEBUG, INFO, WARNING (WARN), ERROR, CRITICAL, any case, optionally "logging."-prefixed, or
// Python's numeric levels 10..50. Throws UserError.
spdlog::level::level_enum parse_log_level(const std::string& text);

// text with A-Z turned to a-z (option values and host names compare case-insensitively).
std::string ascii_lower(std::string text);

}  // namespace tributary
