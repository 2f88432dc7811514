// Access control as mongod documents it (manual: "Enable Access Control", "Localhost Exception",
// the SASL commands, createUser/dropUser/usersInfo; the driver authentication spec for the
// conversation). Roles are recorded and reported but not enforced: an authenticated connection
// may run every command.
#include "server/auth.h"

#include <algorithm>
#include <array>

#include "engine/error.h"
#include "server/server_state.h"
#include "server/storage_util.h"
#include "server/user_file.h"

namespace tmd {
namespace {

constexpr int kUserAlreadyExists = 51003;
constexpr int kMissingField = 40414;
constexpr int kConversationId = 1;  // mongod numbers the one conversation of a connection 1

constexpr std::array kMechanisms = {scram::Mechanism::kSha1, scram::Mechanism::kSha256};

// Commands whose mongod implementation says requiresAuth() == false: the handshake, ping,
// buildInfo, the SASL commands, logout, listCommands and connectionStatus (generic.cpp,
// sasl_commands.cpp, authentication_commands.cpp, connection_status.cpp, buildinfo_common.cpp).
bool allowed_without_authentication(const std::string& name) {
    static const std::array<std::string_view, 11> kNames = {
        "hello",     "isMaster",     "ismaster", "ping",         "buildInfo",       "buildinfo",
        "saslStart", "saslContinue", "logout",   "listCommands", "connectionStatus"};
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

// Built-in roles (manual, "Built-In Roles"): the database roles exist on every database, the
// others only on admin.
bool builtin_role_exists(const std::string& role, const std::string& db) {
    static const std::array<std::string_view, 5> kDatabaseRoles = {"read", "readWrite", "dbAdmin",
                                                                   "dbOwner", "userAdmin"};
    static const std::array<std::string_view, 15> kAdminRoles = {"clusterAdmin",
                                                                 "clusterManager",
                                                                 "clusterMonitor",
                                                                 "hostManager",
                                                                 "backup",
                                                                 "restore",
                                                                 "readAnyDatabase",
                                                                 "readWriteAnyDatabase",
                                                                 "userAdminAnyDatabase",
                                                                 "dbAdminAnyDatabase",
                                                                 "root",
                                                                 "__system",
                                                                 "enableSharding",
                                                                 "__queryableBackup",
                                                                 "directShardOperations"};
    auto has = [&](const auto& names) {
        return std::find(names.begin(), names.end(), role) != names.end();
    };
    return has(kDatabaseRoles) || (db == "admin" && has(kAdminRoles));
}

AuthSession& session_of(const CommandRequest& request) {
    return *request.client->auth;
}

UserStore& users_of(const CommandRequest& request) {
    return request.server->users();
}

bool from_loopback(const CommandRequest& request) {
    return request.client->remote_address.starts_with("127.");
}

// The localhost exception: with access control on and no users yet, a loopback connection may
// create the first user on admin (manual, "Localhost Exception").
bool localhost_exception_applies(const CommandRequest& request) {
    return from_loopback(request) && users_of(request).empty();
}

// A SASL payload arrives as BinData (subtype 0) or as a base64 string; the reply uses the same
// form (sasl_commands.cpp).
struct Payload {
    std::string bytes;
    bool as_string = false;
};

Payload read_payload(const Document& body, const std::string& command) {
    const Value* value = body.get("payload");
    if (value == nullptr) {
        throw MongoError(kMissingField,
                         "BSON field '" + command + ".payload' is missing but a required field");
    }
    if (value->type() == BSON_TYPE_BINARY) {
        return {std::get<Binary>(value->payload()).bytes, false};
    }
    if (value->is_string()) {
        auto bytes = scram::base64_decode(value->str());
        if (!bytes) throw MongoError(code::BadValue, "Invalid base64 in SASL payload");
        return {*bytes, true};
    }
    throw MongoError(code::TypeMismatch, "BSON field '" + command +
                                             ".payload' is the wrong type '" +
                                             type_name(value->type()) +
                                             "', expected types "
                                             "'[string, binData]'");
}

void append_payload(bson_t* reply, const std::string& bytes, bool as_string) {
    if (as_string) {
        BSON_APPEND_UTF8(reply, "payload", scram::base64_encode(bytes).c_str());
    } else {
        BSON_APPEND_BINARY(reply, "payload", BSON_SUBTYPE_BINARY,
                           reinterpret_cast<const uint8_t*>(bytes.data()),
                           static_cast<uint32_t>(bytes.size()));
    }
}

void append_conversation_reply(bson_t* reply, bool done, const std::string& payload,
                               bool as_string) {
    BSON_APPEND_INT32(reply, "conversationId", kConversationId);
    BSON_APPEND_BOOL(reply, "done", done);
    append_payload(reply, payload, as_string);
}

// The credentials a conversation on db may use for user: none when the user does not exist or
// was created without that mechanism.
scram::ServerConversation::CredentialLookup credential_lookup(UserStore& users,
                                                              const std::string& db,
                                                              scram::Mechanism mechanism) {
    return [&users, db, mechanism](const std::string& name) -> std::optional<scram::Credentials> {
        auto user = users.find(db, name);
        if (!user) return std::nullopt;
        auto it = user->credentials.find(mechanism);
        if (it == user->credentials.end()) return std::nullopt;
        return it->second;
    };
}

// saslStart, for the command and for hello's speculativeAuthenticate: starts a new conversation
// on the connection (replacing one in progress) and appends the server's first message.
void start_conversation(const CommandRequest& request, const Document& body, const std::string& db,
                        bson_t* reply) {
    auto mechanism_name = string_argument(body, "saslStart", "mechanism");
    if (!mechanism_name) {
        throw MongoError(kMissingField,
                         "BSON field 'saslStart.mechanism' is missing but a required field");
    }
    auto mechanism = scram::mechanism_by_name(*mechanism_name);
    if (!mechanism) {
        throw MongoError(code::MechanismUnavailable, "Received authentication for mechanism " +
                                                         *mechanism_name + " which is not enabled");
    }
    Payload payload = read_payload(body, "saslStart");
    auto options = document_argument(body, "saslStart", "options");
    bool skip_empty = options && bool_argument(*options, "saslStart", "skipEmptyExchange", false);

    AuthSession& session = session_of(request);
    session.conversation.reset();
    AuthSession::Conversation conversation{db, scram::ServerConversation(*mechanism), skip_empty};
    std::string server_first = conversation.scram.start(
        payload.bytes, credential_lookup(users_of(request), db, *mechanism),
        scram::base64_encode(scram::random_bytes(24)));
    session.conversation.emplace(std::move(conversation));
    append_conversation_reply(reply, false, server_first, payload.as_string);
}

// The conversation succeeded: the connection is now logged in as its user.
void complete_conversation(const CommandRequest& request) {
    AuthSession& session = session_of(request);
    auto user =
        users_of(request).find(session.conversation->db, session.conversation->scram.user());
    session.conversation.reset();
    if (!user) throw MongoError(code::AuthenticationFailed, "Authentication failed.");
    log_line(LogLevel::Info, "connection " + std::to_string(request.client->connection_id) +
                                 " authenticated as " + user->name + "@" + user->db);
    session.user = std::move(user);
}

void sasl_start(const CommandRequest& request, bson_t* reply) {
    start_conversation(request, body_of(request), request.db, reply);
}

void sasl_continue(const CommandRequest& request, bson_t* reply) {
    Document body = body_of(request);
    AuthSession& session = session_of(request);
    if (!session.conversation) throw MongoError(code::ProtocolError, "No SASL session state found");
    if (int_argument(body, "saslContinue", "conversationId", 0) != kConversationId) {
        throw MongoError(code::ProtocolError, "sasl: Mismatched conversation id");
    }
    Payload payload = read_payload(body, "saslContinue");
    AuthSession::Conversation& conversation = *session.conversation;
    if (conversation.proof_verified) {
        // The long form of the exchange: the client acknowledges the server's signature with an
        // empty message (auth spec, "Backwards Compatibility").
        if (!payload.bytes.empty()) {
            session.conversation.reset();
            throw MongoError(code::AuthenticationFailed, "Authentication failed.");
        }
        complete_conversation(request);
        append_conversation_reply(reply, true, "", payload.as_string);
        return;
    }
    std::string server_final;
    try {
        server_final = conversation.scram.finish(payload.bytes);
    } catch (const MongoError&) {
        session.conversation.reset();
        throw;
    }
    bool done = conversation.skip_empty_exchange;
    if (done) {
        complete_conversation(request);
    } else {
        conversation.proof_verified = true;
    }
    append_conversation_reply(reply, done, server_final, payload.as_string);
}

void logout(const CommandRequest& request, bson_t*) {
    AuthSession& session = session_of(request);
    session.user.reset();
    session.conversation.reset();
}

// The roles argument of createUser, updateUser, grantRolesToUser or revokeRolesFromUser.
std::vector<RoleName> parse_roles(const Document& body, const std::string& db,
                                  const std::string& command) {
    const Value* roles = body.get("roles");
    if (roles == nullptr) {
        throw MongoError(kMissingField,
                         "BSON field '" + command + ".roles' is missing but a required field");
    }
    if (!roles->is_array()) {
        throw MongoError(code::TypeMismatch, "BSON field '" + command +
                                                 ".roles' is the wrong type, expected type "
                                                 "'array'");
    }
    std::vector<RoleName> out;
    for (const Value& role : roles->array()) {
        RoleName name;
        if (role.is_string()) {
            name = {role.str(), db};
        } else if (role.is_document() && role.doc().get("role") && role.doc().get("db") &&
                   role.doc().get("role")->is_string() && role.doc().get("db")->is_string()) {
            name = {role.doc().get("role")->str(), role.doc().get("db")->str()};
        } else {
            throw MongoError(code::BadValue,
                             "Role names must be either strings or objects with 'role' and "
                             "'db' fields");
        }
        if (!builtin_role_exists(name.role, name.db)) {
            throw MongoError(code::RoleNotFound,
                             "Could not find role: " + name.role + "@" + name.db);
        }
        out.push_back(std::move(name));
    }
    return out;
}

std::vector<scram::Mechanism> parse_mechanisms(const Document& body) {
    const Value* value = body.get("mechanisms");
    if (value == nullptr) return {kMechanisms.begin(), kMechanisms.end()};
    if (!value->is_array() || value->array().empty()) {
        throw MongoError(code::BadValue, "mechanisms field must not be empty");
    }
    std::vector<scram::Mechanism> out;
    for (const Value& name : value->array()) {
        auto mechanism = name.is_string() ? scram::mechanism_by_name(name.str()) : std::nullopt;
        if (!mechanism) {
            throw MongoError(code::BadValue, "Unknown auth mechanism '" +
                                                 (name.is_string() ? name.str() : "") + "'");
        }
        out.push_back(*mechanism);
    }
    return out;
}

// A random (version 4) UUID, as mongod gives each user a userId.
std::string new_user_id() {
    std::string id = scram::random_bytes(16);
    id[6] = static_cast<char>((id[6] & 0x0f) | 0x40);
    id[8] = static_cast<char>((id[8] & 0x3f) | 0x80);
    return id;
}

std::map<scram::Mechanism, scram::Credentials> new_credentials(
    const std::string& name, const std::string& password,
    const std::vector<scram::Mechanism>& mechanisms) {
    std::map<scram::Mechanism, scram::Credentials> credentials;
    for (scram::Mechanism mechanism : mechanisms)
        credentials[mechanism] = scram::new_credentials(mechanism, name, password);
    return credentials;
}

UserRecord make_user(std::string name, std::string db, const std::optional<std::string>& password,
                     std::vector<RoleName> roles, const std::vector<scram::Mechanism>& mechanisms) {
    UserRecord user{std::move(name), std::move(db), new_user_id(), std::move(roles), {}};
    if (password) user.credentials = new_credentials(user.name, *password, mechanisms);
    return user;
}

void create_user(const CommandRequest& request, bson_t*) {
    Document body = body_of(request);
    auto name = string_argument(body, "createUser", "createUser");
    if (!name || name->empty()) throw MongoError(code::BadValue, "User name must not be empty");
    auto password = string_argument(body, "createUser", "pwd");
    if (!password && request.db != "$external") {
        throw MongoError(code::BadValue,
                         "Must provide a 'pwd' field for all user documents, except those with "
                         "'$external' as the user's source db");
    }
    users_of(request).create(make_user(*name, request.db, password,
                                       parse_roles(body, request.db, "createUser"),
                                       parse_mechanisms(body)));
}

void drop_user(const CommandRequest& request, bson_t*) {
    auto name = string_argument(body_of(request), "dropUser", "dropUser");
    if (!name || !users_of(request).drop(request.db, *name)) {
        throw MongoError(code::UserNotFound,
                         "User '" + name.value_or("") + "@" + request.db + "' not found");
    }
}

// mechanisms without pwd keeps only the listed credentials, which the user must already have
// (user_management_commands.cpp in mongodb/mongo).
void keep_only(UserRecord& user, const std::vector<scram::Mechanism>& mechanisms) {
    for (scram::Mechanism mechanism : mechanisms) {
        if (user.credentials.count(mechanism) == 0) {
            throw MongoError(code::BadValue,
                             "mechanisms field must be a subset of previously set mechanisms");
        }
    }
    std::erase_if(user.credentials, [&](const auto& entry) {
        return std::find(mechanisms.begin(), mechanisms.end(), entry.first) == mechanisms.end();
    });
}

// updateUser (manual, "updateUser"): each given field replaces the user's, roles whole; a new pwd
// makes new credentials for mechanisms (default: both SCRAM mechanisms).
void update_user(const CommandRequest& request, bson_t*) {
    Document body = body_of(request);
    auto name = string_argument(body, "updateUser", "updateUser").value_or("");
    auto password = string_argument(body, "updateUser", "pwd");
    bool has_roles = body.get("roles") != nullptr;
    bool has_mechanisms = body.get("mechanisms") != nullptr;
    if (!password && !has_roles && !has_mechanisms) {
        throw MongoError(code::BadValue, "Must specify at least one field to update in updateUser");
    }
    std::vector<RoleName> roles;
    if (has_roles) roles = parse_roles(body, request.db, "updateUser");
    std::vector<scram::Mechanism> mechanisms = parse_mechanisms(body);
    std::map<scram::Mechanism, scram::Credentials> credentials;
    if (password) credentials = new_credentials(name, *password, mechanisms);
    bool found = users_of(request).update(request.db, name, [&](UserRecord& user) {
        if (has_roles) user.roles = roles;
        if (password) {
            user.credentials = credentials;
        } else if (has_mechanisms) {
            keep_only(user, mechanisms);
        }
    });
    if (!found) {
        throw MongoError(code::UserNotFound, "User '" + name + "@" + request.db + "' not found");
    }
}

// grantRolesToUser / revokeRolesFromUser (manual, "grantRolesToUser", "revokeRolesFromUser"):
// the named roles are added to the user's (once each) or taken out of them; the rest stay.
void change_roles(const CommandRequest& request, const std::string& command, bool grant) {
    Document body = body_of(request);
    auto name = string_argument(body, command, command.c_str()).value_or("");
    std::vector<RoleName> named = parse_roles(body, request.db, command);
    if (named.empty()) {
        throw MongoError(code::BadValue, command + " command requires a non-empty \"roles\" array");
    }
    bool found = users_of(request).update(request.db, name, [&](UserRecord& user) {
        for (const RoleName& role : named) {
            auto held = std::find_if(user.roles.begin(), user.roles.end(), [&](const RoleName& r) {
                return r.role == role.role && r.db == role.db;
            });
            if (grant && held == user.roles.end()) user.roles.push_back(role);
            if (!grant && held != user.roles.end()) user.roles.erase(held);
        }
    });
    if (!found) {
        throw MongoError(code::UserNotFound,
                         "Could not find user \"" + name + "\" for db \"" + request.db + "\"");
    }
}

void grant_roles_to_user(const CommandRequest& request, bson_t*) {
    change_roles(request, "grantRolesToUser", true);
}

void revoke_roles_from_user(const CommandRequest& request, bson_t*) {
    change_roles(request, "revokeRolesFromUser", false);
}

void append_roles(bson_t* parent, const char* key, const std::vector<RoleName>& roles) {
    bson_t array, entry;
    BSON_APPEND_ARRAY_BEGIN(parent, key, &array);
    for (uint32_t i = 0; i < roles.size(); ++i) {
        BSON_APPEND_DOCUMENT_BEGIN(&array, std::to_string(i).c_str(), &entry);
        BSON_APPEND_UTF8(&entry, "role", roles[i].role.c_str());
        BSON_APPEND_UTF8(&entry, "db", roles[i].db.c_str());
        bson_append_document_end(&array, &entry);
    }
    bson_append_array_end(parent, &array);
}

void append_mechanisms(bson_t* parent, const char* key, const UserRecord& user) {
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(parent, key, &array);
    uint32_t index = 0;
    for (const auto& entry : user.credentials) {
        std::string key = std::to_string(index++);
        BSON_APPEND_UTF8(&array, key.c_str(), scram::mechanism_name(entry.first));
    }
    bson_append_array_end(parent, &array);
}

// One usersInfo entry, the fields of mongod's reply without credentials (showCredentials).
void append_user_info(bson_t* parent, const char* key, const UserRecord& user) {
    bson_t entry;
    BSON_APPEND_DOCUMENT_BEGIN(parent, key, &entry);
    BSON_APPEND_UTF8(&entry, "_id", (user.db + "." + user.name).c_str());
    BSON_APPEND_BINARY(&entry, "userId", BSON_SUBTYPE_UUID,
                       reinterpret_cast<const uint8_t*>(user.user_id.data()), 16);
    BSON_APPEND_UTF8(&entry, "user", user.name.c_str());
    BSON_APPEND_UTF8(&entry, "db", user.db.c_str());
    append_roles(&entry, "roles", user.roles);
    append_mechanisms(&entry, "mechanisms", user);
    bson_append_document_end(parent, &entry);
}

// One usersInfo argument: a user name on the command's database or a {user, db} document.
void add_named_user(const UserStore& users, const Value& name, const std::string& db,
                    std::vector<UserRecord>& out) {
    std::optional<UserRecord> user;
    if (name.is_string()) {
        user = users.find(db, name.str());
    } else if (name.is_document() && name.doc().get("user") && name.doc().get("db") &&
               name.doc().get("user")->is_string() && name.doc().get("db")->is_string()) {
        user = users.find(name.doc().get("db")->str(), name.doc().get("user")->str());
    } else {
        throw MongoError(code::BadValue,
                         "User name must be either a string or an object with 'user' and 'db'");
    }
    if (user) out.push_back(std::move(*user));
}

// usersInfo: 1 (the database's users), {forAllDBs: true}, a name, {user, db}, or an array of
// names; unknown users are left out of the reply.
void users_info(const CommandRequest& request, bson_t* reply) {
    Document body = body_of(request);
    const Value& argument = body.fields().front().value;
    const UserStore& users = users_of(request);
    std::vector<UserRecord> found;
    if (argument.is_number()) {
        found = users.list(request.db);
    } else if (argument.is_document() && argument.doc().get("forAllDBs") &&
               argument.doc().get("forAllDBs")->truthy()) {
        found = users.list("");
    } else if (argument.is_array()) {
        for (const Value& name : argument.array())
            add_named_user(users, name, request.db, found);
    } else {
        add_named_user(users, argument, request.db, found);
    }
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(reply, "users", &array);
    for (uint32_t i = 0; i < found.size(); ++i)
        append_user_info(&array, std::to_string(i).c_str(), found[i]);
    bson_append_array_end(reply, &array);
}

// hello's saslSupportedMechs: "<db>.<user>" names the user; absent when there is no such user.
void append_supported_mechanisms(const CommandRequest& request, const Document& body,
                                 bson_t* reply) {
    const Value* requested = body.get("saslSupportedMechs");
    if (requested == nullptr || !requested->is_string()) return;
    const std::string& text = requested->str();
    size_t dot = text.find('.');
    if (dot == std::string::npos) return;
    auto user = users_of(request).find(text.substr(0, dot), text.substr(dot + 1));
    if (user) append_mechanisms(reply, "saslSupportedMechs", *user);
}

// speculativeAuthenticate (auth spec, "Speculative Authentication"): saslStart inside hello on
// the named db. When it fails the field is left out and the driver runs saslStart itself.
void append_speculative_reply(const CommandRequest& request, const Document& body, bson_t* reply) {
    const Value* speculative = body.get("speculativeAuthenticate");
    if (speculative == nullptr || !speculative->is_document()) return;
    const Document& start = speculative->doc();
    const Value* db = start.get("db");
    if (db == nullptr || !db->is_string()) return;
    bson_t answer = BSON_INITIALIZER;
    try {
        start_conversation(request, start, db->str(), &answer);
        BSON_APPEND_DOCUMENT(reply, "speculativeAuthenticate", &answer);
    } catch (const MongoError& error) {
        log_line(LogLevel::Debug, "speculative authentication failed: " + error.message());
    }
    bson_destroy(&answer);
}

}  // namespace

void UserStore::persist_to(std::string path) {
    std::lock_guard lock(mutex_);
    path_ = std::move(path);
    for (UserRecord& user : read_users_file(path_)) {
        auto key = std::make_pair(user.db, user.name);
        users_.emplace(std::move(key), std::move(user));
    }
}

void UserStore::commit(Users users) {
    if (!path_.empty()) {
        std::vector<UserRecord> records;
        for (const auto& entry : users)
            records.push_back(entry.second);
        write_users_file(path_, records);
    }
    users_ = std::move(users);
}

void UserStore::create(UserRecord user) {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(user.db, user.name);
    if (users_.count(key) != 0) {
        throw MongoError(kUserAlreadyExists,
                         "User \"" + user.name + "@" + user.db + "\" already exists");
    }
    Users users = users_;
    users.emplace(std::move(key), std::move(user));
    commit(std::move(users));
}

bool UserStore::drop(const std::string& db, const std::string& name) {
    std::lock_guard lock(mutex_);
    Users users = users_;
    if (users.erase({db, name}) == 0) return false;
    commit(std::move(users));
    return true;
}

bool UserStore::update(const std::string& db, const std::string& name,
                       const std::function<void(UserRecord&)>& change) {
    std::lock_guard lock(mutex_);
    Users users = users_;
    auto it = users.find({db, name});
    if (it == users.end()) return false;
    change(it->second);
    commit(std::move(users));
    return true;
}

std::optional<UserRecord> UserStore::find(const std::string& db, const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = users_.find({db, name});
    if (it == users_.end()) return std::nullopt;
    return it->second;
}

std::vector<UserRecord> UserStore::list(const std::string& db) const {
    std::lock_guard lock(mutex_);
    std::vector<UserRecord> out;
    for (const auto& [key, user] : users_) {
        if (db.empty() || key.first == db) out.push_back(user);
    }
    return out;
}

bool UserStore::empty() const {
    std::lock_guard lock(mutex_);
    return users_.empty();
}

void add_root_users(UserStore& store, const std::vector<std::string>& names_and_passwords) {
    for (const std::string& entry : names_and_passwords) {
        size_t colon = entry.find(':');
        if (store.find("admin", entry.substr(0, colon))) continue;
        store.create(make_user(entry.substr(0, colon), "admin", entry.substr(colon + 1),
                               {{"root", "admin"}}, {kMechanisms.begin(), kMechanisms.end()}));
    }
}

namespace {

// mongod's refusal of a command the user's privileges do not cover names the command
// (commands.cpp, checkAuthorizationImplPreParse / AuthorizationSession).
[[noreturn]] void refuse_command(const CommandRequest& request) {
    Document body = Document::from_bson(*request.body);
    throw MongoError(code::Unauthorized,
                     "not authorized on " + request.db + " to execute command " + body.to_json());
}

// Roles that grant no write action on any database (manual, "Built-In Roles": read,
// readAnyDatabase, clusterMonitor). Only users holding nothing else are checked: testmongod does
// not model the other roles' privileges.
bool read_only(const UserRecord& user) {
    return std::all_of(user.roles.begin(), user.roles.end(), [](const RoleName& role) {
        return role.role == "read" || (role.db == "admin" && (role.role == "readAnyDatabase" ||
                                                              role.role == "clusterMonitor"));
    });
}

// Commands that need a write action (insert, update, remove, createCollection, dropCollection,
// createIndex, dropIndex, collMod, renameCollectionSameDB, dropDatabase, createUser, updateUser,
// dropUser, grantRole, revokeRole, or a cluster action that read roles lack).
bool writes(const std::string& name) {
    static const std::array<std::string_view, 21> kNames = {"insert",
                                                            "update",
                                                            "delete",
                                                            "findAndModify",
                                                            "findandmodify",
                                                            "create",
                                                            "drop",
                                                            "dropDatabase",
                                                            "createIndexes",
                                                            "dropIndexes",
                                                            "renameCollection",
                                                            "collMod",
                                                            "convertToCapped",
                                                            "cloneCollectionAsCapped",
                                                            "createUser",
                                                            "updateUser",
                                                            "dropUser",
                                                            "grantRolesToUser",
                                                            "revokeRolesFromUser",
                                                            "applyOps",
                                                            "configureFailPoint"};
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

}  // namespace

void authorize_command(const CommandRequest& request) {
    ServerState& server = *request.server;
    if (!server.options().auth || allowed_without_authentication(request.name)) return;
    // mongod looks the command up first: an unknown command is CommandNotFound even here.
    if (server.commands().find(request.name) == nullptr) return;
    if (request.client->auth && request.client->auth->user) {
        if (read_only(*request.client->auth->user) && writes(request.name)) {
            refuse_command(request);
        }
        return;
    }
    if (localhost_exception_applies(request)) {
        if (request.name == "createUser" && request.db == "admin") return;
        // With the exception in force mongod defers to the command's privilege check.
        refuse_command(request);
    }
    throw MongoError(code::Unauthorized, "command " + request.name + " requires authentication");
}

void append_hello_auth_fields(const CommandRequest& request, bson_t* reply) {
    // Most hellos (monitoring, awaitable) ask for neither: skip parsing their body.
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, request.body, "saslSupportedMechs") &&
        !bson_iter_init_find(&iter, request.body, "speculativeAuthenticate")) {
        return;
    }
    Document body = Document::from_bson(*request.body);
    append_supported_mechanisms(request, body, reply);
    append_speculative_reply(request, body, reply);
}

void append_auth_info(const CommandRequest& request, bson_t* auth_info) {
    const auto& user = request.client->auth ? request.client->auth->user : std::nullopt;
    bson_t users, entry;
    BSON_APPEND_ARRAY_BEGIN(auth_info, "authenticatedUsers", &users);
    if (user) {
        BSON_APPEND_DOCUMENT_BEGIN(&users, "0", &entry);
        BSON_APPEND_UTF8(&entry, "user", user->name.c_str());
        BSON_APPEND_UTF8(&entry, "db", user->db.c_str());
        bson_append_document_end(&users, &entry);
    }
    bson_append_array_end(auth_info, &users);
    append_roles(auth_info, "authenticatedUserRoles", user ? user->roles : std::vector<RoleName>{});
}

void register_auth_commands(CommandRegistry& registry) {
    registry.add("saslStart", sasl_start);
    registry.add("saslContinue", sasl_continue);
    registry.add("logout", logout);
    registry.add("createUser", create_user);
    registry.add("updateUser", update_user);
    registry.add("dropUser", drop_user);
    registry.add("grantRolesToUser", grant_roles_to_user);
    registry.add("revokeRolesFromUser", revoke_roles_from_user);
    registry.add("usersInfo", users_info);
}

}  // namespace tmd
