// The command line end to end: config file and flag precedence, JSON log lines, --help, the
// status command reading the destination's checkpoint, and a clean stop (SIGTERM) mid-copy.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "copy_servers_fixture.h"
#include "http_get.h"
#include "support/mongo_client.h"
#include "tributary_process.h"

namespace {

using tributary_test::eventually;
using tributary_test::free_port;
using tributary_test::http_get;
using tributary_test::TributaryProcess;

class CliTest : public tributary_test::CopyServersTest {
  protected:
    CliTest() : CopyServersTest("cli") {}
    void SetUp() override {
        std::string command = R"({"insert": "users", "documents": [)";
        for (int id = 0; id < 3000; ++id) {
            command += (id ? "," : "") + std::string(R"({"_id": )") + std::to_string(id) + "}";
        }
        ASSERT_TRUE(source_client_.run_command(db_, command + "]}").ok);
    }
    void TearDown() override {
        CopyServersTest::TearDown();
        if (!config_path_.empty()) std::filesystem::remove(config_path_);
    }

    std::string write_config(const std::string& text) {
        config_path_ = (std::filesystem::temp_directory_path() / (db_ + ".yaml")).string();
        std::ofstream(config_path_) << text;
        return config_path_;
    }

    std::string config_path_;
};

TEST_F(CliTest, ConfigFileSuppliesSettingsAndFlagsOverrideIt) {
    // The file's source is unreachable: only the flag's value lets the sync work.
    std::string config = write_config(
        "source: mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200\n"
        "destination: " +
        dest_.uri +
        "\n"
        "databases: [" +
        db_ +
        "]\n"
        "state_db: " +
        state_db_ +
        "\n"
        "log_format: json\n");
    TributaryProcess sync({"sync", "--config", config, "--source", source_.uri});
    ASSERT_TRUE(eventually([&] { return sync.output_contains("copied successfully."); }))
        << sync.output();
    EXPECT_EQ(sync.terminate(), 0) << sync.output();
    std::istringstream lines(sync.output());
    std::string line;
    int parsed = 0;
    while (std::getline(lines, line)) {
        if (line.find("testmongod") != std::string::npos) continue;
        auto object = nlohmann::json::parse(line);  // every line is one JSON object
        EXPECT_TRUE(object.contains("time") && object.contains("level"));
        ++parsed;
    }
    EXPECT_GE(parsed, 2);
}

TEST_F(CliTest, StatusShowsTheCheckpointKeptInTheDestination) {
    TributaryProcess sync({"sync", "--source", source_.uri, "--destination", dest_.uri, "--db", db_,
                           "--state-db", state_db_});
    ASSERT_TRUE(eventually([&] { return sync.output_contains("copied successfully."); }))
        << sync.output();
    EXPECT_EQ(sync.terminate(), 0) << sync.output();

    auto saved = dest_client_.run_command(state_db_, R"({"find": "checkpoints"})");
    ASSERT_TRUE(saved.ok) << saved.error;
    EXPECT_TRUE(saved.reply.boolean("cursor.firstBatch.0.copyComplete")) << saved.reply.json();

    std::string status;
    EXPECT_EQ(TributaryProcess::run({"status", "--destination", dest_.uri, "--state-db", state_db_},
                                    &status),
              0);
    EXPECT_NE(status.find("copy complete:  yes"), std::string::npos) << status;
    EXPECT_NE(status.find(db_ + ".users: complete, 1/1 ranges, 3000 documents"), std::string::npos)
        << status;
}

TEST_F(CliTest, RestartWithOtherArgumentsIsRefused) {
    std::string state_file = (std::filesystem::temp_directory_path() / (db_ + ".state")).string();
    TributaryProcess sync({"sync", "--source", source_.uri, "--destination", dest_.uri, "--db", db_,
                           "--state-file", state_file});
    ASSERT_TRUE(eventually([&] { return sync.output_contains("copied successfully."); }));
    EXPECT_EQ(sync.terminate(), 0);
    std::string output;
    EXPECT_EQ(
        TributaryProcess::run({"sync", "--source", source_.uri, "--destination", dest_.uri, "--db",
                               db_, "--state-file", state_file, "--exclude", db_ + ".users"},
                              &output),
        2);
    EXPECT_NE(output.find("belongs to a run with other arguments"), std::string::npos) << output;
    EXPECT_NE(output.find("--reset-state"), std::string::npos) << output;
    std::filesystem::remove(state_file);
}

TEST_F(CliTest, SigtermDuringCopyExitsZeroAndTheNextRunFinishes) {
    std::string state_file = (std::filesystem::temp_directory_path() / (db_ + ".state")).string();
    std::vector<std::string> args = {"sync",     "--source",     source_.uri, "--destination",
                                     dest_.uri,  "--db",         db_,         "--state-file",
                                     state_file, "--range-docs", "100",       "--copy-workers",
                                     "1",        "--batch-size", "10"};
    {
        TributaryProcess first(args);
        ASSERT_TRUE(
            eventually([&] { return first.output_contains("Copying collection 'users'"); }));
        EXPECT_EQ(first.terminate(), 0) << first.output();
        EXPECT_TRUE(first.output_contains("Stopped during the initial copy")) << first.output();
    }
    TributaryProcess second(args);
    ASSERT_TRUE(eventually([&] { return second.output_contains("copied successfully."); }))
        << second.output();
    EXPECT_EQ(second.terminate(), 0);
    auto count = dest_client_.run_command(db_, R"({"count": "users"})");
    EXPECT_EQ(count.reply.number("n"), 3000);
    std::filesystem::remove(state_file);
}

TEST_F(CliTest, MetricsEndpointCountsCopiedDocuments) {
    int port = free_port();
    TributaryProcess sync({"sync", "--source", source_.uri, "--destination", dest_.uri, "--db", db_,
                           "--state-db", state_db_, "--metrics-port", std::to_string(port)});
    ASSERT_TRUE(eventually([&] { return sync.output_contains("copied successfully."); }))
        << sync.output();
    std::string body;
    EXPECT_TRUE(eventually([&] {
        body = http_get(port, "/metrics");
        return body.find("tributary_documents_copied_total 3000") != std::string::npos;
    })) << body;
    EXPECT_EQ(sync.terminate(), 0) << sync.output();
}

TEST(Cli, HelpDocumentsFlagsEnvironmentAndExitCodes) {
    std::string help;
    EXPECT_EQ(TributaryProcess::run({"sync", "--help"}, &help), 0);
    for (const char* text :
         {"--source", "--destination", "--db", "--include", "--exclude", "--existing", "--config",
          "--log-level", "--log-format", "--state-db", "--state-file", "--on-history-lost",
          "--copy-workers", "--batch-size", "PRIMARY_MONGO_URI", "SECONDARY_MONGO_URI",
          "DATABASE_NAME", "LOGGING_LEVEL", "Exit codes"}) {
        EXPECT_NE(help.find(text), std::string::npos) << text;
    }
}

}  // namespace
