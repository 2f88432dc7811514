// A destination user that may only read (testmongod --auth, role readAnyDatabase): sync stops
// before writing anything with exit 5 and one line naming the missing privilege and the user,
// never the password. Needs its own --auth destination, so it skips with external URIs.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/mongo_client.h"
#include "support/server_process.h"
#include "tributary_process.h"

namespace {

using testsupport::ServerProcess;
using tributary_test::TributaryProcess;

constexpr const char* kReaderPassword = "R3ader-pw-only";

TEST(ReadOnlyDestinationTest, SyncExitsFiveNamingTheMissingPrivilegeBeforeWriting) {
    SKIP_UNLESS_OWN_SERVERS("starts an --auth destination with a read-only user");
    ServerProcess source = ServerProcess::start();
    ServerProcess dest = ServerProcess::start({"--auth", "--user", "admin:admin-pw"});
    std::string db = testsupport::unique_name("readonly");
    testsupport::Client source_client(source.uri());
    ASSERT_TRUE(
        source_client.run_command(db, R"({"insert": "items", "documents": [{"_id": 1}]})").ok);
    std::string port = std::to_string(dest.port());
    testsupport::Client admin("mongodb://admin:admin-pw@127.0.0.1:" + port + "/?replicaSet=rs0");
    ASSERT_TRUE(admin
                    .run_command("admin", std::string(R"({"createUser": "reader", "pwd": ")") +
                                              kReaderPassword +
                                              R"(", "roles": ["readAnyDatabase"]})")
                    .ok);

    std::string dest_uri = "mongodb://reader:" + std::string(kReaderPassword) +
                           "@127.0.0.1:" + port + "/?replicaSet=rs0";
    std::string output;
    int code = TributaryProcess::run(
        {"sync", "--source", source.uri(), "--destination", dest_uri, "--db", db}, &output);
    EXPECT_EQ(code, 5) << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
    EXPECT_NE(output.find("the destination user 'reader' is not allowed to write"),
              std::string::npos)
        << output;
    EXPECT_NE(output.find("readWrite"), std::string::npos) << output;
    EXPECT_EQ(output.find(kReaderPassword), std::string::npos) << output;

    auto databases = admin.run_command("admin", R"({"listDatabases": 1, "nameOnly": true})");
    ASSERT_TRUE(databases.ok) << databases.error;
    EXPECT_EQ(databases.reply.json().find(db), std::string::npos) << databases.reply.json();
}

}  // namespace
