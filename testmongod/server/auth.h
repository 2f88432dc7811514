// Access control for testmongod (mongod's --auth): the users, each connection's authentication
// state, the check that runs before every command, and the hello/connectionStatus auth fields.
#pragma once

#include <bson/bson.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/auth_scram.h"
#include "server/command.h"

namespace tmd {

struct RoleName {
    std::string role;
    std::string db;
};

struct UserRecord {
    std::string name;
    std::string db;       // the authentication database (authSource)
    std::string user_id;  // 16 bytes, reported as usersInfo.userId (UUID)
    std::vector<RoleName> roles;
    std::map<scram::Mechanism, scram::Credentials> credentials;
};

// The users of the process, keyed by (db, name). With --dbpath they are also kept in DIR/users
// (user_file.h): read at start, rewritten at every change before the change is acknowledged.
class UserStore {
  public:
    // Loads the users kept in `path` and saves every later change there.
    void persist_to(std::string path);
    // Throws MongoError 51003 when the user exists.
    void create(UserRecord user);
    // False when there was no such user.
    bool drop(const std::string& db, const std::string& name);
    // Applies `change` to the user (which may throw to refuse it); false when there is no such
    // user.
    bool update(const std::string& db, const std::string& name,
                const std::function<void(UserRecord&)>& change);
    std::optional<UserRecord> find(const std::string& db, const std::string& name) const;
    // Every user of db, or of every database when db is empty; ordered by db, then name.
    std::vector<UserRecord> list(const std::string& db) const;
    bool empty() const;

  private:
    using Users = std::map<std::pair<std::string, std::string>, UserRecord>;
    // Saves `users` (when persisting), then makes them the store's. The caller holds mutex_.
    void commit(Users users);

    mutable std::mutex mutex_;
    Users users_;
    std::string path_;  // empty: in memory only
};

// testmongod's --user NAME:PASSWORD (split at the first ':'): users with role root on admin and
// SCRAM-SHA-1 and SCRAM-SHA-256 credentials. A user --dbpath already has is kept as it is.
void add_root_users(UserStore& store, const std::vector<std::string>& names_and_passwords);

// One connection's authentication: who it is logged in as, and a SASL conversation in progress.
struct AuthSession {
    struct Conversation {
        std::string db;
        scram::ServerConversation scram;
        bool skip_empty_exchange = false;
        bool proof_verified = false;  // waiting for the client's empty final message
    };
    std::optional<UserRecord> user;
    std::optional<Conversation> conversation;
};

// Throws MongoError 13 Unauthorized when access control is on and this connection may not run the
// command (see auth.cpp for which commands need no authentication).
void authorize_command(const CommandRequest& request);

// hello: saslSupportedMechs for a requested "<db>.<user>" and the reply to speculativeAuthenticate.
void append_hello_auth_fields(const CommandRequest& request, bson_t* reply);
// connectionStatus: authInfo.authenticatedUsers and authenticatedUserRoles.
void append_auth_info(const CommandRequest& request, bson_t* auth_info);

}  // namespace tmd
