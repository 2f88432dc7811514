// testmongod: a MongoDB-wire-compatible single-node replica set for tributary's tests.
// Parses the command line, loads --dbpath, listens, prints "ready port=N", and on SIGTERM/SIGINT
// stops accepting, saves --dbpath and exits 0. Bad flags: one-line error, exit 2.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "server/catalog.h"
#include "server/net.h"
#include "server/server_state.h"
#include "server/ttl_monitor.h"

namespace {

constexpr int kUsageError = 2;

bool parse_bool_parameter(const std::string& value, bool* out) {
    if (value != "1" && value != "true" && value != "0" && value != "false") return false;
    *out = value == "1" || value == "true";
    return true;
}

// --setParameter name=value for the parameters testmongod has: enableTestCommands,
// ttlMonitorEnabled, and ttlMonitorSleepSecs and transactionLifetimeLimitSeconds (integers >= 1,
// as mongod's ttl.idl and transaction_participant.idl).
bool apply_set_parameter(const std::string& assignment, tmd::ServerOptions& options) {
    auto eq = assignment.find('=');
    if (eq == std::string::npos) return false;
    std::string name = assignment.substr(0, eq), value = assignment.substr(eq + 1);
    if (name == "enableTestCommands")
        return parse_bool_parameter(value, &options.enable_test_commands);
    if (name == "ttlMonitorEnabled")
        return parse_bool_parameter(value, &options.ttl_monitor_enabled);
    int* seconds_parameter = name == "ttlMonitorSleepSecs" ? &options.ttl_monitor_sleep_secs
                             : name == "transactionLifetimeLimitSeconds"
                                 ? &options.transaction_lifetime_limit_seconds
                                 : nullptr;
    if (!seconds_parameter) return false;
    try {
        size_t used = 0;
        int seconds = std::stoi(value, &used);
        if (used != value.size() || seconds < 1) return false;
        *seconds_parameter = seconds;
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

// The TLS flags fit together as mongod's: a mode other than disabled needs a certificate, and
// the other TLS flags mean nothing without one.
void check_tls_options(const tmd::TlsOptions& tls) {
    bool any_file = !tls.certificate.empty() || !tls.key.empty() || !tls.ca.empty() ||
                    tls.allow_connections_without_certificates;
    if (tls.mode == "disabled" && any_file) {
        throw CLI::ValidationError("--tls-mode",
                                   "the TLS flags need --tls-mode allowTLS, "
                                   "preferTLS or requireTLS");
    }
    if (tls.mode != "disabled" && tls.certificate.empty()) {
        throw CLI::ValidationError("--tls-cert", "--tls-mode " + tls.mode + " needs --tls-cert");
    }
}

// Returns the parsed options, or exits (0 for --help, 2 for bad flags).
tmd::ServerOptions parse_options(int argc, char** argv) {
    tmd::ServerOptions options;
    std::vector<std::string> set_parameters;
    bool enable_test_commands = false;
    CLI::App app{"testmongod: a MongoDB-compatible single-node replica set for tests"};
    app.add_option("--port", options.port, "TCP port; 0 picks a free one")
        ->check(CLI::Range(0, 65535));
    app.add_option("--bind", options.bind_ip, "IPv4 address to listen on");
    app.add_option("--replset", options.replset, "replica set name; empty: standalone");
    app.add_option("--version-profile", options.version_profile, "4.4, 6.0 or 7.0")
        ->check(CLI::IsMember({"4.4", "6.0", "7.0"}));
    app.add_option("--dbpath", options.dbpath, "directory to keep data in; default: memory only");
    app.add_option("--log-level", options.log_level, "error, warning, info or debug")
        ->check(CLI::IsMember({"error", "warning", "info", "debug"}));
    app.add_option("--advertise", options.advertise, "host:port reported in hello");
    app.add_option("--oplog-size-mb", options.oplog_size_mb, "change history kept, in MiB")
        ->check(CLI::PositiveNumber);
    app.add_flag("--enable-test-commands", enable_test_commands,
                 "enable configureFailPoint (the default)");
    app.add_option("--setParameter", set_parameters,
                   "name=value: enableTestCommands, ttlMonitorEnabled, ttlMonitorSleepSecs, "
                   "transactionLifetimeLimitSeconds");
    app.add_flag("--auth", options.auth, "enable access control (as mongod --auth)");
    // testmongod only: seeds users so that tests need no localhost-exception bootstrap.
    app.add_option("--user", options.users, "a root user on admin; repeatable")
        ->type_name("NAME:PASSWORD")
        ->check(CLI::Validator(
            [](const std::string& value) -> std::string {
                size_t colon = value.find(':');
                return colon == 0 || colon == std::string::npos ? "expected NAME:PASSWORD" : "";
            },
            ""));
    app.add_option("--tls-mode", options.tls.mode,
                   "disabled, allowTLS, preferTLS or requireTLS, as mongod --tlsMode")
        ->check(CLI::IsMember({"disabled", "allowTLS", "preferTLS", "requireTLS"}));
    app.add_option("--tls-cert", options.tls.certificate,
                   "PEM certificate (and key, without --tls-key) presented to clients");
    app.add_option("--tls-key", options.tls.key, "PEM private key of --tls-cert");
    app.add_option("--tls-ca", options.tls.ca,
                   "PEM CA file: clients must present a certificate it signed");
    app.add_flag("--tls-allow-connections-without-certificates",
                 options.tls.allow_connections_without_certificates,
                 "with --tls-ca: verify client certificates only when presented");
    try {
        app.parse(argc, argv);
        check_tls_options(options.tls);
        for (const auto& assignment : set_parameters) {
            if (!apply_set_parameter(assignment, options)) {
                throw CLI::ValidationError("--setParameter", "unsupported parameter " + assignment);
            }
        }
    } catch (const CLI::CallForHelp&) {
        std::printf("%s", app.help().c_str());
        std::exit(0);
    } catch (const CLI::ParseError& error) {
        std::fprintf(stderr, "testmongod: %s\n", error.what());
        std::exit(kUsageError);
    }
    if (enable_test_commands) options.enable_test_commands = true;
    return options;
}

int wait_for_stop_signal() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    int received = 0;
    sigwait(&signals, &received);
    return received;
}

}  // namespace

int main(int argc, char** argv) {
    tmd::ServerOptions options = parse_options(argc, argv);
    tmd::LogLevel level;
    tmd::parse_log_level(options.log_level, &level);
    tmd::set_log_level(level);

    // Block the stop signals in every thread; main receives them with sigwait.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    try {
        tmd::ServerState server(options);
        server.catalog().load();
        tmd::Listener listener(server);
        server.set_bound_port(listener.listen());
        listener.start();
        tmd::TtlMonitor ttl_monitor(server);
        std::printf("ready port=%d\n", server.bound_port());
        std::fflush(stdout);
        tmd::log_line(tmd::LogLevel::Info, "listening on " + options.bind_ip + ":" +
                                               std::to_string(server.bound_port()));

        int received = wait_for_stop_signal();
        tmd::log_line(tmd::LogLevel::Info, std::string("shutting down on ") + strsignal(received));
        listener.stop();
        server.catalog().save();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "testmongod: %s\n", error.what());
        return 1;
    }
    return 0;
}
