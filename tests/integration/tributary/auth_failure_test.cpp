// tributary against a source with access control (testmongod --auth): wrong credentials end the
// run with exit code 3 and one line that names the problem and never the password; the right
// ones sync. Needs its own --auth source, so it skips when TRIBUTARY_TEST_SOURCE_URI is set.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "support/mongo_client.h"
#include "support/server_process.h"
#include "tributary_process.h"

namespace {

using tributary_test::eventually;
using tributary_test::TributaryProcess;

constexpr const char* kPassword = "Pa55w0rd-xyz";
constexpr const char* kWrongPassword = "Wr0ng-pa55-abc";

class AuthFailureTest : public testing::Test {
  protected:
    void SetUp() override {
        const char* external = std::getenv("TRIBUTARY_TEST_SOURCE_URI");
        if (external != nullptr && *external != '\0') {
            GTEST_SKIP() << "needs its own testmongod --auth source; TRIBUTARY_TEST_SOURCE_URI "
                            "is set";
        }
        source_.emplace(testsupport::ServerProcess::start(
            {"--auth", "--user", std::string("admin:") + kPassword}));
        dest_.emplace(testsupport::dest_uri_or_start());
    }
    void TearDown() override {
        if (!dest_) return;
        testsupport::Client dest(dest_->uri);
        dest.run_command(db_, R"({"dropDatabase": 1})");
        dest.run_command(state_db_, R"({"dropDatabase": 1})");
    }

    std::string source_uri(const std::string& user, const std::string& password) const {
        return "mongodb://" + user + ":" + password +
               "@127.0.0.1:" + std::to_string(source_->port()) + "/?replicaSet=rs0";
    }

    std::vector<std::string> sync_args(const std::string& source) const {
        return {"sync", "--source", source,       "--destination", dest_->uri,
                "--db", db_,        "--state-db", state_db_};
    }

    std::optional<testsupport::ServerProcess> source_;
    std::optional<testsupport::TestServer> dest_;
    std::string db_ = testsupport::unique_name("auth");
    std::string state_db_ = testsupport::unique_name("state");
};

void expect_one_line_without_passwords(int code, const std::string& output) {
    EXPECT_EQ(code, 3) << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
    EXPECT_EQ(output.find(kWrongPassword), std::string::npos) << output;
    EXPECT_EQ(output.find(kPassword), std::string::npos) << output;
}

TEST_F(AuthFailureTest, WrongPasswordExitsThreeWithOneLineNamingTheProblem) {
    std::string output;
    int code = TributaryProcess::run(sync_args(source_uri("admin", kWrongPassword)), &output);
    expect_one_line_without_passwords(code, output);
    EXPECT_NE(output.find("authentication to the source failed for user 'admin'"),
              std::string::npos)
        << output;
    EXPECT_NE(output.find("check the user name, password and authSource"), std::string::npos)
        << output;
}

TEST_F(AuthFailureTest, UnknownUserExitsThree) {
    std::string output;
    int code = TributaryProcess::run(sync_args(source_uri("nobody", kWrongPassword)), &output);
    expect_one_line_without_passwords(code, output);
    EXPECT_NE(output.find("for user 'nobody'"), std::string::npos) << output;
}

TEST_F(AuthFailureTest, MissingCredentialsExitThree) {
    std::string output;
    std::string source =
        "mongodb://127.0.0.1:" + std::to_string(source_->port()) + "/?replicaSet=rs0";
    int code = TributaryProcess::run(sync_args(source), &output);
    expect_one_line_without_passwords(code, output);
    EXPECT_NE(output.find(") requires authentication: put a user and password in --source"),
              std::string::npos)
        << output;
}

TEST_F(AuthFailureTest, RightPasswordSyncs) {
    testsupport::Client source(source_uri("admin", kPassword));
    ASSERT_TRUE(
        source.run_command(db_, R"({"insert": "items", "documents": [{"_id": 1}, {"_id": 2}]})")
            .ok);
    TributaryProcess sync(sync_args(source_uri("admin", kPassword)));
    ASSERT_TRUE(eventually([&] { return sync.output_contains("copied successfully."); }))
        << sync.output();
    EXPECT_EQ(sync.terminate(), 0) << sync.output();
    EXPECT_EQ(sync.output().find(kPassword), std::string::npos) << sync.output();

    testsupport::Client dest(dest_->uri);
    auto count = dest.run_command(db_, R"({"count": "items"})");
    ASSERT_TRUE(count.ok) << count.error;
    EXPECT_EQ(count.reply.number("n"), 2);
}

}  // namespace
