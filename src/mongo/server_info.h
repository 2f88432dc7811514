// What tributary needs to know about a deployment: wire version (and so which MongoDB release
// family it speaks), replica-set name, and the cluster time of a command reply.
#pragma once

#include <mongoc/mongoc.h>

#include <string>

#include "bson/document.h"

namespace tributary::mongo {

struct ServerInfo {
    int32_t max_wire_version = 0;
    std::string set_name;  // empty for a standalone (which has no change streams)
    std::string me;        // this member's host:port as the replica set knows it
    bool is_mongos = false;
    // "4.4", "5.0", "6.0", "7.0", "8.0" from maxWireVersion (MongoDB's wire version table).
    std::string version_family() const;
    // 6.0+ servers report DDL events (create, createIndexes, collMod) with showExpandedEvents.
    bool has_expanded_events() const { return max_wire_version >= 17; }
    bool supports_change_streams() const { return !set_name.empty() || is_mongos; }
};

// Runs hello (throws Error when unreachable or unauthenticated).
ServerInfo fetch_server_info(mongoc_client_t* client);
// The deployment's current cluster time: operationTime of a ping reply (null if none reported).
bson::Timestamp fetch_operation_time(mongoc_client_t* client);

}  // namespace tributary::mongo
