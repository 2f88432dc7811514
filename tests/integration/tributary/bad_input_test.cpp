// Every user-caused failure ends with one line that says what is wrong and what to do, the
// documented exit code, no stack trace and no password.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "support/mongo_client.h"
#include "support/server_process.h"
#include "tributary_process.h"

namespace {

using tributary_test::TributaryProcess;

struct Outcome {
    int code;
    std::string output;
};

Outcome run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    Outcome outcome;
    outcome.code = TributaryProcess::run(std::move(args), &outcome.output, std::move(env));
    return outcome;
}

void expect_one_line(const Outcome& outcome, int code, const std::string& fragment) {
    EXPECT_EQ(outcome.code, code) << outcome.output;
    EXPECT_NE(outcome.output.find(fragment), std::string::npos) << outcome.output;
    EXPECT_EQ(std::count(outcome.output.begin(), outcome.output.end(), '\n'), 1) << outcome.output;
    EXPECT_EQ(outcome.output.find("s3cret"), std::string::npos) << outcome.output;
}

class BadInputTest : public testing::Test {
  protected:
    testsupport::TestServer source_ =
        testsupport::source_uri_or_start({"--version-profile", "4.4"});
    testsupport::TestServer dest_ = testsupport::dest_uri_or_start({"--version-profile", "7.0"});
};

TEST_F(BadInputTest, MissingSourceNamesTheFlagAndVariable) {
    expect_one_line(run({"sync", "--destination", dest_.uri}), 2,
                    "no source given: pass --source URI or set PRIMARY_MONGO_URI");
}

TEST_F(BadInputTest, InvalidUriIsAUsageError) {
    expect_one_line(run({"sync", "--source", "mongodb://alice:s3cret@host:notaport",
                         "--destination", dest_.uri}),
                    2, "the source URI is not valid");
}

TEST_F(BadInputTest, UnreachableHostExitsWithConnectCode) {
    expect_one_line(run({"sync", "--source", source_.uri, "--destination",
                         "mongodb://bob:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=300"}),
                    3, "cannot connect to the destination (mongodb://bob:***@127.0.0.1:1");
}

// A listening socket on 127.0.0.1 (an ephemeral port), closed when the test ends.
class BusyPort {
  public:
    BusyPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0 && listen(fd_, 1) == 0 &&
            getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
            port_ = ntohs(address.sin_port);
        }
    }
    ~BusyPort() { close(fd_); }
    int port() const { return port_; }

  private:
    int fd_;
    int port_ = 0;
};

TEST_F(BadInputTest, BusyMetricsPortIsAUsageError) {
    BusyPort busy;
    ASSERT_NE(busy.port(), 0);
    const std::string port = std::to_string(busy.port());
    expect_one_line(run({"sync", "--source", source_.uri, "--destination", dest_.uri, "--db", "x",
                         "--metrics-port", port}),
                    2, "--metrics-port " + port + ": cannot listen on 127.0.0.1:" + port);
}

TEST_F(BadInputTest, UnknownFlagIsAUsageError) {
    Outcome outcome = run({"sync", "--sauce", "x"});
    EXPECT_EQ(outcome.code, 2) << outcome.output;
    EXPECT_NE(outcome.output.find("--sauce"), std::string::npos) << outcome.output;
}

TEST_F(BadInputTest, BadFlagValueNamesTheAcceptedValues) {
    expect_one_line(
        run({"sync", "--source", source_.uri, "--destination", dest_.uri, "--existing", "merge"}),
        2, "--existing must be one of skip|drop|fail, not 'merge'");
}

TEST_F(BadInputTest, BadLoggingLevelFromTheEnvironment) {
    expect_one_line(run({"sync"}, {"LOGGING_LEVEL=LOUD"}), 2,
                    "log level 'LOUD' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL");
}

TEST_F(BadInputTest, MissingDatabaseIsNamed) {
    std::string db = testsupport::unique_name("absent");
    expect_one_line(run({"sync", "--source", source_.uri, "--destination", dest_.uri, "--db", db}),
                    2, "database '" + db + "' does not exist on the source");
}

// docs/replication.md: a time-series collection (testmongod has them from its 6.0/7.0 profiles,
// docs/testmongod.md) is refused before anything is copied, naming it and --exclude.
TEST(TimeSeriesSourceTest, ATimeSeriesCollectionIsRefusedNamingItAndExclude) {
    testsupport::TestServer source = testsupport::source_uri_or_start({"--version-profile", "7.0"});
    testsupport::TestServer dest = testsupport::dest_uri_or_start({"--version-profile", "7.0"});
    std::string db = testsupport::unique_name("ts");
    testsupport::Client client(source.uri);
    ASSERT_TRUE(
        client.run_command(db, R"({"create": "weather", "timeseries": {"timeField": "t"}})").ok);
    ASSERT_TRUE(client.run_command(db, R"({"insert": "orders", "documents": [{"_id": 1}]})").ok);
    expect_one_line(run({"sync", "--source", source.uri, "--destination", dest.uri, "--db", db}), 2,
                    "collection '" + db + ".weather' is a time-series collection");
    testsupport::Client destination(dest.uri);
    auto listed = destination.run_command(
        "admin", R"({"listDatabases": 1, "nameOnly": true, "filter": {"name": ")" + db + R"("}})");
    ASSERT_TRUE(listed.ok) << listed.error;
    EXPECT_FALSE(listed.reply.has("databases.0"))
        << "copied before refusing: " << listed.reply.json();
    destination.run_command(db, R"({"dropDatabase": 1})");
    client.run_command(db, R"({"dropDatabase": 1})");
}

TEST_F(BadInputTest, ConflictingStateOptions) {
    expect_one_line(run({"sync", "--source", source_.uri, "--destination", dest_.uri, "--state-db",
                         "x", "--state-file", "/tmp/y"}),
                    2, "--state-db and --state-file are mutually exclusive");
}

TEST_F(BadInputTest, SameDeploymentIsRefused) {
    expect_one_line(run({"sync", "--source", source_.uri, "--destination", source_.uri}), 2,
                    "source and destination are the same deployment");
}

TEST_F(BadInputTest, MissingConfigFile) {
    expect_one_line(run({"sync", "--config", "/nonexistent/tributary.yaml"}), 2,
                    "config file '/nonexistent/tributary.yaml' does not exist");
}

TEST_F(BadInputTest, EnvironmentSuppliesTheUris) {
    // The original script's variables alone are enough to reach the database check.
    std::string db = testsupport::unique_name("absent");
    expect_one_line(run({"sync"}, {"PRIMARY_MONGO_URI=" + source_.uri,
                                   "SECONDARY_MONGO_URI=" + dest_.uri, "DATABASE_NAME=" + db}),
                    2, "database '" + db + "' does not exist on the source");
}

}  // namespace
