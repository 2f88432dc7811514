// No secret shown: a sync with a password in both URIs, given in the config file and on the
// command line, writes neither password to its text or JSON log (DEBUG), /metrics, the
// checkpoint (file or destination database), `status` or `verify`; nor do the error messages of
// runs that fail with those URIs. Needs --auth servers it starts itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "http_get.h"
#include "support/mongo_client.h"
#include "support/server_process.h"
#include "support/test_certificates.h"
#include "tributary_process.h"

namespace {

using testsupport::ServerProcess;
using tributary_test::eventually;
using tributary_test::TributaryProcess;

constexpr const char* kSourcePassword = "S0urce-s3cret-pw";
constexpr const char* kDestPassword = "D3st-s3cret-pw";

class SecretsTest : public testing::Test {
  protected:
    void SetUp() override {
        SKIP_UNLESS_OWN_SERVERS("starts --auth servers with known passwords");
        source_.emplace(
            ServerProcess::start({"--auth", "--user", std::string("admin:") + kSourcePassword}));
        dest_.emplace(
            ServerProcess::start({"--auth", "--user", std::string("admin:") + kDestPassword}));
        testsupport::Client source(source_uri());
        ASSERT_TRUE(
            source.run_command(db_, R"({"insert": "items", "documents": [{"_id": 1}]})").ok);
    }

    static std::string uri(const ServerProcess& server, const std::string& password) {
        return "mongodb://admin:" + password + "@127.0.0.1:" + std::to_string(server.port()) +
               "/?replicaSet=rs0";
    }
    std::string source_uri() const { return uri(*source_, kSourcePassword); }
    std::string dest_uri() const { return uri(*dest_, kDestPassword); }

    std::string write_file(const std::string& name, const std::string& text) {
        std::string path = directory_.path() + "/" + name;
        std::ofstream(path) << text;
        return path;
    }

    // Fails the test, naming `what`, when `text` holds either password.
    static void expect_no_password(const std::string& what, const std::string& text) {
        for (const char* password : {kSourcePassword, kDestPassword}) {
            EXPECT_EQ(text.find(password), std::string::npos) << what << ":\n" << text;
        }
    }

    // Runs `args` to the end; expects no password in its output and returns the exit code.
    int run_without_password(const std::string& what, std::vector<std::string> args) {
        std::string output;
        int code = TributaryProcess::run(std::move(args), &output);
        expect_no_password(what, output);
        return code;
    }

    // Waits for a live insert to reach the destination (replication is running).
    void expect_live_change_replicated() {
        testsupport::Client source(source_uri());
        testsupport::Client dest(dest_uri());
        ASSERT_TRUE(
            source.run_command(db_, R"({"insert": "items", "documents": [{"_id": 2}]})").ok);
        EXPECT_TRUE(eventually([&] {
            auto count = dest.run_command(db_, R"({"count": "items"})");
            return count.ok && count.reply.number("n") == 2;
        }));
    }

    testsupport::TemporaryDirectory directory_;
    std::optional<ServerProcess> source_, dest_;
    std::string db_ = testsupport::unique_name("secrets");
};

TEST_F(SecretsTest, ConfigFileSyncWithJsonLogShowsNoPassword) {
    int port = tributary_test::free_port();
    std::string state_file = directory_.path() + "/state.json";
    std::string config = write_file(
        "tributary.yaml",
        "source: " + source_uri() + "\ndestination: " + dest_uri() + "\ndatabases: [" + db_ +
            "]\nstate_file: " + state_file +
            "\nlog_format: json\nlog_level: DEBUG\nmetrics_port: " + std::to_string(port) + "\n");
    TributaryProcess sync({"sync", "--config", config});
    ASSERT_TRUE(eventually([&] { return sync.output_contains("copied successfully"); }))
        << sync.output();
    expect_live_change_replicated();
    std::string metrics;
    ASSERT_TRUE(eventually([&] {
        metrics = tributary_test::http_get(port, "/metrics");
        return metrics.find("tributary_documents_copied_total") != std::string::npos;
    })) << metrics;
    expect_no_password("/metrics", metrics);
    EXPECT_EQ(sync.terminate(), 0) << sync.output();
    expect_no_password("JSON log", sync.output());

    std::stringstream checkpoint;
    checkpoint << std::ifstream(state_file).rdbuf();
    EXPECT_FALSE(checkpoint.str().empty());
    expect_no_password("checkpoint file", checkpoint.str());
    EXPECT_EQ(run_without_password("status", {"status", "--state-file", state_file}), 0);
    EXPECT_EQ(run_without_password("verify", {"verify", "--config", config}), 0);
}

TEST_F(SecretsTest, FlagSyncWithTextLogAndDestinationCheckpointShowsNoPassword) {
    std::string state_db = db_ + "_state";
    TributaryProcess sync({"sync", "--source", source_uri(), "--destination", dest_uri(), "--db",
                           db_, "--state-db", state_db, "--log-level", "DEBUG"});
    ASSERT_TRUE(eventually([&] { return sync.output_contains("copied successfully"); }))
        << sync.output();
    expect_live_change_replicated();
    EXPECT_EQ(sync.terminate(), 0) << sync.output();
    expect_no_password("text log", sync.output());

    testsupport::Client dest(dest_uri());
    auto checkpoint = dest.run_command(state_db, R"({"find": "checkpoints"})");
    ASSERT_TRUE(checkpoint.ok) << checkpoint.error;
    EXPECT_NE(checkpoint.reply.json().find("firstBatch\" : [ {"), std::string::npos)
        << checkpoint.reply.json();
    expect_no_password("destination checkpoint", checkpoint.reply.json());
    EXPECT_EQ(run_without_password("status",
                                   {"status", "--destination", dest_uri(), "--state-db", state_db}),
              0);
}

TEST_F(SecretsTest, FailingRunsShowNoPassword) {
    std::string unreachable = "mongodb://admin:" + std::string(kSourcePassword) +
                              "@127.0.0.1:1/?serverSelectionTimeoutMS=300";
    std::string bad_option = source_uri() + "&authMechanism=NO-SUCH-MECHANISM";
    // An unencoded '/' or '?' in a password makes the URI invalid (RFC 3986 requires them
    // percent-encoded): the message must not echo the text after it either.
    std::string slash = "mongodb://admin:x/" + std::string(kSourcePassword) + "@127.0.0.1:1/";
    std::string question = "mongodb://admin:x?" + std::string(kSourcePassword) + "@127.0.0.1:1/";
    for (const auto& [what, source] :
         std::vector<std::pair<std::string, std::string>>{{"unreachable", unreachable},
                                                          {"bad option", bad_option},
                                                          {"slash", slash},
                                                          {"question mark", question}}) {
        int code = run_without_password(
            what, {"sync", "--source", source, "--destination", dest_uri(), "--db", db_});
        EXPECT_TRUE(code == 2 || code == 3) << what << ": " << code;
    }
    std::string config =
        write_file("bad.yaml", "source: " + source_uri() + "\ndestination: " + dest_uri() +
                                   "\nunknown_key: 1\n");
    EXPECT_EQ(run_without_password("bad config", {"sync", "--config", config}), 2);
    EXPECT_EQ(
        run_without_password("same deployment", {"sync", "--source", source_uri(), "--destination",
                                                 uri(*source_, kSourcePassword)}),
        2);
}

}  // namespace
