// The connections of a command: each deployment's parsed URI, client pool and server facts,
// checked up front so that a bad URI, an unreachable host or a failed login is one clear line.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/namespace_filter.h"
#include "checkpoint/checkpoint.h"
#include "cli/config.h"
#include "mongo/client.h"
#include "mongo/server_info.h"

namespace tributary {

struct Deployment {
    std::string role;  // "source" or "destination", for messages
    mongo::Uri uri;
    std::unique_ptr<mongo::ClientPool> pool;
    mongo::ServerInfo info;
};

// Parses `uri` and creates its pool (no I/O yet); UserError (exit 2) for a bad URI.
Deployment open_deployment(const std::string& role, const std::string& uri, const Config& config);
// Runs hello; UserError (exit 3) when the server cannot be reached or refuses the credentials.
void check_reachable(Deployment& deployment);
// open_deployment + check_reachable.
Deployment connect(const std::string& role, const std::string& uri, const Config& config);
// Destroys both deployments' pools at once. Destroying a libmongoc pool waits for its server
// monitors, and a monitor waiting for an awaitable hello notices the request only between the
// 500 ms polls it waits in (libmongoc 1.23, mongoc-server-monitor.c,
// _server_monitor_poll_with_interrupt): one pool after the other, every command's exit took
// up to a second.
void close_together(Deployment& first, Deployment& second);

// UserError (exit 2) when a required URI is missing, naming its flag and environment variable.
void require_endpoints(const Config& config);
// UserError (exit 2) when source and destination are the same deployment (same hosts, or same
// replica set member), since every namespace would then be copied onto itself.
void refuse_same_deployment(const Deployment& source, const Deployment& destination);
// UserError (exit 2) for a --db naming a database the source does not have.
void require_databases(Deployment& source, const Config& config);

// UserError (exit 2) naming the first time-series collection of `collections` and --exclude:
// their writes land in system.buckets.*, which a sync does not replicate, so they would diverge.
void refuse_time_series(const std::vector<catalog::CollectionInfo>& collections);

catalog::NamespaceFilter make_filter(const Config& config);
checkpoint::Identity make_identity(const Config& config, const Deployment& source,
                                   const Deployment& destination);
// Exit 5 before any write when the destination user holds only built-in roles that grant no
// write action (read, readAnyDatabase, clusterMonitor); any other role is left to the server.
void refuse_read_only_destination(Deployment& destination);
std::unique_ptr<checkpoint::Store> open_store(const Config& config, Deployment& destination);

}  // namespace tributary
