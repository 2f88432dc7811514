// testmongod over TLS (--tls-mode, --tls-cert, --tls-ca), against clients that verify its
// certificate: requireTLS accepts TLS and closes plain connections, allowTLS takes both, a CA
// makes client certificates required (or, with --tls-allow-connections-without-certificates,
// verified when presented), and inconsistent flags exit 2. Certificates are made at test time.
#include <gtest/gtest.h>

#include "support/child_process.h"
#include "support/mongo_client.h"
#include "support/server_process.h"
#include "support/test_certificates.h"

namespace {

using testsupport::ServerProcess;

class TlsTest : public testing::Test {
  protected:
    void SetUp() override { SKIP_UNLESS_OWN_SERVERS("starts testmongod with TLS flags"); }

    ServerProcess start(const std::string& mode, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--tls-mode", mode, "--tls-cert", server_pem_};
        args.insert(args.end(), extra.begin(), extra.end());
        return ServerProcess::start(args);
    }

    // hello over a direct connection; `options` are URI options such as "tls=true".
    static testsupport::CommandResult hello(const ServerProcess& server,
                                            const std::string& options) {
        testsupport::Client client("mongodb://localhost:" + std::to_string(server.port()) +
                                   "/?serverSelectionTimeoutMS=3000&" + options);
        return client.run_command("admin", R"({"hello": 1})");
    }

    std::string tls_options() const { return "tls=true&tlsCAFile=" + ca_.ca_file(); }

    testsupport::TemporaryDirectory directory_;
    testsupport::TestCertificateAuthority ca_{directory_.path(), "tmd"};
    std::string server_pem_ = ca_.issue_for_loopback("server");
};

TEST_F(TlsTest, RequireTlsServesVerifiedTlsClients) {
    ServerProcess server = start("requireTLS");
    auto reply = hello(server, tls_options());
    ASSERT_TRUE(reply.ok) << reply.error;
    EXPECT_TRUE(reply.reply.boolean("isWritablePrimary"));
}

TEST_F(TlsTest, RequireTlsClosesPlainConnections) {
    ServerProcess server = start("requireTLS");
    EXPECT_FALSE(hello(server, "").ok);
}

TEST_F(TlsTest, AllowTlsServesTlsAndPlainClients) {
    for (const char* mode : {"allowTLS", "preferTLS"}) {
        ServerProcess server = start(mode);
        auto over_tls = hello(server, tls_options());
        EXPECT_TRUE(over_tls.ok) << mode << ": " << over_tls.error;
        auto plain = hello(server, "");
        EXPECT_TRUE(plain.ok) << mode << ": " << plain.error;
    }
}

TEST_F(TlsTest, CaFileRequiresAClientCertificateItSigned) {
    ServerProcess server = start("requireTLS", {"--tls-ca", ca_.ca_file()});
    EXPECT_FALSE(hello(server, tls_options()).ok);
    std::string client_pem = ca_.issue("client", {"client", {}, {}, false});
    auto reply = hello(server, tls_options() + "&tlsCertificateKeyFile=" + client_pem);
    EXPECT_TRUE(reply.ok) << reply.error;
}

TEST_F(TlsTest, CaFileWithoutRequiredCertificatesStillRejectsForeignOnes) {
    ServerProcess server = start(
        "requireTLS", {"--tls-ca", ca_.ca_file(), "--tls-allow-connections-without-certificates"});
    auto without = hello(server, tls_options());
    EXPECT_TRUE(without.ok) << without.error;
    testsupport::TestCertificateAuthority other(directory_.path(), "other");
    std::string foreign_pem = other.issue("foreign", {"client", {}, {}, false});
    EXPECT_FALSE(hello(server, tls_options() + "&tlsCertificateKeyFile=" + foreign_pem).ok);
}

TEST_F(TlsTest, InconsistentTlsFlagsExitTwo) {
    const std::vector<std::vector<std::string>> bad{
        {"--tls-mode", "requireTLS"},
        {"--tls-cert", server_pem_},
        {"--tls-mode", "sometimes", "--tls-cert", server_pem_},
    };
    for (const auto& args : bad) {
        testsupport::ChildProcess process(TESTMONGOD_PATH, args);
        EXPECT_EQ(process.wait(std::chrono::seconds(30)), 2) << process.output();
    }
}

TEST_F(TlsTest, UnreadableCertificateFailsAtStartUp) {
    testsupport::ChildProcess process(TESTMONGOD_PATH, {"--port", "0", "--tls-mode", "requireTLS",
                                                        "--tls-cert", directory_.path() + "/none"});
    EXPECT_EQ(process.wait(std::chrono::seconds(30)), 1) << process.output();
    EXPECT_TRUE(process.output_contains("--tls-cert: cannot load")) << process.output();
}

}  // namespace
