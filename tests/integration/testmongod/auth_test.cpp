// Integration: testmongod --auth behaves as mongod with access control — SCRAM logins through
// libmongoc, AuthenticationFailed (18) for a wrong password or unknown user, Unauthorized (13)
// before login, the commands allowed without it, user management and the localhost exception,
// and users kept by --dbpath across a restart, a kill -9 included.
// These tests need their own --auth server, so they skip when TRIBUTARY_TEST_SOURCE_URI is set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "support/child_process.h"
#include "support/mongo_client.h"
#include "support/server_process.h"
#include "support/test_certificates.h"

namespace {

using testsupport::Bson;
using testsupport::Client;
using testsupport::CommandResult;
using testsupport::ServerProcess;

bool external_server() {
    const char* uri = std::getenv("TRIBUTARY_TEST_SOURCE_URI");
    return uri != nullptr && *uri != '\0';
}

std::string uri_with_credentials(const ServerProcess& server, const std::string& userinfo,
                                 const std::string& options = "") {
    return "mongodb://" + userinfo + "@127.0.0.1:" + std::to_string(server.port()) +
           "/?replicaSet=rs0&serverSelectionTimeoutMS=2000" + options;
}

std::string plain_uri(const ServerProcess& server) {
    return "mongodb://127.0.0.1:" + std::to_string(server.port()) + "/?replicaSet=rs0";
}

// The user a client is logged in as, from connectionStatus ("" when none).
std::string authenticated_user(Client& client) {
    CommandResult status = client.run_command("admin", R"({"connectionStatus": 1})");
    EXPECT_TRUE(status.ok) << status.error;
    if (!status.reply.has("authInfo.authenticatedUsers.0.user")) return "";
    return status.reply.string("authInfo.authenticatedUsers.0.user") + "@" +
           status.reply.string("authInfo.authenticatedUsers.0.db");
}

// A SASL command with a BinData payload, sent by hand to see the server's own error replies.
CommandResult sasl_command(Client& client, const char* name, const std::string& payload,
                           bool continue_conversation) {
    bson_t command = BSON_INITIALIZER;
    BSON_APPEND_INT32(&command, name, 1);
    if (continue_conversation) {
        BSON_APPEND_INT32(&command, "conversationId", 1);
    } else {
        BSON_APPEND_UTF8(&command, "mechanism", "SCRAM-SHA-256");
    }
    BSON_APPEND_BINARY(&command, "payload", BSON_SUBTYPE_BINARY,
                       reinterpret_cast<const uint8_t*>(payload.data()),
                       static_cast<uint32_t>(payload.size()));
    CommandResult result = client.run_command("admin", &command);
    bson_destroy(&command);
    return result;
}

std::string payload_of(const Bson& reply) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, reply.get(), "payload") || !BSON_ITER_HOLDS_BINARY(&iter)) {
        return "";
    }
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_binary(&iter, nullptr, &length, &data);
    return std::string(reinterpret_cast<const char*>(data), length);
}

void expect_authentication_failed(const CommandResult& result) {
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 18) << result.reply.json();
    EXPECT_EQ(result.error, "Authentication failed.");
    EXPECT_EQ(result.reply.string("codeName"), "AuthenticationFailed");
}

class AuthTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (external_server()) {
            GTEST_SKIP() << "needs its own testmongod --auth; TRIBUTARY_TEST_SOURCE_URI is set";
        }
        server_.emplace(ServerProcess::start({"--auth", "--user", "admin:secret"}));
    }

    std::optional<ServerProcess> server_;
};

TEST_F(AuthTest, CorrectPasswordLogsInWithScramSha256) {
    Client client(uri_with_credentials(*server_, "admin:secret", "&authMechanism=SCRAM-SHA-256"));
    EXPECT_EQ(authenticated_user(client), "admin@admin");
    CommandResult list = client.run_command("admin", R"({"listDatabases": 1})");
    EXPECT_TRUE(list.ok) << list.error;
}

TEST_F(AuthTest, CorrectPasswordLogsInWithScramSha1) {
    Client client(uri_with_credentials(*server_, "admin:secret", "&authMechanism=SCRAM-SHA-1"));
    EXPECT_EQ(authenticated_user(client), "admin@admin");
}

TEST_F(AuthTest, NegotiatedDefaultMechanismLogsIn) {
    Client client(uri_with_credentials(*server_, "admin:secret"));
    EXPECT_EQ(authenticated_user(client), "admin@admin");
}

// The driver logs in with `userinfo` before its first command, which then fails.
void expect_driver_login_fails(const ServerProcess& server, const std::string& userinfo) {
    Client client(uri_with_credentials(server, userinfo));
    CommandResult result = client.run_command("admin", R"({"ping": 1})");
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.error.find("Authentication failed"), std::string::npos) << result.error;
}

TEST_F(AuthTest, WrongPasswordFailsTheDriversLogin) {
    expect_driver_login_fails(*server_, "admin:wrong");
}

TEST_F(AuthTest, WrongProofIsAuthenticationFailed) {
    Client client(plain_uri(*server_));
    CommandResult first = sasl_command(client, "saslStart", "n,,n=admin,r=clientNonce123", false);
    ASSERT_TRUE(first.ok) << first.error;
    EXPECT_EQ(first.reply.number("conversationId"), 1);
    EXPECT_FALSE(first.reply.boolean("done"));
    std::string server_first = payload_of(first.reply);
    ASSERT_EQ(server_first.rfind("r=clientNonce123", 0), 0u) << server_first;
    std::string nonce = server_first.substr(2, server_first.find(',') - 2);
    // A 32-byte proof of zeros: the right shape, computed without the password.
    std::string zero_proof(43, 'A');
    expect_authentication_failed(
        sasl_command(client, "saslContinue", "c=biws,r=" + nonce + ",p=" + zero_proof + "=", true));
}

TEST_F(AuthTest, UnknownUserIsAuthenticationFailed) {
    Client client(plain_uri(*server_));
    expect_authentication_failed(
        sasl_command(client, "saslStart", "n,,n=nobody,r=clientNonce123", false));
}

TEST_F(AuthTest, UnknownUserFailsTheDriversLogin) {
    expect_driver_login_fails(*server_, "nobody:secret");
}

TEST_F(AuthTest, UnauthenticatedCommandIsUnauthorized) {
    Client client(plain_uri(*server_));
    CommandResult result = client.run_command("admin", R"({"listDatabases": 1})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 13);
    EXPECT_EQ(result.error, "command listDatabases requires authentication");
    EXPECT_EQ(result.reply.string("codeName"), "Unauthorized");
    CommandResult find = client.run_command("test", R"({"find": "c"})");
    EXPECT_EQ(find.code, 13);
    EXPECT_EQ(find.error, "command find requires authentication");
}

TEST_F(AuthTest, HandshakeCommandsNeedNoAuthentication) {
    Client client(plain_uri(*server_));
    for (const char* command : {R"({"hello": 1})", R"({"isMaster": 1})", R"({"ping": 1})",
                                R"({"buildInfo": 1})", R"({"connectionStatus": 1})"}) {
        CommandResult result = client.run_command("admin", command);
        EXPECT_TRUE(result.ok) << command << ": " << result.error;
    }
    EXPECT_EQ(authenticated_user(client), "");
}

TEST_F(AuthTest, HelloListsTheMechanismsOfAUser) {
    Client client(plain_uri(*server_));
    CommandResult known =
        client.run_command("admin", R"({"hello": 1, "saslSupportedMechs": "admin.admin"})");
    ASSERT_TRUE(known.ok) << known.error;
    EXPECT_EQ(known.reply.string("saslSupportedMechs.0"), "SCRAM-SHA-1");
    EXPECT_EQ(known.reply.string("saslSupportedMechs.1"), "SCRAM-SHA-256");
    CommandResult unknown =
        client.run_command("admin", R"({"hello": 1, "saslSupportedMechs": "admin.nobody"})");
    ASSERT_TRUE(unknown.ok) << unknown.error;
    EXPECT_FALSE(unknown.reply.has("saslSupportedMechs"));
}

TEST_F(AuthTest, CreatedUserLogsInOnItsDatabaseUntilDropped) {
    std::string db = testsupport::unique_name("authdb");
    Client admin(uri_with_credentials(*server_, "admin:secret"));
    CommandResult created = admin.run_command(
        db, R"({"createUser": "app", "pwd": "app-pass", "roles": ["readWrite"]})");
    ASSERT_TRUE(created.ok) << created.error;
    CommandResult again =
        admin.run_command(db, R"({"createUser": "app", "pwd": "other", "roles": ["readWrite"]})");
    EXPECT_EQ(again.code, 51003);

    CommandResult info = admin.run_command(db, R"({"usersInfo": "app"})");
    ASSERT_TRUE(info.ok) << info.error;
    EXPECT_EQ(info.reply.string("users.0._id"), db + ".app");
    EXPECT_EQ(info.reply.string("users.0.roles.0.role"), "readWrite");
    EXPECT_EQ(info.reply.string("users.0.roles.0.db"), db);

    {
        Client app(uri_with_credentials(*server_, "app:app-pass", "&authSource=" + db));
        EXPECT_EQ(authenticated_user(app), "app@" + db);
    }
    ASSERT_TRUE(admin.run_command(db, R"({"dropUser": "app"})").ok);
    EXPECT_EQ(admin.run_command(db, R"({"dropUser": "app"})").code, 11);
    Client dropped(uri_with_credentials(*server_, "app:app-pass", "&authSource=" + db));
    EXPECT_FALSE(dropped.run_command("admin", R"({"ping": 1})").ok);
}

// A user with only the read role may read, and any write command is 13 Unauthorized naming the
// command, as mongod (manual, "Built-In Roles": read grants no insert, update, remove, ...).
TEST_F(AuthTest, ReadOnlyUserMayReadButNotWrite) {
    std::string db = testsupport::unique_name("authdb");
    Client admin(uri_with_credentials(*server_, "admin:secret"));
    ASSERT_TRUE(admin.run_command(db, R"({"insert": "items", "documents": [{"_id": 1}]})").ok);
    ASSERT_TRUE(
        admin.run_command(db, R"({"createUser": "reader", "pwd": "r", "roles": ["read"]})").ok);
    Client reader(uri_with_credentials(*server_, "reader:r", "&authSource=" + db));
    CommandResult found = reader.run_command(db, R"({"find": "items"})");
    EXPECT_TRUE(found.ok) << found.error;
    for (const char* command :
         {R"({"insert": "items", "documents": [{"_id": 2}]})",
          R"({"delete": "items", "deletes": [{"q": {}, "limit": 0}]})", R"({"create": "other"})",
          R"({"createIndexes": "items", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})"}) {
        CommandResult refused = reader.run_command(db, command);
        EXPECT_EQ(refused.code, 13) << command << ": " << refused.reply.json();
        EXPECT_NE(refused.error.find("not authorized on " + db + " to execute command"),
                  std::string::npos)
            << refused.error;
    }
    CommandResult count = admin.run_command(db, R"({"count": "items"})");
    EXPECT_EQ(count.reply.number("n"), 1);
}

TEST_F(AuthTest, CreateUserRejectsUnknownRoles) {
    Client admin(uri_with_credentials(*server_, "admin:secret"));
    CommandResult result =
        admin.run_command(testsupport::unique_name("authdb"),
                          R"({"createUser": "x", "pwd": "y", "roles": ["noSuchRole"]})");
    EXPECT_EQ(result.code, 31) << result.reply.json();
}

TEST(AuthProfileTest, LegacyHandshakeOfThe44ProfileLogsIn) {
    if (external_server()) {
        GTEST_SKIP() << "needs its own testmongod --auth; TRIBUTARY_TEST_SOURCE_URI is set";
    }
    ServerProcess server =
        ServerProcess::start({"--auth", "--user", "admin:secret", "--version-profile", "4.4"});
    for (const char* mechanism : {"", "&authMechanism=SCRAM-SHA-1"}) {
        Client client(uri_with_credentials(server, "admin:secret", mechanism));
        EXPECT_EQ(authenticated_user(client), "admin@admin") << mechanism;
    }
}

TEST(AuthLocalhostExceptionTest, LoopbackMayCreateOnlyTheFirstUser) {
    if (external_server()) {
        GTEST_SKIP() << "needs its own testmongod --auth; TRIBUTARY_TEST_SOURCE_URI is set";
    }
    ServerProcess server = ServerProcess::start({"--auth"});
    Client client(plain_uri(server));
    EXPECT_EQ(client.run_command("admin", R"({"listDatabases": 1})").code, 13);
    CommandResult first =
        client.run_command("admin", R"({"createUser": "boss", "pwd": "pw", "roles": ["root"]})");
    ASSERT_TRUE(first.ok) << first.error;
    CommandResult second =
        client.run_command("admin", R"({"createUser": "other", "pwd": "pw", "roles": ["root"]})");
    EXPECT_EQ(second.code, 13);
    EXPECT_EQ(second.error, "command createUser requires authentication");
    Client boss(uri_with_credentials(server, "boss:pw"));
    EXPECT_EQ(authenticated_user(boss), "boss@admin");
}

// Users and their roles live in --dbpath as mongod keeps them in admin.system.users: what
// createUser, updateUser and dropUser did is there after a kill -9 and after a clean restart.
class AuthPersistenceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (external_server()) {
            GTEST_SKIP() << "needs its own testmongod --auth; TRIBUTARY_TEST_SOURCE_URI is set";
        }
    }
    ServerProcess start() {
        return ServerProcess::start(
            {"--auth", "--user", "admin:secret", "--dbpath", directory_.path()});
    }
    // usersInfo of db's users, as JSON: the same after a restart when nothing was lost.
    std::string users_of(const ServerProcess& server) {
        Client admin(uri_with_credentials(server, "admin:secret"));
        CommandResult info = admin.run_command(db_, R"({"usersInfo": 1})");
        EXPECT_TRUE(info.ok) << info.error;
        return info.reply.document("users").json();
    }
    std::string login(const ServerProcess& server, const std::string& userinfo) {
        Client client(uri_with_credentials(server, userinfo, "&authSource=" + db_));
        return authenticated_user(client);
    }

    testsupport::TemporaryDirectory directory_;
    std::string db_ = testsupport::unique_name("authdb");
};

TEST_F(AuthPersistenceTest, UsersSurviveKillNineAndCleanRestart) {
    ServerProcess server = start();
    {
        Client admin(uri_with_credentials(server, "admin:secret"));
        for (const char* command :
             {R"({"createUser": "app", "pwd": "app-pass", "roles": ["readWrite"]})",
              R"({"createUser": "reader", "pwd": "old", "roles": ["readWrite"]})",
              R"({"createUser": "gone", "pwd": "g", "roles": ["read"]})",
              R"({"updateUser": "reader", "pwd": "new", "roles": ["read"]})",
              R"({"dropUser": "gone"})"}) {
            CommandResult result = admin.run_command(db_, command);
            ASSERT_TRUE(result.ok) << command << ": " << result.error;
        }
    }
    std::string before = users_of(server);
    EXPECT_NE(before.find("\"reader\""), std::string::npos) << before;
    EXPECT_EQ(before.find("\"gone\""), std::string::npos) << before;

    server.kill();
    server = start();
    EXPECT_EQ(users_of(server), before);
    EXPECT_EQ(login(server, "app:app-pass"), "app@" + db_);
    EXPECT_EQ(login(server, "reader:new"), "reader@" + db_);
    expect_driver_login_fails(server, "reader:old");
    Client reader(uri_with_credentials(server, "reader:new", "&authSource=" + db_));
    EXPECT_EQ(reader.run_command(db_, R"({"insert": "items", "documents": [{}]})").code, 13);

    Client admin(uri_with_credentials(server, "admin:secret"));
    ASSERT_TRUE(admin.run_command(db_, R"({"dropUser": "app"})").ok);
    std::string after_drop = users_of(server);
    EXPECT_EQ(server.stop(), 0);
    server = start();
    EXPECT_EQ(users_of(server), after_drop);
    expect_driver_login_fails(server, "app:app-pass");
}

TEST_F(AuthTest, GrantAndRevokeRolesChangeOnlyTheNamedRoles) {
    std::string db = testsupport::unique_name("authdb");
    Client admin(uri_with_credentials(*server_, "admin:secret"));
    ASSERT_TRUE(admin.run_command(db, R"({"createUser": "u", "pwd": "p", "roles": ["read"]})").ok);
    CommandResult granted = admin.run_command(
        db,
        R"({"grantRolesToUser": "u", "roles": ["readWrite", "read", {"role": "read", "db": "other"}]})");
    ASSERT_TRUE(granted.ok) << granted.error;
    CommandResult info = admin.run_command(db, R"({"usersInfo": "u"})");
    EXPECT_EQ(info.reply.document("users.0.roles").json(),
              R"({ "0" : { "role" : "read", "db" : ")" + db +
                  R"(" }, "1" : { "role" : "readWrite", "db" : ")" + db +
                  R"(" }, "2" : { "role" : "read", "db" : "other" } })");
    Client user(uri_with_credentials(*server_, "u:p", "&authSource=" + db));
    EXPECT_TRUE(user.run_command(db, R"({"insert": "items", "documents": [{}]})").ok);

    ASSERT_TRUE(
        admin
            .run_command(
                db,
                R"({"revokeRolesFromUser": "u", "roles": ["readWrite", {"role": "read", "db": "other"}]})")
            .ok);
    info = admin.run_command(db, R"({"usersInfo": "u"})");
    EXPECT_EQ(info.reply.document("users.0.roles").json(),
              R"({ "0" : { "role" : "read", "db" : ")" + db + R"(" } })");
    Client reader(uri_with_credentials(*server_, "u:p", "&authSource=" + db));
    EXPECT_EQ(reader.run_command(db, R"({"insert": "items", "documents": [{}]})").code, 13);

    EXPECT_EQ(admin.run_command(db, R"({"grantRolesToUser": "nobody", "roles": ["read"]})").code,
              11);
    EXPECT_EQ(admin.run_command(db, R"({"grantRolesToUser": "u", "roles": ["noSuchRole"]})").code,
              31);
    EXPECT_EQ(admin.run_command(db, R"({"revokeRolesFromUser": "u", "roles": []})").code, 2);
    EXPECT_EQ(reader.run_command(db, R"({"grantRolesToUser": "u", "roles": ["readWrite"]})").code,
              13);
}

// A users file cut short (a disk fault, an edit by hand) is refused at start, as mongod refuses a
// damaged data file: one line naming the file and exit 1, never a server missing its users.
TEST_F(AuthPersistenceTest, ACorruptUsersFileIsRefusedAtStart) {
    {
        ServerProcess server = start();
        Client admin(uri_with_credentials(server, "admin:secret"));
        ASSERT_TRUE(
            admin.run_command(db_, R"({"createUser": "app", "pwd": "p", "roles": ["read"]})").ok);
        EXPECT_EQ(server.stop(), 0);
    }
    const std::filesystem::path users = std::filesystem::path(directory_.path()) / "users";
    ASSERT_GT(std::filesystem::file_size(users), 10u);
    std::filesystem::resize_file(users, std::filesystem::file_size(users) - 7);
    // The refusal returns from main before OpenSSL's globals are freed: LeakSanitizer would turn
    // exit 1 into its own exit code.
    testsupport::ChildProcess server(
        TESTMONGOD_PATH,
        {"--port", "0", "--auth", "--user", "admin:secret", "--dbpath", directory_.path()},
        {"ASAN_OPTIONS=detect_leaks=0"});
    EXPECT_EQ(server.wait(std::chrono::seconds(30)), 1) << server.output();
    EXPECT_NE(server.output().find("testmongod: corrupt users file " + users.string()),
              std::string::npos)
        << server.output();
}

TEST_F(AuthTest, UpdateUserReplacesPasswordAndRoles) {
    std::string db = testsupport::unique_name("authdb");
    Client admin(uri_with_credentials(*server_, "admin:secret"));
    ASSERT_TRUE(
        admin.run_command(db, R"({"createUser": "u", "pwd": "one", "roles": ["readWrite"]})").ok);
    CommandResult updated =
        admin.run_command(db, R"({"updateUser": "u", "pwd": "two", "roles": ["read"]})");
    ASSERT_TRUE(updated.ok) << updated.error;
    CommandResult info = admin.run_command(db, R"({"usersInfo": "u"})");
    EXPECT_EQ(info.reply.string("users.0.roles.0.role"), "read");
    EXPECT_FALSE(info.reply.has("users.0.roles.1"));
    Client user(uri_with_credentials(*server_, "u:two", "&authSource=" + db));
    EXPECT_EQ(authenticated_user(user), "u@" + db);
    expect_driver_login_fails(*server_, "u:one");
    EXPECT_EQ(admin.run_command(db, R"({"updateUser": "nobody", "pwd": "x"})").code, 11);
    EXPECT_EQ(admin.run_command(db, R"({"updateUser": "u"})").code, 2);
}

}  // namespace
