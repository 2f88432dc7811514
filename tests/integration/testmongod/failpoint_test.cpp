// Integration: the failCommand failpoint in mongod's shape — modes alwaysOn/off/times/skip and
// data errorCode, errorLabels, closeConnection, blockConnection, writeConcernError, appName — and
// the RetryableWriteError label the server attaches. Needs enableTestCommands on a real mongod.
#include <gtest/gtest.h>

#include <chrono>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using testsupport::Client;

class FailPointTest : public ::testing::Test {
  protected:
    void TearDown() override {
        admin_.run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
        admin_.run_command(db_, R"({"dropDatabase": 1})");
    }

    void configure(const std::string& mode, const std::string& data) {
        auto result =
            admin_.run_command("admin", R"({"configureFailPoint": "failCommand", "mode": )" + mode +
                                            R"(, "data": )" + data + "}");
        ASSERT_TRUE(result.ok) << result.error;
    }

    testsupport::CommandResult ping_db(Client& client) {
        return client.run_command(db_, R"({"count": "c"})");
    }

    testsupport::TestServer server_ = testsupport::source_uri_or_start();
    std::string db_ = testsupport::unique_name("failpoint");
    Client admin_{server_.uri};
    Client client_{server_.uri};
};

TEST_F(FailPointTest, AlwaysOnFailsEveryListedCommandUntilOff) {
    configure(R"("alwaysOn")", R"({"failCommands": ["count"], "errorCode": 2})");
    for (int i = 0; i < 3; ++i) {
        auto result = ping_db(client_);
        EXPECT_EQ(result.code, 2);
        EXPECT_NE(result.error.find("failCommand"), std::string::npos) << result.error;
    }
    EXPECT_TRUE(client_.run_command(db_, R"({"ping": 1})").ok);  // not listed
    configure(R"("off")", "{}");
    EXPECT_TRUE(ping_db(client_).ok);
}

TEST_F(FailPointTest, TimesModeFailsThatManyTimes) {
    configure(R"({"times": 2})", R"({"failCommands": ["count"], "errorCode": 8})");
    EXPECT_EQ(ping_db(client_).code, 8);
    EXPECT_EQ(ping_db(client_).code, 8);
    EXPECT_TRUE(ping_db(client_).ok);
}

TEST_F(FailPointTest, SkipModeLetsTheFirstCommandsThrough) {
    configure(R"({"skip": 1})", R"({"failCommands": ["count"], "errorCode": 8})");
    EXPECT_TRUE(ping_db(client_).ok);
    EXPECT_EQ(ping_db(client_).code, 8);
}

TEST_F(FailPointTest, ErrorLabelsFromDataAreReturned) {
    configure(
        R"({"times": 1})",
        R"({"failCommands": ["count"], "errorCode": 280, "errorLabels": ["ResumableChangeStreamError"]})");
    auto result = ping_db(client_);
    EXPECT_EQ(result.code, 280);
    EXPECT_EQ(result.reply.string("errorLabels.0"), "ResumableChangeStreamError");
}

TEST_F(FailPointTest, CloseConnectionDropsTheConnectionWithoutAReply) {
    configure(R"({"times": 1})", R"({"failCommands": ["count"], "closeConnection": true})");
    auto result = ping_db(client_);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.reply.json(), "{ }") << "a network error has no server reply";
    EXPECT_TRUE(ping_db(client_).ok);  // the driver reconnects
}

TEST_F(FailPointTest, BlockConnectionDelaysTheCommand) {
    configure(R"({"times": 1})",
              R"({"failCommands": ["count"], "blockConnection": true, "blockTimeMS": 300})");
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(ping_db(client_).ok);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST_F(FailPointTest, WriteConcernErrorIsAddedToASuccessfulWrite) {
    configure(
        R"({"times": 1})",
        R"({"failCommands": ["insert"], "writeConcernError": {"code": 100, "errmsg": "wc failed"}})");
    auto result = client_.run_command(db_, R"({"insert": "c", "documents": [{"_id": 1}]})");
    EXPECT_EQ(result.reply.number("writeConcernError.code"), 100);
    EXPECT_EQ(result.reply.number("n"), 1);
}

TEST_F(FailPointTest, AppNameLimitsTheFailpointToThatApplication) {
    Client named(server_.uri + "&appName=failpointVictim");
    configure(R"("alwaysOn")",
              R"({"failCommands": ["count"], "errorCode": 8, "appName": "failpointVictim"})");
    EXPECT_EQ(ping_db(named).code, 8);
    EXPECT_TRUE(ping_db(client_).ok);
}

TEST_F(FailPointTest, RetryableWriteErrorLabelLetsTheDriverRetryTheInsert) {
    // Without the label the server attaches to code 91 on a retryable write, the driver would
    // not retry and the insert would fail.
    configure(R"({"times": 1})", R"({"failCommands": ["insert"], "errorCode": 91})");
    mongoc_collection_t* collection = client_.collection(db_, "c");
    bson_t* doc = BCON_NEW("_id", BCON_INT32(7));
    bson_error_t error;
    EXPECT_TRUE(mongoc_collection_insert_one(collection, doc, nullptr, nullptr, &error))
        << error.message;
    bson_destroy(doc);
    mongoc_collection_destroy(collection);
}

TEST_F(FailPointTest, UnknownFailPointIsRejected) {
    auto result =
        admin_.run_command("admin", R"({"configureFailPoint": "noSuchFailPoint", "mode": "off"})");
    EXPECT_FALSE(result.ok);
}

TEST_F(FailPointTest, ConfigureFailPointOnlyRunsOnAdmin) {
    auto result =
        admin_.run_command(db_, R"({"configureFailPoint": "failCommand", "mode": "off"})");
    EXPECT_EQ(result.code, 13);
}

}  // namespace
