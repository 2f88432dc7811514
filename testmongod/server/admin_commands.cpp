// Admin commands: the handshake (hello/isMaster), ping, buildInfo, serverStatus,
// replSetGetStatus, getParameter, sessions, configureFailPoint and small introspection commands.
// Reply fields follow the MongoDB manual's pages for each command.
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine/error.h"
#include "server/auth.h"
#include "server/command.h"
#include "server/server_state.h"
#include "server/wire.h"

namespace tmd {
namespace {

constexpr int kUnauthorized = 13;
constexpr int kNoReplicationEnabled = 76;
constexpr int kLogicalSessionTimeoutMinutes = 30;

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool replica_set(const CommandRequest& request) {
    return !request.server->options().replset.empty();
}

void append_string_array(bson_t* parent, const char* name, const std::vector<std::string>& items) {
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(parent, name, &array);
    for (uint32_t i = 0; i < items.size(); ++i) {
        BSON_APPEND_UTF8(&array, std::to_string(i).c_str(), items[i].c_str());
    }
    bson_append_array_end(parent, &array);
}

void append_op_time(bson_t* parent, const char* name, ClusterTime time) {
    bson_t op_time;
    BSON_APPEND_DOCUMENT_BEGIN(parent, name, &op_time);
    BSON_APPEND_TIMESTAMP(&op_time, "ts", time.t, time.i);
    BSON_APPEND_INT64(&op_time, "t", 1);  // the term: always the first
    bson_append_document_end(parent, &op_time);
}

void append_last_write(ServerState& server, bson_t* reply) {
    ClusterTime last = server.oplog().now();
    int64_t date = int64_t(last.t) * 1000;
    bson_t last_write;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "lastWrite", &last_write);
    append_op_time(&last_write, "opTime", last);
    BSON_APPEND_DATE_TIME(&last_write, "lastWriteDate", date);
    append_op_time(&last_write, "majorityOpTime", last);
    BSON_APPEND_DATE_TIME(&last_write, "majorityWriteDate", date);
    bson_append_document_end(reply, &last_write);
}

bool body_flag(const bson_t* body, const char* name) {
    bson_iter_t iter;
    return bson_iter_init_find(&iter, body, name) && bson_iter_as_bool(&iter);
}

// An awaitable hello (SDAM "streaming protocol"): a client that sends our current topologyVersion
// with maxAwaitTimeMS waits that long, since the topology of a one-node set never changes.
void await_topology_change(const CommandRequest& request) {
    bson_iter_t iter;
    bson_oid_t process_id;
    if (!bson_iter_init_find(&iter, request.body, "maxAwaitTimeMS") ||
        !BSON_ITER_HOLDS_NUMBER(&iter)) {
        return;
    }
    int64_t wait_ms = bson_iter_as_int64(&iter);
    if (!bson_iter_init(&iter, request.body) ||
        !bson_iter_find_descendant(&iter, "topologyVersion.processId", &iter) ||
        !BSON_ITER_HOLDS_OID(&iter)) {
        return;
    }
    bson_oid_copy(bson_iter_oid(&iter), &process_id);
    if (!bson_oid_equal(&process_id, &request.server->process_id())) return;
    request.server->wait_until(std::chrono::steady_clock::now() +
                               std::chrono::milliseconds(wait_ms));
}

void hello(const CommandRequest& request, bson_t* reply) {
    ServerState& server = *request.server;
    await_topology_change(request);
    server.append_topology_version(reply);
    std::string address = server.advertised_address();
    if (replica_set(request)) {
        append_string_array(reply, "hosts", {address});
        BSON_APPEND_UTF8(reply, "setName", server.options().replset.c_str());
        BSON_APPEND_INT32(reply, "setVersion", 1);
    }
    // hello says isWritablePrimary; the legacy isMaster/ismaster say ismaster.
    BSON_APPEND_BOOL(reply, request.name == "hello" ? "isWritablePrimary" : "ismaster", true);
    BSON_APPEND_BOOL(reply, "secondary", false);
    if (replica_set(request)) {
        BSON_APPEND_UTF8(reply, "primary", address.c_str());
        BSON_APPEND_UTF8(reply, "me", address.c_str());
        BSON_APPEND_OID(reply, "electionId", &server.election_id());
        append_last_write(server, reply);
    }
    BSON_APPEND_INT32(reply, "maxBsonObjectSize", wire::kMaxBsonObjectSize);
    BSON_APPEND_INT32(reply, "maxMessageSizeBytes", wire::kMaxMessageSizeBytes);
    BSON_APPEND_INT32(reply, "maxWriteBatchSize", wire::kMaxWriteBatchSize);
    BSON_APPEND_DATE_TIME(reply, "localTime", now_ms());
    BSON_APPEND_INT32(reply, "logicalSessionTimeoutMinutes", kLogicalSessionTimeoutMinutes);
    BSON_APPEND_INT64(reply, "connectionId", static_cast<int64_t>(request.client->connection_id));
    BSON_APPEND_INT32(reply, "minWireVersion", 0);
    BSON_APPEND_INT32(reply, "maxWireVersion", server.profile().max_wire_version);
    BSON_APPEND_BOOL(reply, "readOnly", false);
    // Like mongod, the compressors agreed on are reported in reply to the hello that offered them.
    bson_iter_t offered;
    if (bson_iter_init_find(&offered, request.body, "compression") &&
        !request.client->compression.empty()) {
        append_string_array(reply, "compression", request.client->compression);
    }
    if (body_flag(request.body, "helloOk")) BSON_APPEND_BOOL(reply, "helloOk", true);
    append_hello_auth_fields(request, reply);
}

void ping(const CommandRequest&, bson_t*) {}

std::vector<int> version_numbers(const std::string& version) {
    std::vector<int> numbers;
    size_t start = 0;
    while (start <= version.size()) {
        size_t dot = version.find('.', start);
        numbers.push_back(std::stoi(version.substr(start, dot - start)));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return numbers;
}

void build_info(const CommandRequest& request, bson_t* reply) {
    const std::string& version = request.server->profile().version;
    BSON_APPEND_UTF8(reply, "version", version.c_str());
    BSON_APPEND_UTF8(reply, "gitVersion", "testmongod");
    bson_t modules, version_array, environment;
    BSON_APPEND_ARRAY_BEGIN(reply, "modules", &modules);
    bson_append_array_end(reply, &modules);
    BSON_APPEND_UTF8(reply, "sysInfo", "deprecated");
    BSON_APPEND_ARRAY_BEGIN(reply, "versionArray", &version_array);
    std::vector<int> numbers = version_numbers(version);
    numbers.push_back(0);  // versionArray has four parts: major, minor, patch, 0 for releases
    for (uint32_t i = 0; i < numbers.size(); ++i) {
        BSON_APPEND_INT32(&version_array, std::to_string(i).c_str(), numbers[i]);
    }
    bson_append_array_end(reply, &version_array);
    BSON_APPEND_DOCUMENT_BEGIN(reply, "buildEnvironment", &environment);
    bson_append_document_end(reply, &environment);
    BSON_APPEND_INT32(reply, "bits", 64);
    BSON_APPEND_BOOL(reply, "debug", false);
    BSON_APPEND_INT32(reply, "maxBsonObjectSize", wire::kMaxBsonObjectSize);
    append_string_array(reply, "storageEngines", {"inMemory"});
}

std::string host_name() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}

void server_status(const CommandRequest& request, bson_t* reply) {
    ServerState& server = *request.server;
    ServerStats& stats = server.stats();
    auto uptime = std::chrono::steady_clock::now() - server.start_time();
    int64_t uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(uptime).count();
    std::string host = host_name() + ":" + std::to_string(server.bound_port());
    BSON_APPEND_UTF8(reply, "host", host.c_str());
    BSON_APPEND_UTF8(reply, "version", server.profile().version.c_str());
    BSON_APPEND_UTF8(reply, "process", "mongod");
    BSON_APPEND_INT64(reply, "pid", getpid());
    BSON_APPEND_DOUBLE(reply, "uptime", static_cast<double>(uptime_ms / 1000));
    BSON_APPEND_INT64(reply, "uptimeMillis", uptime_ms);
    BSON_APPEND_INT64(reply, "uptimeEstimate", uptime_ms / 1000);
    BSON_APPEND_DATE_TIME(reply, "localTime", now_ms());
    bson_t connections, opcounters;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "connections", &connections);
    BSON_APPEND_INT32(&connections, "current", static_cast<int32_t>(stats.connections_current));
    BSON_APPEND_INT32(&connections, "available", 1000000);
    BSON_APPEND_INT64(&connections, "totalCreated", stats.connections_total);
    bson_append_document_end(reply, &connections);
    BSON_APPEND_DOCUMENT_BEGIN(reply, "opcounters", &opcounters);
    BSON_APPEND_INT64(&opcounters, "insert", stats.op_insert);
    BSON_APPEND_INT64(&opcounters, "query", stats.op_query);
    BSON_APPEND_INT64(&opcounters, "update", stats.op_update);
    BSON_APPEND_INT64(&opcounters, "delete", stats.op_delete);
    BSON_APPEND_INT64(&opcounters, "getmore", stats.op_getmore);
    BSON_APPEND_INT64(&opcounters, "command", stats.op_command);
    bson_append_document_end(reply, &opcounters);
    // metrics.ttl, as mongod's TTL monitor counts (ttl.cpp: ttlDeletedDocuments, ttlPasses).
    bson_t metrics, ttl;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "metrics", &metrics);
    BSON_APPEND_DOCUMENT_BEGIN(&metrics, "ttl", &ttl);
    BSON_APPEND_INT64(&ttl, "deletedDocuments", stats.ttl_deleted_documents);
    BSON_APPEND_INT64(&ttl, "passes", stats.ttl_passes);
    bson_append_document_end(&metrics, &ttl);
    bson_append_document_end(reply, &metrics);
}

void repl_set_get_status(const CommandRequest& request, bson_t* reply) {
    if (!replica_set(request)) {
        throw MongoError(kNoReplicationEnabled, "not running with --replSet");
    }
    ServerState& server = *request.server;
    ClusterTime last = server.oplog().now();
    auto uptime = std::chrono::steady_clock::now() - server.start_time();
    BSON_APPEND_UTF8(reply, "set", server.options().replset.c_str());
    BSON_APPEND_DATE_TIME(reply, "date", now_ms());
    BSON_APPEND_INT32(reply, "myState", 1);
    BSON_APPEND_INT64(reply, "term", 1);
    BSON_APPEND_INT64(reply, "heartbeatIntervalMillis", 2000);
    bson_t members, member;
    BSON_APPEND_ARRAY_BEGIN(reply, "members", &members);
    BSON_APPEND_DOCUMENT_BEGIN(&members, "0", &member);
    BSON_APPEND_INT32(&member, "_id", 0);
    BSON_APPEND_UTF8(&member, "name", server.advertised_address().c_str());
    BSON_APPEND_DOUBLE(&member, "health", 1.0);
    BSON_APPEND_INT32(&member, "state", 1);
    BSON_APPEND_UTF8(&member, "stateStr", "PRIMARY");
    BSON_APPEND_INT64(&member, "uptime",
                      std::chrono::duration_cast<std::chrono::seconds>(uptime).count());
    append_op_time(&member, "optime", last);
    BSON_APPEND_DATE_TIME(&member, "optimeDate", int64_t(last.t) * 1000);
    BSON_APPEND_BOOL(&member, "self", true);
    bson_append_document_end(&members, &member);
    bson_append_array_end(reply, &members);
}

// featureCompatibilityVersion is the profile's major.minor, as after a fresh install.
void get_parameter(const CommandRequest& request, bson_t* reply) {
    bson_iter_t iter;
    bson_iter_init(&iter, request.body);
    bson_iter_next(&iter);
    bool all = BSON_ITER_HOLDS_UTF8(&iter) && std::string(bson_iter_utf8(&iter, nullptr)) == "*";
    bool found = false;
    if (all || bson_iter_init_find(&iter, request.body, "featureCompatibilityVersion")) {
        const std::string& profile = request.server->options().version_profile;
        bson_t fcv;
        BSON_APPEND_DOCUMENT_BEGIN(reply, "featureCompatibilityVersion", &fcv);
        BSON_APPEND_UTF8(&fcv, "version", profile.c_str());
        bson_append_document_end(reply, &fcv);
        found = true;
    }
    if (all || bson_iter_init_find(&iter, request.body, "enableTestCommands")) {
        BSON_APPEND_BOOL(reply, "enableTestCommands",
                         request.server->options().enable_test_commands);
        found = true;
    }
    RuntimeParameters& parameters = request.server->parameters();
    if (all || bson_iter_init_find(&iter, request.body, "ttlMonitorEnabled")) {
        BSON_APPEND_BOOL(reply, "ttlMonitorEnabled", parameters.ttl_monitor_enabled);
        found = true;
    }
    if (all || bson_iter_init_find(&iter, request.body, "ttlMonitorSleepSecs")) {
        BSON_APPEND_INT32(reply, "ttlMonitorSleepSecs", parameters.ttl_monitor_sleep_secs);
        found = true;
    }
    if (!found) throw MongoError(code::InvalidOptions, "no option found to get");
}

// setParameter for the runtime parameters testmongod has (ttlMonitorEnabled, ttlMonitorSleepSecs
// and transactionLifetimeLimitSeconds, with the IDL validator gte: 1); replies the previous value
// as "was", as mongod does.
void set_parameter(const CommandRequest& request, bson_t* reply) {
    if (request.db != "admin") {
        throw MongoError(code::Unauthorized,
                         "setParameter may only be run against the admin database.");
    }
    RuntimeParameters& parameters = request.server->parameters();
    Document body = Document::from_bson(*request.body);
    bool found = false;
    const auto& fields = body.fields();
    for (size_t i = 1; i < fields.size(); ++i) {  // fields[0] is {setParameter: 1}
        const auto& [name, value] = fields[i];
        if (name[0] == '$' || name == "lsid" || name == "comment") continue;  // generic fields
        if (name == "ttlMonitorEnabled" && (value.type() == BSON_TYPE_BOOL || value.is_number())) {
            if (!found) BSON_APPEND_BOOL(reply, "was", parameters.ttl_monitor_enabled);
            parameters.ttl_monitor_enabled = value.truthy();
        } else if (name == "ttlMonitorSleepSecs" || name == "transactionLifetimeLimitSeconds") {
            if (!value.is_number() || value.as_double() != static_cast<double>(value.as_int64())) {
                throw MongoError(code::BadValue,
                                 "Invalid value for parameter " + name + ": " + value.to_json());
            }
            if (value.as_int64() < 1) {
                throw MongoError(code::BadValue, "Invalid value for parameter " + name + ": " +
                                                     value.to_json() +
                                                     " is not greater than or equal to 1");
            }
            std::atomic<int>& parameter = name == "ttlMonitorSleepSecs"
                                              ? parameters.ttl_monitor_sleep_secs
                                              : parameters.transaction_lifetime_limit_seconds;
            if (!found) BSON_APPEND_INT32(reply, "was", parameter);
            parameter = static_cast<int>(value.as_int64());
        } else if (name == "ttlMonitorEnabled") {
            throw MongoError(code::BadValue,
                             "Invalid value for parameter " + name + ": " + value.to_json());
        } else {
            throw MongoError(code::InvalidOptions, "attempted to set unrecognized parameter [" +
                                                       name + "], use help:true to see options ");
        }
        found = true;
    }
    if (!found) {
        throw MongoError(code::InvalidOptions,
                         "no option found to set, use help:true to see options ");
    }
}

void whats_my_uri(const CommandRequest& request, bson_t* reply) {
    BSON_APPEND_UTF8(reply, "you", request.client->remote_address.c_str());
}

void connection_status(const CommandRequest& request, bson_t* reply) {
    bson_t auth_info;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "authInfo", &auth_info);
    append_auth_info(request, &auth_info);
    bson_append_document_end(reply, &auth_info);
}

void host_info(const CommandRequest&, bson_t* reply) {
    bson_t system, os, extra;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "system", &system);
    BSON_APPEND_DATE_TIME(&system, "currentTime", now_ms());
    BSON_APPEND_UTF8(&system, "hostname", host_name().c_str());
    BSON_APPEND_INT32(&system, "cpuAddrSize", 64);
    BSON_APPEND_INT32(&system, "numCores",
                      static_cast<int32_t>(std::thread::hardware_concurrency()));
    bson_append_document_end(reply, &system);
    BSON_APPEND_DOCUMENT_BEGIN(reply, "os", &os);
    BSON_APPEND_UTF8(&os, "type", "Linux");
    bson_append_document_end(reply, &os);
    BSON_APPEND_DOCUMENT_BEGIN(reply, "extra", &extra);
    bson_append_document_end(reply, &extra);
}

void list_commands(const CommandRequest& request, bson_t* reply) {
    bson_t commands, entry;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "commands", &commands);
    for (const auto& name : request.server->commands().names()) {
        BSON_APPEND_DOCUMENT_BEGIN(&commands, name.c_str(), &entry);
        bson_append_document_end(&commands, &entry);
    }
    bson_append_document_end(reply, &commands);
}

// Exists only with test commands enabled, and only on admin, as in mongod.
void configure_fail_point(const CommandRequest& request, bson_t* reply) {
    if (!request.server->options().enable_test_commands) {
        throw MongoError(code::CommandNotFound, "no such command: '" + request.name + "'");
    }
    if (request.db != "admin") {
        throw MongoError(kUnauthorized,
                         "configureFailPoint may only be run against the admin database.");
    }
    request.server->fail_points().configure(request.body, reply);
}

}  // namespace

void register_admin_commands(CommandRegistry& registry) {
    registry.add("hello", hello);
    registry.add("isMaster", hello);
    registry.add("ismaster", hello);
    registry.add("ping", ping);
    registry.add("buildInfo", build_info);
    registry.add("buildinfo", build_info);
    registry.add("serverStatus", server_status);
    registry.add("replSetGetStatus", repl_set_get_status);
    registry.add("getParameter", get_parameter);
    registry.add("setParameter", set_parameter);
    registry.add("whatsmyuri", whats_my_uri);
    registry.add("connectionStatus", connection_status);
    registry.add("hostInfo", host_info);
    registry.add("listCommands", list_commands);
    registry.add("configureFailPoint", configure_fail_point);
}

}  // namespace tmd
