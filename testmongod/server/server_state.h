// ServerState: everything one testmongod process shares between connections — its options, the
// catalog of databases, open cursors, the oplog and the command table.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"
#include "server/cursor.h"
#include "server/failpoint.h"
#include "server/oplog.h"
#include "server/session.h"
#include "server/tls.h"

namespace tmd {

class Catalog;    // server/catalog.h
class UserStore;  // server/auth.h

struct ServerOptions {
    int port = 27017;  // 0: an ephemeral port, reported in the "ready port=N" line
    std::string bind_ip = "127.0.0.1";
    std::string replset = "rs0";
    std::string version_profile = "7.0";  // 4.4 | 6.0 | 7.0
    std::string dbpath;                   // empty: in memory
    std::string advertise;                // host:port in hello; default 127.0.0.1:<port>
    std::string log_level = "info";       // error | warning | info | debug
    int64_t oplog_size_mb = 256;
    // configureFailPoint exists only with test commands enabled, as in mongod
    // (--setParameter enableTestCommands=1). testmongod is a test server: on by default.
    bool enable_test_commands = true;
    // --setParameter ttlMonitorSleepSecs=N / ttlMonitorEnabled=BOOL: the TTL monitor's start-up
    // values (RuntimeParameters holds the current ones).
    int ttl_monitor_sleep_secs = 60;
    bool ttl_monitor_enabled = true;
    int transaction_lifetime_limit_seconds = 60;  // --setParameter, as mongod's default
    bool auth = false;                            // --auth: access control, as mongod's --auth
    std::vector<std::string> users;  // --user NAME:PASSWORD: root users on admin (testmongod only)
    TlsOptions tls;                  // --tls-mode, --tls-cert, --tls-key, --tls-ca
};

enum class LogLevel { Error = 0, Warning = 1, Info = 2, Debug = 3 };
// Parses "error", "warning", "info", "debug"; false for anything else.
bool parse_log_level(std::string_view name, LogLevel* level);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
// One line on stderr: "<ISO time> <LEVEL> <message>". stdout carries only "ready port=N".
void log_line(LogLevel level, std::string_view message);

// Counters reported by serverStatus.
struct ServerStats {
    std::atomic<int64_t> connections_current{0};
    std::atomic<int64_t> connections_total{0};
    // opcounters, counted per command as received (mongod counts inserts per document).
    std::atomic<int64_t> op_insert{0}, op_query{0}, op_update{0}, op_delete{0}, op_getmore{0},
        op_command{0};
    // metrics.ttl: documents the TTL monitor deleted, passes it made.
    std::atomic<int64_t> ttl_deleted_documents{0}, ttl_passes{0};
};

// Server parameters that setParameter changes at run time.
struct RuntimeParameters {
    std::atomic<int> ttl_monitor_sleep_secs{60};              // ttlMonitorSleepSecs
    std::atomic<bool> ttl_monitor_enabled{true};              // ttlMonitorEnabled
    std::atomic<int> transaction_lifetime_limit_seconds{60};  // transactionLifetimeLimitSeconds
};

// What a version profile changes in behaviour; see docs/testmongod.md.
struct VersionProfile {
    std::string version;           // "4.4.29", "6.0.20", "7.0.16"
    int max_wire_version;          // 9, 17, 21
    bool expanded_events;          // showExpandedEvents and wallTime (6.0+)
    bool disambiguated_paths;      // updateDescription.disambiguatedPaths (7.0)
    bool top_level_dollar_fields;  // inserts may store top-level '$' field names (5.0+)
    static VersionProfile of(const std::string& profile);
};

class ServerState {
  public:
    explicit ServerState(ServerOptions options);
    ~ServerState();

    const ServerOptions& options() const { return options_; }
    const VersionProfile& profile() const { return profile_; }
    int bound_port() const { return bound_port_; }
    void set_bound_port(int port) { bound_port_ = port; }
    std::string advertised_address() const;

    CommandRegistry& commands() { return commands_; }
    CursorManager& cursors() { return cursors_; }
    Oplog& oplog() { return oplog_; }
    Catalog& catalog() { return *catalog_; }
    FailPoints& fail_points() { return fail_points_; }
    UserStore& users() { return *users_; }
    ServerStats& stats() { return stats_; }
    RuntimeParameters& parameters() { return parameters_; }
    SessionCatalog& sessions() { return sessions_; }
    // transactionLifetimeLimitSeconds (mongod's default 60; setParameter and --setParameter).
    int transaction_lifetime_limit_seconds() const {
        return parameters_.transaction_lifetime_limit_seconds.load();
    }

    // hello.topologyVersion.processId and electionId: fixed for the life of the process.
    const bson_oid_t& process_id() const { return process_id_; }
    const bson_oid_t& election_id() const { return election_id_; }
    // {topologyVersion: {processId, counter: 0}}: the topology of a one-node set never changes.
    void append_topology_version(bson_t* reply) const;
    std::chrono::steady_clock::time_point start_time() const { return start_time_; }

    // Shutdown: waiters (awaitable hello, blocked failpoints) return early once it is requested.
    void request_shutdown();
    bool shutting_down() const { return shutting_down_.load(); }
    // Sleeps until the deadline or shutdown; returns true if shutdown interrupted it.
    bool wait_until(std::chrono::steady_clock::time_point deadline);

  private:
    ServerOptions options_;
    VersionProfile profile_;
    int bound_port_ = 0;
    CommandRegistry commands_;
    CursorManager cursors_;
    Oplog oplog_;
    std::unique_ptr<Catalog> catalog_;
    std::unique_ptr<UserStore> users_;
    FailPoints fail_points_;
    ServerStats stats_;
    RuntimeParameters parameters_;
    SessionCatalog sessions_;
    bson_oid_t process_id_;
    bson_oid_t election_id_;
    std::chrono::steady_clock::time_point start_time_;
    std::atomic<bool> shutting_down_{false};
    std::mutex shutdown_mutex_;
    std::condition_variable shutdown_cv_;
};

}  // namespace tmd
