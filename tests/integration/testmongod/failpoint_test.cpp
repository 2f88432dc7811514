// Integration: the failCommand failpoint in mongod's shape — modes alwaysOn/off/times/skip and
// data errorCode, errorLabels, closeConnection, blockConnection, writeConcernError, appName,
// namespace — the RetryableWriteError and ResumableChangeStreamError labels the server attaches,
// and failGetMoreAfterCursorCheckout. Needs enableTestCommands on a real mongod.
#include <gtest/gtest.h>

#include <chrono>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using testsupport::Client;

class FailPointTest : public ::testing::Test {
  protected:
    void SetUp() override { SKIP_UNLESS_OWN_SERVERS("arms server-wide failpoints"); }
    void TearDown() override {
        admin_.run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
        admin_.run_command(
            "admin", R"({"configureFailPoint": "failGetMoreAfterCursorCheckout", "mode": "off"})");
        admin_.run_command(db_, R"({"dropDatabase": 1})");
    }

    void configure(const std::string& mode, const std::string& data) {
        auto result =
            admin_.run_command("admin", R"({"configureFailPoint": "failCommand", "mode": )" + mode +
                                            R"(, "data": )" + data + "}");
        ASSERT_TRUE(result.ok) << result.error;
    }

    // Opens a change stream on db_.c and returns its cursor id, as extended JSON.
    std::string open_change_stream() {
        auto opened = client_.run_command(
            db_, R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}], "cursor": {}})");
        EXPECT_TRUE(opened.ok) << opened.error;
        return R"({"$numberLong": ")" + std::to_string(opened.reply.number("cursor.id")) + R"("})";
    }
    testsupport::CommandResult get_more(const std::string& id) {
        return client_.run_command(db_, R"({"getMore": )" + id + R"(, "collection": "c"})");
    }
    static bool labelled_resumable(const testsupport::CommandResult& result) {
        return result.reply.json().find("ResumableChangeStreamError") != std::string::npos;
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

// mongod replies with the codeName error_codes.yml gives the failpoint's errorCode; the spec
// tests assert it (errorCodeName: "Interrupted").
TEST_F(FailPointTest, InjectedErrorCarriesTheCodeNameOfItsCode) {
    const std::pair<int, const char*> codes[] = {{6, "HostUnreachable"},
                                                 {7, "HostNotFound"},
                                                 {24, "LockTimeout"},
                                                 {64, "WriteConcernFailed"},
                                                 {89, "NetworkTimeout"},
                                                 {91, "ShutdownInProgress"},
                                                 {189, "PrimarySteppedDown"},
                                                 {262, "ExceededTimeLimit"},
                                                 {9001, "SocketException"},
                                                 {10107, "NotWritablePrimary"},
                                                 {11600, "InterruptedAtShutdown"},
                                                 {11601, "Interrupted"},
                                                 {11602, "InterruptedDueToReplStateChange"},
                                                 {13435, "NotPrimaryNoSecondaryOk"},
                                                 {13436, "NotPrimaryOrSecondary"}};
    for (const auto& [code, name] : codes) {
        configure(R"({"times": 1})",
                  R"({"failCommands": ["count"], "errorCode": )" + std::to_string(code) + "}");
        auto result = ping_db(client_);
        EXPECT_EQ(result.code, code);
        EXPECT_EQ(result.reply.string("codeName"), name) << result.reply.json();
    }
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

// mongod attaches its topologyVersion to NotPrimary errors only, command and write concern errors
// alike (jstests/replsets/notprimary_errors_return_topology_version.js).
TEST_F(FailPointTest, NotPrimaryErrorsCarryTheTopologyVersion) {
    auto hello = client_.run_command("admin", R"({"hello": 1})");
    ASSERT_TRUE(hello.ok) << hello.error;
    for (int code : {10107, 13435, 189}) {
        configure(R"({"times": 1})",
                  R"({"failCommands": ["insert"], "errorCode": )" + std::to_string(code) + "}");
        auto failed = client_.run_command(db_, R"({"insert": "c", "documents": [{}]})");
        EXPECT_EQ(failed.code, code);
        ASSERT_TRUE(failed.reply.has("topologyVersion")) << failed.reply.json();
        EXPECT_EQ(failed.reply.document("topologyVersion").json(),
                  hello.reply.document("topologyVersion").json());
        configure(R"({"times": 1})",
                  R"({"failCommands": ["insert"], "writeConcernError": {"code": )" +
                      std::to_string(code) + R"(, "errmsg": "not primary"}})");
        auto concern = client_.run_command(db_, R"({"insert": "c", "documents": [{}]})");
        EXPECT_TRUE(concern.reply.has("topologyVersion")) << concern.reply.json();
    }
    for (int code : {91, 1}) {  // ShutdownInProgress, InternalError
        configure(R"({"times": 1})",
                  R"({"failCommands": ["insert"], "errorCode": )" + std::to_string(code) + "}");
        auto failed = client_.run_command(db_, R"({"insert": "c", "documents": [{}]})");
        EXPECT_EQ(failed.code, code);
        EXPECT_FALSE(failed.reply.has("topologyVersion")) << failed.reply.json();
    }
}

TEST_F(FailPointTest, AppNameLimitsTheFailpointToThatApplication) {
    Client named(server_.uri + "&appName=failpointVictim");
    configure(R"("alwaysOn")",
              R"({"failCommands": ["count"], "errorCode": 8, "appName": "failpointVictim"})");
    EXPECT_EQ(ping_db(named).code, 8);
    EXPECT_TRUE(ping_db(client_).ok);
}

// mongod (commands.cpp, shouldActivateFailCommandFailPoint) compares `namespace` with the
// command's namespace: a getMore's is its cursor's, `db.$cmd.aggregate` for a database's change
// stream.
TEST_F(FailPointTest, NamespaceLimitsTheFailpointToThatNamespace) {
    configure(R"("alwaysOn")",
              R"({"failCommands": ["count"], "errorCode": 8, "namespace": ")" + db_ + R"(.c"})");
    EXPECT_EQ(ping_db(client_).code, 8);
    EXPECT_TRUE(client_.run_command(db_, R"({"count": "other"})").ok);
    const std::string stream = open_change_stream();
    auto database_stream = client_.run_command(
        db_, R"({"aggregate": 1, "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    ASSERT_TRUE(database_stream.ok) << database_stream.error;
    const std::string database_cursor = R"({"$numberLong": ")" +
                                        std::to_string(database_stream.reply.number("cursor.id")) +
                                        R"("})";
    configure(R"("alwaysOn")", R"({"failCommands": ["getMore"], "errorCode": 286, "namespace": ")" +
                                   db_ + R"(.$cmd.aggregate"})");
    EXPECT_TRUE(get_more(stream).ok);
    EXPECT_EQ(client_
                  .run_command(db_, R"({"getMore": )" + database_cursor +
                                        R"(, "collection": "$cmd.aggregate", "maxTimeMS": 10})")
                  .code,
              286);
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

// mongod labels a change stream's getMore error ResumableChangeStreamError from the cursor's
// originating command, which failCommand's errors (raised before the cursor is checked out) never
// see; the change streams spec tests use failGetMoreAfterCursorCheckout for that reason.
TEST_F(FailPointTest, FailCommandOnAChangeStreamGetMoreCarriesNoResumableLabel) {
    ASSERT_TRUE(client_.run_command(db_, R"({"create": "c"})").ok);
    std::string id = open_change_stream();
    configure(R"({"times": 1})", R"({"failCommands": ["getMore"], "errorCode": 6})");
    auto result = get_more(id);
    EXPECT_EQ(result.code, 6);
    EXPECT_FALSE(labelled_resumable(result)) << result.reply.json();
    configure(R"({"times": 1})", R"({"failCommands": ["aggregate"], "errorCode": 6})");
    auto aggregate = client_.run_command(
        db_, R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    EXPECT_EQ(aggregate.code, 6);
    EXPECT_TRUE(labelled_resumable(aggregate)) << aggregate.reply.json();
}

TEST_F(FailPointTest, FailGetMoreAfterCursorCheckoutFailsWithTheResumableLabel) {
    ASSERT_TRUE(client_.run_command(db_, R"({"create": "c"})").ok);
    std::string id = open_change_stream();
    auto armed =
        admin_.run_command("admin", R"({"configureFailPoint": "failGetMoreAfterCursorCheckout",
                                                 "mode": {"times": 1}, "data": {"errorCode": 6}})");
    ASSERT_TRUE(armed.ok) << armed.error;
    auto result = get_more(id);
    EXPECT_EQ(result.code, 6);
    EXPECT_NE(result.error.find("failGetMoreAfterCursorCheckout"), std::string::npos)
        << result.error;
    EXPECT_TRUE(labelled_resumable(result)) << result.reply.json();
    EXPECT_EQ(get_more(id).code, 43);  // a getMore that fails frees its cursor
}

}  // namespace
