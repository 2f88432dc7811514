// Integration: the admin commands (ping, buildInfo, serverStatus, replSetGetStatus,
// getParameter, sessions, whatsmyuri) reply with the fields the MongoDB manual documents.
#include <gtest/gtest.h>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using testsupport::Client;

class AdminTest : public ::testing::Test {
  protected:
    testsupport::TestServer server_ = testsupport::source_uri_or_start();
    Client client_{server_.uri};

    testsupport::Bson run_ok(const char* json) {
        auto result = client_.run_command("admin", json);
        EXPECT_TRUE(result.ok) << json << ": " << result.error;
        return result.reply;
    }
};

TEST_F(AdminTest, PingReplies) {
    EXPECT_TRUE(run_ok(R"({"ping": 1})").has("ok"));
}

TEST_F(AdminTest, BuildInfoReportsVersionAndVersionArray) {
    auto reply = run_ok(R"({"buildInfo": 1})");
    std::string version = reply.string("version");
    EXPECT_EQ(std::to_string(reply.number("versionArray.0")), version.substr(0, version.find('.')));
    EXPECT_TRUE(reply.has("versionArray.3"));
    EXPECT_EQ(reply.number("maxBsonObjectSize"), 16 * 1024 * 1024);
    EXPECT_EQ(reply.number("bits"), 64);
}

TEST_F(AdminTest, ServerStatusReportsHostProcessUptimeConnectionsAndOpcounters) {
    auto reply = run_ok(R"({"serverStatus": 1})");
    EXPECT_FALSE(reply.string("host").empty());
    EXPECT_EQ(reply.string("process"), "mongod");
    EXPECT_FALSE(reply.string("version").empty());
    EXPECT_TRUE(reply.has("uptime"));
    EXPECT_GE(reply.number("connections.current"), 1);
    EXPECT_GE(reply.number("opcounters.command"), 1);
    EXPECT_TRUE(reply.has("opcounters.getmore"));
}

TEST_F(AdminTest, ReplSetGetStatusShowsOnePrimaryMember) {
    auto reply = run_ok(R"({"replSetGetStatus": 1})");
    EXPECT_FALSE(reply.string("set").empty());
    EXPECT_EQ(reply.number("myState"), 1);
    EXPECT_EQ(reply.string("members.0.stateStr"), "PRIMARY");
    EXPECT_EQ(reply.number("members.0.state"), 1);
    EXPECT_TRUE(reply.boolean("members.0.self"));
    EXPECT_FALSE(reply.has("members.1"));
}

TEST_F(AdminTest, GetParameterReturnsFeatureCompatibilityVersion) {
    auto reply = run_ok(R"({"getParameter": 1, "featureCompatibilityVersion": 1})");
    EXPECT_FALSE(reply.string("featureCompatibilityVersion.version").empty());
}

TEST_F(AdminTest, GetParameterWithoutAKnownParameterFails) {
    auto result = client_.run_command("admin", R"({"getParameter": 1})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 72);
}

TEST_F(AdminTest, EndSessionsAcceptsSessionIds) {
    run_ok(
        R"({"endSessions": [{"id": {"$binary": {"base64": "AAAAAAAAAAAAAAAAAAAAAA==", "subType": "04"}}}]})");
}

TEST_F(AdminTest, WhatsMyUriReportsTheClientAddress) {
    EXPECT_EQ(run_ok(R"({"whatsmyuri": 1})").string("you").rfind("127.0.0.1:", 0), 0u);
}

TEST(AdminStandaloneTest, ReplSetGetStatusFailsWithoutAReplicaSet) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "needs a standalone testmongod";
    auto server = testsupport::ServerProcess::start({"--replset", ""});
    Client client("mongodb://127.0.0.1:" + std::to_string(server.port()) + "/");
    auto result = client.run_command("admin", R"({"replSetGetStatus": 1})");
    EXPECT_EQ(result.code, 76);
    auto hello = client.run_command("admin", R"({"hello": 1})");
    EXPECT_FALSE(hello.reply.has("setName"));
}

}  // namespace
