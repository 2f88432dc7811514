// Unit test of the fault proxy (tests/support/fault_proxy.h) against a testmongod: it forwards,
// and each fault it injects shows to a client as a network failure of the kind intended, after
// which a new connection works again.
#include "support/fault_proxy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "support/child_process.h"
#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using namespace std::chrono_literals;
using testsupport::Client;
using testsupport::FaultProxy;

class FaultProxyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        SKIP_UNLESS_OWN_SERVERS("needs a server port to proxy");
        server_.emplace(testsupport::ServerProcess::start());
        proxy_ = std::make_unique<FaultProxy>(server_->port());
    }
    // A new client through the proxy, with short timeouts so faults show quickly.
    std::unique_ptr<Client> client() {
        return std::make_unique<Client>(proxy_->uri() +
                                        "&socketTimeoutMS=500&serverSelectionTimeoutMS=500");
    }
    static bool ping(Client& client) { return client.run_command("admin", R"({"ping": 1})").ok; }
    // A fresh client gets through again once the fault is over.
    bool recovers() {
        return testsupport::eventually([&] { return ping(*client()); }, 10s);
    }

    std::optional<testsupport::ServerProcess> server_;
    std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(FaultProxyTest, ForwardsCommands) {
    auto c = client();
    EXPECT_TRUE(ping(*c));
    EXPECT_GE(proxy_->accepted(), 1u);
}

TEST_F(FaultProxyTest, DropConnectionsBreaksTheOpenConnection) {
    auto c = client();
    ASSERT_TRUE(ping(*c));
    proxy_->drop_connections();
    EXPECT_TRUE(testsupport::eventually([&] { return proxy_->dropped() >= 1; }, 5s));
    EXPECT_FALSE(ping(*c));
    EXPECT_TRUE(recovers());
}

TEST_F(FaultProxyTest, StallIsSeenAsASocketTimeout) {
    auto c = client();
    ASSERT_TRUE(ping(*c));
    proxy_->set_stalled(true);
    auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(ping(*c));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    proxy_->set_stalled(false);
    EXPECT_TRUE(recovers());
}

TEST_F(FaultProxyTest, DelayHoldsEveryChunk) {
    auto c = client();
    ASSERT_TRUE(ping(*c));
    proxy_->set_delay(150ms);
    auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(ping(*c));
    // The command and its reply are each held 150 ms.
    EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
}

TEST_F(FaultProxyTest, CutReplyFailsTheCommand) {
    auto c = client();
    ASSERT_TRUE(ping(*c));
    proxy_->cut_next_reply();
    auto result = c->run_command("admin", R"({"ping": 1})");
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(proxy_->dropped(), 1u);
    EXPECT_TRUE(recovers());
}

TEST_F(FaultProxyTest, RefusingFailsServerSelection) {
    proxy_->set_refusing(true);
    EXPECT_FALSE(ping(*client()));
    EXPECT_GE(proxy_->refused(), 1u);
    proxy_->set_refusing(false);
    EXPECT_TRUE(recovers());
}

}  // namespace
