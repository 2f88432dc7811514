// tributary's command line: `tributary sync|finalize|verify|status [flags]`. Flags become the top
// settings layer over the environment and the config file; failures end in one line + exit code.
#include <mongoc/mongoc.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "checkpoint/checkpoint.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/logging.h"
#include "mongo/client.h"
#include "mongo/error.h"
#include "status/server.h"
#include "status/stop.h"

namespace {

using tributary::Settings;

constexpr const char* kEnvironmentHelp =
    "Environment (below flags, above the config file): PRIMARY_MONGO_URI (--source), "
    "SECONDARY_MONGO_URI (--destination), DATABASE_NAME (--db, comma-separated), LOGGING_LEVEL "
    "(--log-level). Exit codes: 0 ok/stopped, 1 internal error, 2 usage or config error, 3 "
    "cannot connect or authenticate, 4 source history lost, 5 destination write failure, 6 "
    "verify found differences.";

// The value each flag takes, for --help ("..." marks the repeatable ones); others: VALUE.
const std::map<std::string, std::string> kValueNames = {
    {"source", "URI"},
    {"destination", "URI"},
    {"db", "NAME ..."},
    {"include", "PATTERN ..."},
    {"exclude", "PATTERN ..."},
    {"state-db", "NAME"},
    {"state-file", "PATH"},
    {"log-level", "LEVEL"},
    {"log-format", "FORMAT"},
    {"server-selection-timeout-ms", "MS"},
    {"existing", "MODE"},
    {"on-history-lost", "MODE"},
    {"copy-workers", "N"},
    {"apply-workers", "N"},
    {"batch-size", "N"},
    {"range-docs", "N"},
    {"catalog-poll-interval", "SECONDS"},
    {"write-concern", "W"},
    {"metrics-port", "PORT"},
    {"max-differences", "N"},
    {"settle-timeout", "SECONDS"},
    {"transactions", "MODE"},
    {"spool-max-mb", "MB"},
    {"status-addr", "HOST:PORT"},
    {"status-token", "TOKEN"},
    {"stall-timeout", "SECONDS"},
};

std::string value_name(const std::string& key) {
    auto name = kValueNames.find(key);
    return name == kValueNames.end() ? "VALUE" : name->second;
}

// Help lines show an option's value name alone: every flag is stored as a list of strings (the
// settings layer checks the count), which CLI11 would show as "TEXT ...".
class HelpFormatter : public CLI::Formatter {
  public:
    std::string make_option_opts(const CLI::Option* option) const override {
        return option->get_type_size() == 0 ? "" : " " + option->get_type_name();
    }
};

// Flag values by settings key; only flags actually given become the top settings layer.
struct FlagLayer {
    std::map<std::string, std::vector<std::string>> values;
    std::map<std::string, std::vector<CLI::Option*>> options;  // one per subcommand
    bool reset_state = false;
    bool json = false;
    bool verify_after_copy = false;
    bool no_progress = false;

    void add(CLI::App& app, const std::string& key, const std::string& help) {
        options[key].push_back(
            app.add_option("--" + key, values[key], help)->type_name(value_name(key)));
    }
    Settings given() const {
        Settings layer;
        for (const auto& [key, per_command] : options) {
            for (const CLI::Option* option : per_command) {
                if (option->count() > 0) layer[key] = values.at(key);
            }
        }
        if (reset_state) layer["reset-state"] = {"true"};
        if (json) layer["json"] = {"true"};
        if (verify_after_copy) layer["verify-after-copy"] = {"true"};
        if (no_progress) layer["no-progress"] = {"true"};
        return layer;
    }
};

void add_connection_flags(CLI::App& app, FlagLayer& flags) {
    flags.add(app, "source", "Source URI, mongodb://[user:pass@]host[:port] (PRIMARY_MONGO_URI)");
    flags.add(app, "destination", "Destination URI (SECONDARY_MONGO_URI)");
    flags.add(app, "db",
              "Database to sync; repeatable; default every user database (DATABASE_NAME)");
    flags.add(app, "include",
              "Only namespaces matching db.coll (* wildcards); repeatable (default all)");
    flags.add(app, "exclude",
              "Skip namespaces matching db.coll (* wildcards); repeatable (default none)");
    flags.add(app, "state-db", "Destination database holding the checkpoint (default __tributary)");
    flags.add(app, "state-file",
              "Keep the checkpoint in this local file instead (default: in --state-db)");
    flags.add(app, "log-level", "DEBUG, INFO, WARNING or ERROR (LOGGING_LEVEL; default INFO)");
    flags.add(app, "log-format", "text (default) or json (one object per line)");
    flags.add(app, "server-selection-timeout-ms",
              "How long to wait for a reachable server (default 10000)");
}

void add_sync_flags(CLI::App& app, FlagLayer& flags) {
    flags.add(app, "existing",
              "Collections on the destination that tributary did not copy: skip (default, warns "
              "with both counts), drop (drop and recopy) or fail");
    flags.add(app, "on-history-lost",
              "When the source no longer has the history to resume from: fail (default, exit 4) "
              "or resync (recopy the affected namespaces)");
    flags.add(app, "transactions",
              "Source transactions: atomic (default: each applied as one destination "
              "transaction where the destination supports them) or split (write by write)");
    flags.add(app, "copy-workers", "Ranges copied in parallel (default 4)");
    flags.add(app, "apply-workers",
              "Replication's parallel appliers, documents routed by _id (default 4)");
    flags.add(app, "batch-size", "Documents per read batch of the copy (default 10000)");
    flags.add(app, "range-docs", "Documents per copy range (default: automatic, at least 100000)");
    flags.add(app, "catalog-poll-interval",
              "Seconds between catalog comparisons for sources before MongoDB 6.0, which report "
              "no index/option events (default 5; 0: only at drops and renames)");
    flags.add(app, "write-concern",
              "Write concern of the destination's data writes: majority (default) or a number of "
              "members");
    flags.add(app, "spool-max-mb",
              "Megabytes of change events spooled while the copy runs, at most (default 1024; "
              "exit 7 when exceeded); 0: do not follow the source during the copy");
    flags.add(app, "status-addr",
              "Serve the status API (/status, /metrics, /healthz) on HOST:PORT (default off; "
              "PORT alone binds 127.0.0.1)");
    flags.add(app, "metrics-port", "Same as --status-addr 127.0.0.1:PORT");
    flags.add(app, "status-token",
              "Require 'Authorization: Bearer TOKEN' on the status API (TRIBUTARY_STATUS_TOKEN; "
              "default none)");
    flags.add(app, "stall-timeout",
              "Seconds without progress after which /healthz answers 503 (default 60)");
    app.add_flag("--no-progress", flags.no_progress,
                 "No progress display on an interactive terminal (log lines only)");
    app.add_flag("--reset-state", flags.reset_state,
                 "Discard the checkpoint (e.g. after changing arguments) and start over");
}

void add_verify_flags(CLI::App& app, FlagLayer& flags) {
    flags.add(app, "copy-workers", "Ranges compared in parallel (default 4)");
    flags.add(app, "range-docs", "Documents per compared _id range (default 10000)");
    flags.add(app, "max-differences", "Differences listed; all are counted (default 1000)");
    flags.add(app, "settle-timeout",
              "Seconds a document difference is rechecked while a sync runs, so only lasting "
              "ones are reported (default 30; 0: no recheck)");
    app.add_flag("--json", flags.json, "Print the report as one line of JSON");
}

tributary::Config load_config(const FlagLayer& flags, const std::string& config_file) {
    std::vector<Settings> layers = {flags.given(), tributary::settings_from_environment()};
    if (!config_file.empty()) layers.push_back(tributary::settings_from_file(config_file));
    return tributary::to_config(tributary::merge_settings(layers));
}

void forward_mongoc_log(mongoc_log_level_t level, const char* domain, const char* message, void*) {
    // libmongoc's own chatter goes to DEBUG: tributary reports the failures that matter itself.
    if (level <= MONGOC_LOG_LEVEL_INFO) spdlog::debug("libmongoc {}: {}", domain, message);
}

// The status API of a sync or finalize; an address in use (or not ours to bind) is the user's
// setting to change.
void serve_status(const tributary::Config& config,
                  std::optional<tributary::status::StatusServer>& server) {
    try {
        server.emplace(tributary::status::ServerConfig{
            config.status_host, config.status_port, config.status_token,
            std::chrono::seconds(config.stall_timeout_s)});
    } catch (const std::runtime_error& error) {
        throw tributary::UserError(tributary::kExitUsage,
                                   config.status_setting + ": " + error.what() +
                                       " (in use by another process?); choose another port");
    }
}

int run(int argc, char** argv) {
    CLI::App app{
        "tributary: keeps a MongoDB destination in sync with a MongoDB source (initial "
        "copy, then change streams)."};
    app.footer(kEnvironmentHelp);
    app.formatter(std::make_shared<HelpFormatter>());
    app.set_version_flag("--version", std::string("tributary ") + TRIBUTARY_VERSION);
    app.require_subcommand(1);
    std::string config_file;
    FlagLayer flags;
    CLI::App* sync = app.add_subcommand("sync", "Copy the source, then replicate its changes");
    CLI::App* finalize = app.add_subcommand(
        "finalize",
        "Cutover: apply the source's changes up to now (through the running sync, if any), "
        "restore the indexes a sync neutralizes (unique, TTL), verify, and mark the destination "
        "finalized");
    CLI::App* verify =
        app.add_subcommand("verify", "Compare destination and source (exit 6 if different)");
    CLI::App* status = app.add_subcommand(
        "status", "Show the checkpoint of a sync, or with --status-addr what a running sync does");
    for (CLI::App* command : {sync, finalize, verify, status}) {
        command
            ->add_option("--config", config_file,
                         "YAML or TOML file with the same keys as the flags")
            ->type_name("FILE");
        add_connection_flags(*command, flags);
        command->footer(kEnvironmentHelp);
    }
    add_sync_flags(*sync, flags);
    add_sync_flags(*finalize, flags);
    add_verify_flags(*verify, flags);
    flags.add(*status, "status-addr", "HOST:PORT of a running sync's status API");
    flags.add(*status, "status-token", "Its --status-token (TRIBUTARY_STATUS_TOKEN)");
    sync->add_flag("--verify-after-copy", flags.verify_after_copy,
                   "Run verify (table on stdout) once the initial copy is done, before "
                   "replication");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        int code = app.exit(error);
        return code == 0 ? tributary::kExitOk : tributary::kExitUsage;
    }

    tributary::Config config = load_config(flags, config_file);
    tributary::setup_logging(config.log_level, config.log_format);
    std::optional<tributary::status::StatusServer> status_server;
    if (config.status_port > 0 && (sync->parsed() || finalize->parsed()))
        serve_status(config, status_server);
    tributary::install_stop_signal_handlers();
    if (sync->parsed()) return tributary::run_sync(config);
    if (finalize->parsed()) return tributary::run_finalize(config);
    if (verify->parsed()) return tributary::run_verify(config);
    return tributary::run_status(config);
}

}  // namespace

int main(int argc, char** argv) {
    tributary::setup_logging(spdlog::level::info, tributary::LogFormat::kText);
    tributary::mongo::Instance mongoc;
    mongoc_log_set_handler(forward_mongoc_log, nullptr);
    try {
        return run(argc, argv);
    } catch (const tributary::UserError& error) {
        spdlog::error("{}", error.what());
        return error.code();
    } catch (const tributary::checkpoint::StateFileError& error) {
        spdlog::error(
            "{}; delete or move it to start a new sync, or pass the --state-file of this run",
            error.what());
        return tributary::kExitUsage;
    } catch (const tributary::mongo::Error& error) {
        if (error.is_connection_failure() || error.is_auth_failure()) {
            spdlog::error(
                "lost the connection to MongoDB: {}; check that both servers are "
                "reachable, then rerun to resume",
                error.what());
            return tributary::kExitConnect;
        }
        if (error.is_history_lost()) {
            spdlog::error(
                "the source no longer holds the change history to resume from: {}; "
                "rerun with --on-history-lost resync or --reset-state",
                error.what());
            return tributary::kExitHistoryLost;
        }
        if (error.side() == tributary::mongo::Side::kSource) {
            spdlog::error("reading from the source failed (error {}): {}; rerun to resume",
                          error.code(), error.what());
            return tributary::kExitInternal;
        }
        spdlog::error("MongoDB error {}: {}", error.code(), error.what());
        return tributary::kExitWriteFailure;
    } catch (const std::exception& error) {
        spdlog::error("internal error: {}", error.what());
        return tributary::kExitInternal;
    }
}
