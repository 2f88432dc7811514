// tributary over TLS on both connections, against testmongod --tls-mode requireTLS with
// certificates made at test time: a sync with the URIs' TLS options ends with the destination
// equal (independent comparator); a wrong CA, an expired server certificate and a certificate
// for another host name each fail before any work with exit 3 and one line naming the TLS
// problem, and the latter syncs with tlsAllowInvalidHostnames=true. Needs servers it starts with
// TLS flags, so it skips when external URIs are set.
#include <gtest/gtest.h>

#include <algorithm>

#include "comparator_check.h"
#include "support/mongo_client.h"
#include "support/server_process.h"
#include "support/test_certificates.h"
#include "tributary_process.h"

namespace {

using testsupport::ServerProcess;
using tributary_test::eventually;
using tributary_test::TributaryProcess;

class TlsSyncTest : public testing::Test {
  protected:
    void SetUp() override { SKIP_UNLESS_OWN_SERVERS("starts testmongod with TLS flags"); }

    static ServerProcess start_tls_server(const std::string& pem) {
        return ServerProcess::start({"--tls-mode", "requireTLS", "--tls-cert", pem});
    }

    // The server's URI with the TLS options a client verifying it against `ca_file` uses.
    static std::string tls_uri(const ServerProcess& server, const std::string& ca_file) {
        return server.uri() + "&tls=true&tlsCAFile=" + ca_file + "&serverSelectionTimeoutMS=3000";
    }

    std::vector<std::string> sync_args(const std::string& source, const std::string& dest) const {
        return {"sync", "--source", source,       "--destination", dest,
                "--db", db_,        "--state-db", db_ + "_state"};
    }

    // A sync from a TLS source with `source_pem` to a TLS destination that the client verifies
    // against `client_ca`: expects exit 3 and one line; returns it.
    std::string failing_sync(const std::string& source_pem, const std::string& client_ca) {
        ServerProcess source = start_tls_server(source_pem);
        ServerProcess dest = start_tls_server(ca_.issue_for_loopback("dest"));
        std::string output;
        int code = TributaryProcess::run(
            sync_args(tls_uri(source, client_ca), tls_uri(dest, ca_.ca_file())), &output);
        EXPECT_EQ(code, 3) << output;
        EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
        EXPECT_NE(output.find("cannot connect to the source"), std::string::npos) << output;
        return output;
    }

    testsupport::TemporaryDirectory directory_;
    testsupport::TestCertificateAuthority ca_{directory_.path(), "sync"};
    std::string db_ = testsupport::unique_name("tls");
};

TEST_F(TlsSyncTest, SyncOverTlsOnBothSidesEndsEqual) {
    ServerProcess source = start_tls_server(ca_.issue_for_loopback("source"));
    ServerProcess dest = start_tls_server(ca_.issue_for_loopback("dest"));
    std::string source_uri = tls_uri(source, ca_.ca_file());
    std::string dest_uri = tls_uri(dest, ca_.ca_file());
    testsupport::Client source_client(source_uri);
    testsupport::Client dest_client(dest_uri);
    ASSERT_TRUE(source_client
                    .run_command(db_, R"({"insert": "items", "documents": [
                        {"_id": 1, "v": "a"}, {"_id": 2, "v": "b"}]})")
                    .ok);

    TributaryProcess sync(sync_args(source_uri, dest_uri));
    ASSERT_TRUE(eventually([&] { return sync.output_contains("copied successfully."); }))
        << sync.output();
    ASSERT_TRUE(source_client
                    .run_command(db_, R"({"update": "items", "updates": [
                        {"q": {"_id": 2}, "u": {"$set": {"v": "live"}}}]})")
                    .ok);
    ASSERT_TRUE(
        source_client.run_command(db_, R"({"insert": "items", "documents": [{"_id": 3}]})").ok);
    std::string report;
    EXPECT_TRUE(eventually([&] {
        return tributary_test::databases_equal(source_client, dest_client, db_, &report);
    })) << report;
    EXPECT_EQ(sync.terminate(), 0) << sync.output();
}

TEST_F(TlsSyncTest, WrongCaExitsThree) {
    testsupport::TestCertificateAuthority other(directory_.path(), "other");
    std::string output = failing_sync(ca_.issue_for_loopback("source"), other.ca_file());
    EXPECT_NE(output.find("unable to get local issuer certificate"), std::string::npos) << output;
    EXPECT_NE(output.find("check that tlsCAFile holds the CA"), std::string::npos) << output;
}

TEST_F(TlsSyncTest, ExpiredServerCertificateExitsThree) {
    std::string expired =
        ca_.issue("expired", {"localhost", {"localhost"}, {"127.0.0.1"}, /*expired=*/true});
    std::string output = failing_sync(expired, ca_.ca_file());
    EXPECT_NE(output.find("certificate has expired"), std::string::npos) << output;
}

// tlsAllowInvalidHostnames=true (URI options spec) keeps the chain check and skips only the
// host-name check: the same certificate for another host syncs.
TEST_F(TlsSyncTest, AllowInvalidHostnamesSyncsDespiteHostNameMismatch) {
    ServerProcess source =
        start_tls_server(ca_.issue("elsewhere", {"db.example.net", {"db.example.net"}, {}}));
    ServerProcess dest = start_tls_server(ca_.issue_for_loopback("dest"));
    std::string source_uri = tls_uri(source, ca_.ca_file()) + "&tlsAllowInvalidHostnames=true";
    std::string dest_uri = tls_uri(dest, ca_.ca_file());
    testsupport::Client source_client(source_uri);
    testsupport::Client dest_client(dest_uri);
    ASSERT_TRUE(
        source_client.run_command(db_, R"({"insert": "items", "documents": [{"_id": 1}]})").ok);

    TributaryProcess sync(sync_args(source_uri, dest_uri));
    ASSERT_TRUE(eventually([&] { return sync.output_contains("copied successfully."); }))
        << sync.output();
    std::string report;
    EXPECT_TRUE(eventually([&] {
        return tributary_test::databases_equal(source_client, dest_client, db_, &report);
    })) << report;
    EXPECT_EQ(sync.terminate(), 0) << sync.output();
}

TEST_F(TlsSyncTest, HostNameMismatchExitsThree) {
    std::string elsewhere = ca_.issue("elsewhere", {"db.example.net", {"db.example.net"}, {}});
    std::string output = failing_sync(elsewhere, ca_.ca_file());
    EXPECT_NE(output.find("IP address mismatch"), std::string::npos) << output;
    EXPECT_NE(output.find("tlsAllowInvalidHostnames=true skips"), std::string::npos) << output;
}

}  // namespace
