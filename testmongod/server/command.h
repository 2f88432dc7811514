// The contract between testmongod's wire layer (dispatch) and its command implementations.
// A handler reads a CommandRequest, appends its reply fields, and throws MongoError on failure.
#pragma once

#include <bson/bson.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.h"

namespace tmd {

class ServerState;
class Catalog;           // server/catalog.h
class OperationSession;  // server/session.h
struct AuthSession;      // server/auth.h

// A read-only bson_t view of one document inside a received message. A plain bson_t must not
// be copied (libbson's non-inline bson_t points into itself, so a copy dangles once the original
// goes away); this wrapper re-creates the view when copied, so it can live in std::vector.
// Converts to const bson_t& for libbson calls and Document::from_bson.
class BsonDoc {
  public:
    BsonDoc() { bson_init(&bson_); }  // an empty document
    BsonDoc(const uint8_t* data, size_t length) { bson_init_static(&bson_, data, length); }
    BsonDoc(const BsonDoc& other) : BsonDoc(bson_get_data(&other.bson_), other.bson_.len) {}
    BsonDoc& operator=(const BsonDoc& other) {
        bson_init_static(&bson_, bson_get_data(&other.bson_), other.bson_.len);
        return *this;
    }
    operator const bson_t&() const { return bson_; }
    const bson_t* get() const { return &bson_; }

  private:
    bson_t bson_;
};

// One OP_MSG kind-1 section, e.g. identifier "documents" holding an insert's documents: views
// into the received message, valid while the command runs.
struct DocumentSequence {
    std::string identifier;
    std::vector<BsonDoc> documents;
};

// What the server knows about the connection a command arrived on.
struct ClientInfo {
    uint64_t connection_id = 0;
    std::string app_name;  // from the handshake's client.application.name
    // Compressors agreed in the handshake (the client's list filtered to those testmongod
    // supports, in the client's order); hello replies list them in "compression".
    std::vector<std::string> compression;
    std::string remote_address;  // host:port of the peer, for whatsmyuri
    // Who the connection authenticated as, and a SASL conversation in progress; created by the
    // dispatcher on the connection's first message.
    std::shared_ptr<AuthSession> auth;
};

struct CommandRequest {
    const bson_t* body = nullptr;  // section 0 (or the OP_QUERY query), including $db and lsid
    std::string db;                // $db
    std::string name;              // the command name, the first key of body, as sent
    const std::vector<DocumentSequence>* sequences = nullptr;
    const ClientInfo* client = nullptr;
    ServerState* server = nullptr;
    OperationSession* session = nullptr;  // set when the command carries an lsid
    Catalog* snapshot = nullptr;          // a readConcern "snapshot" read's catalog

    // The catalog the command reads and writes: its transaction's private catalog inside a
    // transaction, a snapshot's for a readConcern "snapshot" read, else the server's.
    Catalog& catalog() const;

    // The documents of an array argument ("documents", "updates", "deletes"), whether sent in the
    // body or as a kind-1 document sequence, as mongod accepts both.
    std::vector<BsonDoc> documents_of(std::string_view field) const;
};

// Appends reply fields (not ok/$clusterTime/operationTime: the dispatcher adds those) to reply.
// Throws MongoError on failure. Write commands with per-document failures append writeErrors and
// return normally, as mongod replies ok: 1 for them.
using CommandHandler = void (*)(const CommandRequest& request, bson_t* reply);

class CommandRegistry {
  public:
    void add(std::string name, CommandHandler handler) { handlers_[std::move(name)] = handler; }
    CommandHandler find(std::string_view name) const {
        auto it = handlers_.find(std::string(name));
        return it == handlers_.end() ? nullptr : it->second;
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& entry : handlers_)
            out.push_back(entry.first);
        return out;
    }

  private:
    std::map<std::string, CommandHandler> handlers_;
};

// Each command family registers itself here; server startup calls all of them.
void register_admin_commands(CommandRegistry& registry);    // hello, ping, buildInfo, ...
void register_cursor_commands(CommandRegistry& registry);   // getMore, killCursors
void register_crud_commands(CommandRegistry& registry);     // insert, update, find, aggregate, ...
void register_catalog_commands(CommandRegistry& registry);  // create, drop, listCollections, ...
void register_auth_commands(CommandRegistry& registry);     // saslStart, createUser, ... (auth.cpp)
void register_session_commands(CommandRegistry& registry);  // endSessions, commitTransaction, ...

}  // namespace tmd
