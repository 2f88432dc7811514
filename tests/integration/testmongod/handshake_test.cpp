// Integration: drivers discover testmongod as the primary of a one-member replica set, and
// hello/isMaster carry the fields MongoDB documents. Runs against TRIBUTARY_TEST_SOURCE_URI too.
#include <gtest/gtest.h>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using testsupport::Client;

class HandshakeTest : public ::testing::Test {
  protected:
    testsupport::TestServer server_ = testsupport::source_uri_or_start();
    Client client_{server_.uri};
};

TEST_F(HandshakeTest, ReplicaSetDiscoveryFindsAWritablePrimary) {
    bson_error_t error;
    mongoc_server_description_t* primary =
        mongoc_client_select_server(client_.get(), true, nullptr, &error);
    ASSERT_NE(primary, nullptr) << error.message;
    EXPECT_STREQ(mongoc_server_description_type(primary), "RSPrimary");
    mongoc_server_description_destroy(primary);
}

TEST_F(HandshakeTest, HelloDescribesThePrimaryOfAReplicaSet) {
    auto result = client_.run_command("admin", R"({"hello": 1})");
    ASSERT_TRUE(result.ok) << result.error;
    const auto& reply = result.reply;
    EXPECT_TRUE(reply.boolean("isWritablePrimary"));
    EXPECT_FALSE(reply.boolean("secondary"));
    EXPECT_FALSE(reply.string("setName").empty());
    EXPECT_EQ(reply.string("primary"), reply.string("me"));
    EXPECT_EQ(reply.string("hosts.0"), reply.string("me"));
    EXPECT_TRUE(reply.has("topologyVersion.processId"));
    EXPECT_EQ(reply.number("maxBsonObjectSize"), 16 * 1024 * 1024);
    EXPECT_EQ(reply.number("maxMessageSizeBytes"), 48000000);
    EXPECT_EQ(reply.number("maxWriteBatchSize"), 100000);
    EXPECT_EQ(reply.number("logicalSessionTimeoutMinutes"), 30);
    EXPECT_GE(reply.number("maxWireVersion"), 9);
    EXPECT_EQ(reply.number("minWireVersion"), 0);
    EXPECT_TRUE(reply.has("lastWrite.opTime"));
    EXPECT_TRUE(reply.has("electionId"));
    EXPECT_TRUE(reply.has("$clusterTime.clusterTime"));
    EXPECT_TRUE(reply.has("operationTime"));
}

TEST_F(HandshakeTest, LegacyIsMasterSaysIsmasterAndEchoesHelloOk) {
    auto result = client_.run_command("admin", R"({"isMaster": 1, "helloOk": true})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_TRUE(result.reply.boolean("ismaster"));
    EXPECT_FALSE(result.reply.has("isWritablePrimary"));
    EXPECT_TRUE(result.reply.boolean("helloOk"));
}

TEST_F(HandshakeTest, UnknownCommandIsCommandNotFound) {
    auto result = client_.run_command("admin", R"({"noSuchCommandAtAll": 1})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.code, 59);
    EXPECT_NE(result.error.find("no such command: 'noSuchCommandAtAll'"), std::string::npos)
        << result.error;
}

TEST_F(HandshakeTest, CommandNamesAreCaseSensitive) {
    auto result = client_.run_command("admin", R"({"PING": 1})");
    EXPECT_EQ(result.code, 59);
}

TEST(HandshakeProfileTest, VersionProfileSetsMaxWireVersion) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "profiles are testmongod's";
    for (auto [profile, wire] : {std::pair{"4.4", 9}, {"6.0", 17}, {"7.0", 21}}) {
        auto server = testsupport::ServerProcess::start({"--version-profile", profile});
        Client client(server.uri());
        auto result = client.run_command("admin", R"({"hello": 1})");
        ASSERT_TRUE(result.ok) << result.error;
        EXPECT_EQ(result.reply.number("maxWireVersion"), wire) << profile;
    }
}

TEST(HandshakeProfileTest, AdvertiseOverridesTheReportedAddress) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "--advertise is testmongod's";
    // A direct connection, since the advertised name differs from the one dialled.
    auto server = testsupport::ServerProcess::start({"--advertise", "example.invalid:27017"});
    Client client("mongodb://127.0.0.1:" + std::to_string(server.port()) +
                  "/?directConnection=true");
    auto result = client.run_command("admin", R"({"hello": 1})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.reply.string("me"), "example.invalid:27017");
    EXPECT_EQ(result.reply.string("primary"), "example.invalid:27017");
}

TEST(ServerProcessTest, SigtermExitsZeroAndBadFlagsExitTwo) {
    if (std::getenv("TRIBUTARY_TEST_SOURCE_URI")) GTEST_SKIP() << "process behaviour of testmongod";
    auto server = testsupport::ServerProcess::start();
    EXPECT_EQ(server.stop(), 0);
    EXPECT_THROW(testsupport::ServerProcess::start({"--no-such-flag"}), std::runtime_error);
}

}  // namespace
