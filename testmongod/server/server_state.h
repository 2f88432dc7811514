// ServerState: everything one testmongod process shares between connections — its options, the
// catalog of databases, open cursors, the oplog and the command table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "server/command.h"
#include "server/cursor.h"
#include "server/oplog.h"

namespace tmd {

class Catalog;  // server/catalog.h

struct ServerOptions {
    int port = 27017;  // 0: an ephemeral port, reported in the "ready port=N" line
    std::string bind_ip = "127.0.0.1";
    std::string replset = "rs0";
    std::string version_profile = "7.0";  // 4.4 | 6.0 | 7.0
    std::string dbpath;                   // empty: in memory
    std::string advertise;                // host:port in hello; default 127.0.0.1:<port>
    std::string log_level = "info";
    int64_t oplog_size_mb = 256;
};

// What a version profile changes in behaviour; see docs/testmongod.md.
struct VersionProfile {
    std::string version;    // "4.4.29", "6.0.20", "7.0.16"
    int max_wire_version;   // 9, 17, 21
    bool expanded_events;   // showExpandedEvents and wallTime (6.0+)
    bool disambiguated_paths;  // updateDescription.disambiguatedPaths (7.0)
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

private:
    ServerOptions options_;
    VersionProfile profile_;
    int bound_port_ = 0;
    CommandRegistry commands_;
    CursorManager cursors_;
    Oplog oplog_;
    std::unique_ptr<Catalog> catalog_;
};

}  // namespace tmd
