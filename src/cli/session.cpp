// Connection checks shared by sync, verify and status. libmongoc connects lazily, so hello is
// run at once: failures surface here, before any work, with a message about what to fix.
#include "cli/session.h"

#include <algorithm>
#include <string_view>
#include <thread>

#include "catalog/catalog.h"
#include "cli/exit_codes.h"
#include "mongo/collection.h"
#include "mongo/error.h"

namespace tributary {

namespace {
// A refused login (libmongoc's MONGOC_ERROR_CLIENT_AUTHENTICATE, or the server's 18
// AuthenticationFailed), naming the user and the flag to fix; the URI is shown redacted.
UserError auth_failure(const Deployment& deployment, const mongo::Error& error) {
    const char* user = mongoc_uri_get_username(deployment.uri.get());
    std::string reason = error.what();
    if (reason.ends_with('.')) reason.pop_back();  // "Authentication failed." inside the sentence
    return UserError(kExitConnect,
                     "authentication to the " + deployment.role + " failed for user '" +
                         (user ? user : "") + "' (" + deployment.uri.redacted() + "): " + reason +
                         "; check the user name, password and authSource in --" + deployment.role);
}

// Without credentials hello succeeds even where access control is on; listDatabases, which any
// logged-in user may run (nameOnly lists the databases it can see), fails with 13 Unauthorized.
void check_login_not_required(const Deployment& deployment, mongoc_client_t* client) {
    try {
        mongo::list_database_names(client);
    } catch (const mongo::Error& error) {
        if (error.code() != mongo::codes::kUnauthorized) throw;
        std::string where = "the " + deployment.role + " (" + deployment.uri.redacted() + ")";
        throw UserError(kExitConnect,
                        where + " requires authentication: put a user and password in --" +
                            deployment.role + " (mongodb://user:password@host/?authSource=admin)");
    }
}

// libmongoc reports every refused certificate (unknown CA, expired, another host's name) as
// "TLS handshake failed: <reason>" (mongoc-stream-tls-openssl.c), inside its server-selection
// error; the hint names the URI options that decide it.
std::string connect_hint(const mongo::Error& error, const std::string& role) {
    if (std::string_view(error.what()).find("TLS handshake failed") == std::string_view::npos) {
        return "check that the server is running and reachable";
    }
    return "check that tlsCAFile holds the CA that signed the server's certificate, that the "
           "certificate is current and names the host in --" +
           role + " (tlsAllowInvalidHostnames=true skips the name check)";
}

// Built-in roles that grant no insert, update or remove on any database (manual, "Built-In
// Roles"). Custom roles are not looked into: the server judges them at the first write.
bool grants_no_write(const std::string& role) {
    return role == "read" || role == "readAnyDatabase" || role == "clusterMonitor";
}

// connectionStatus's authInfo.authenticatedUserRoles as "role@db"; false when one of them might
// grant a write.
bool only_read_roles(bson::Document status, std::string* roles) {
    std::optional<bson::Document> listed =
        mongo::get_document(status.get(), "authInfo.authenticatedUserRoles");
    bson_iter_t iter;
    if (!listed || !bson_iter_init(&iter, listed->get())) return false;
    while (bson_iter_next(&iter)) {
        std::optional<bson::Document> role =
            mongo::get_document(listed->get(), bson_iter_key(&iter));
        std::string name = role ? mongo::get_string(role->get(), "role").value_or("") : "";
        if (!grants_no_write(name)) return false;
        *roles += (roles->empty() ? "" : ", ") + name + "@" +
                  mongo::get_string(role->get(), "db").value_or("");
    }
    return !roles->empty();
}

}  // namespace

Deployment open_deployment(const std::string& role, const std::string& uri, const Config& config) {
    std::optional<mongo::Uri> parsed;
    try {
        parsed.emplace(uri);
    } catch (const std::invalid_argument& error) {
        throw UserError(kExitUsage,
                        "the " + role + " URI is not valid: " + error.what() +
                            "; expected mongodb://[user:password@]host[:port][/?options]");
    }
    parsed->default_server_selection_timeout(config.server_selection_timeout_ms);
    // Durability across failovers: the source is read at majority (what the copy and the source
    // lookups write cannot be rolled back on the source), the destination written at
    // --write-concern (majority by default, as the checkpoint), so a destination failover cannot
    // roll back writes that a saved checkpoint already covers.
    if (role == "source") {
        parsed->default_read_concern(MONGOC_READ_CONCERN_LEVEL_MAJORITY);
    } else {
        parsed->set_write_concern(config.write_concern);
    }
    Deployment deployment{role, std::move(*parsed), nullptr, {}};
    deployment.pool = std::make_unique<mongo::ClientPool>(
        deployment.uri, "tributary",
        static_cast<uint32_t>(std::max(config.copy_workers * 2, config.apply_workers) + 8));
    return deployment;
}

void check_reachable(Deployment& deployment) {
    const std::string& role = deployment.role;
    try {
        mongo::ClientLease client = deployment.pool->lease();
        deployment.info = mongo::fetch_server_info(client.get());
        if (mongoc_uri_get_username(deployment.uri.get()) == nullptr) {
            check_login_not_required(deployment, client.get());
        }
    } catch (const mongo::Error& error) {
        if (error.is_auth_failure()) throw auth_failure(deployment, error);
        throw UserError(kExitConnect, "cannot connect to the " + role + " (" +
                                          deployment.uri.redacted() + "): " + error.what() + "; " +
                                          connect_hint(error, role));
    }
}

Deployment connect(const std::string& role, const std::string& uri, const Config& config) {
    Deployment deployment = open_deployment(role, uri, config);
    check_reachable(deployment);
    return deployment;
}

void close_together(Deployment& first, Deployment& second) {
    std::thread closing([&first] { first.pool.reset(); });
    second.pool.reset();
    closing.join();
}

void require_endpoints(const Config& config) {
    if (config.source.empty()) {
        throw UserError(kExitUsage, "no source given: pass --source URI or set PRIMARY_MONGO_URI");
    }
    if (config.destination.empty()) {
        throw UserError(kExitUsage,
                        "no destination given: pass --destination URI or set SECONDARY_MONGO_URI");
    }
}

void refuse_same_deployment(const Deployment& source, const Deployment& destination) {
    bool same_hosts = ascii_lower(source.uri.hosts()) == ascii_lower(destination.uri.hosts());
    bool same_member = !source.info.me.empty() && source.info.me == destination.info.me &&
                       source.info.set_name == destination.info.set_name;
    if (same_hosts || same_member) {
        throw UserError(kExitUsage, "source and destination are the same deployment (" +
                                        destination.uri.redacted() +
                                        "): every namespace would be copied onto itself; point "
                                        "--destination at another deployment");
    }
}

void require_databases(Deployment& source, const Config& config) {
    if (config.databases.empty()) return;
    mongo::ClientLease client = source.pool->lease();
    std::vector<std::string> present = mongo::list_database_names(client.get());
    for (const std::string& db : config.databases) {
        if (std::find(present.begin(), present.end(), db) == present.end()) {
            throw UserError(kExitUsage, "database '" + db + "' does not exist on the source (" +
                                            source.uri.redacted() +
                                            "); check --db / DATABASE_NAME");
        }
    }
}

void refuse_time_series(const std::vector<catalog::CollectionInfo>& collections) {
    for (const catalog::CollectionInfo& info : collections) {
        if (info.type != "timeseries") continue;
        throw UserError(kExitUsage,
                        "collection '" + info.ns() +
                            "' is a time-series collection, which tributary cannot sync (its "
                            "measurements are stored in system.buckets." +
                            info.name + "); leave it out with --exclude " + info.ns());
    }
}

catalog::NamespaceFilter make_filter(const Config& config) {
    try {
        return catalog::NamespaceFilter(config.databases, config.include, config.exclude,
                                        config.state_db);
    } catch (const std::invalid_argument& error) {
        throw UserError(kExitUsage, std::string(error.what()) +
                                        " in --include/--exclude; use db.coll with * wildcards");
    }
}

checkpoint::Identity make_identity(const Config& config, const Deployment& source,
                                   const Deployment& destination) {
    return {ascii_lower(source.uri.hosts()), ascii_lower(destination.uri.hosts()), config.databases,
            config.include, config.exclude};
}

void refuse_read_only_destination(Deployment& destination) {
    const char* user = mongoc_uri_get_username(destination.uri.get());
    if (user == nullptr) return;
    mongo::ClientLease client = destination.pool->lease();
    bson::Document command(BCON_NEW("connectionStatus", BCON_INT32(1)));
    std::string roles;
    if (!only_read_roles(mongo::run_command(client.get(), "admin", command.get()), &roles)) return;
    throw UserError(kExitWriteFailure,
                    "the destination user '" + std::string(user) + "' is not allowed to write (" +
                        destination.uri.redacted() + "): its roles (" + roles +
                        ") grant no insert, update or remove; grant it readWrite on the synced "
                        "databases and on the checkpoint database, or readWriteAnyDatabase");
}

std::unique_ptr<checkpoint::Store> open_store(const Config& config, Deployment& destination) {
    if (!config.state_file.empty()) return checkpoint::open_file_store(config.state_file);
    return checkpoint::open_destination_store(*destination.pool, config.state_db);
}

}  // namespace tributary
