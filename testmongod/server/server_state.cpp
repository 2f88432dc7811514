// ServerState: construction (profile, oplog, catalog, command table), shutdown signalling and
// the stderr logger.
#include "server/server_state.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "server/auth.h"
#include "server/catalog.h"

namespace tmd {
namespace {

std::atomic<int> current_log_level{static_cast<int>(LogLevel::Info)};

// electionId as a one-member replica set in its first term reports it: 7fffffff + term.
bson_oid_t first_term_election_id() {
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "7fffffff0000000000000001");
    return oid;
}

}  // namespace

bool parse_log_level(std::string_view name, LogLevel* level) {
    static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {
        {"error", LogLevel::Error},
        {"warning", LogLevel::Warning},
        {"info", LogLevel::Info},
        {"debug", LogLevel::Debug}};
    for (const auto& [text, value] : kLevels) {
        if (name == text) {
            *level = value;
            return true;
        }
    }
    return false;
}

void set_log_level(LogLevel level) {
    current_log_level = static_cast<int>(level);
}

bool log_enabled(LogLevel level) {
    return static_cast<int>(level) <= current_log_level.load();
}

void log_line(LogLevel level, std::string_view message) {
    if (!log_enabled(level)) return;
    static constexpr const char* kNames[] = {"E", "W", "I", "D"};
    std::time_t now = std::time(nullptr);
    std::tm utc;
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    std::fprintf(stderr, "%s %s testmongod: %.*s\n", stamp, kNames[static_cast<int>(level)],
                 static_cast<int>(message.size()), message.data());
}

VersionProfile VersionProfile::of(const std::string& profile) {
    // maxWireVersion per server release: 4.4 → 9, 6.0 → 17, 7.0 → 21.
    // https://github.com/mongodb/specifications (wire version table in the SDAM spec)
    if (profile == "4.4") return {"4.4.29", 9, false, false, false};
    if (profile == "6.0") return {"6.0.20", 17, true, false, true};
    if (profile == "7.0") return {"7.0.16", 21, true, true, true};
    throw std::invalid_argument("unknown version profile " + profile + " (use 4.4, 6.0 or 7.0)");
}

ServerState::ServerState(ServerOptions options)
    : options_(std::move(options)),
      profile_(VersionProfile::of(options_.version_profile)),
      oplog_(static_cast<size_t>(options_.oplog_size_mb) * 1024 * 1024),
      election_id_(first_term_election_id()),
      start_time_(std::chrono::steady_clock::now()) {
    bson_oid_init(&process_id_, nullptr);
    parameters_.ttl_monitor_sleep_secs = options_.ttl_monitor_sleep_secs;
    parameters_.ttl_monitor_enabled = options_.ttl_monitor_enabled;
    parameters_.transaction_lifetime_limit_seconds = options_.transaction_lifetime_limit_seconds;
    // Every command family registers here. Change streams run inside aggregate (crud).
    register_admin_commands(commands_);
    register_cursor_commands(commands_);
    register_crud_commands(commands_);
    register_catalog_commands(commands_);
    register_session_commands(commands_);
    register_auth_commands(commands_);
    catalog_ = std::make_unique<Catalog>(*this);
    users_ = std::make_unique<UserStore>();
    if (!options_.dbpath.empty()) {
        std::filesystem::create_directories(options_.dbpath);
        users_->persist_to((std::filesystem::path(options_.dbpath) / "users").string());
    }
    add_root_users(*users_, options_.users);
}

ServerState::~ServerState() = default;

std::string ServerState::advertised_address() const {
    if (!options_.advertise.empty()) return options_.advertise;
    return "127.0.0.1:" + std::to_string(bound_port_);
}

void ServerState::append_topology_version(bson_t* reply) const {
    bson_t topology;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "topologyVersion", &topology);
    BSON_APPEND_OID(&topology, "processId", &process_id_);
    BSON_APPEND_INT64(&topology, "counter", 0);
    bson_append_document_end(reply, &topology);
}

void ServerState::request_shutdown() {
    {
        std::lock_guard lock(shutdown_mutex_);
        shutting_down_ = true;
    }
    shutdown_cv_.notify_all();
}

bool ServerState::wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(shutdown_mutex_);
    return shutdown_cv_.wait_until(lock, deadline, [this] { return shutting_down_.load(); });
}

}  // namespace tmd
