// End to end through `tributary sync` with a fault proxy (tests/support/fault_proxy.h) between
// tributary and each server: connections cut during the copy, the catch-up and live replication,
// replies cut in half, and a stalled source detected within a bounded time. tributary must carry
// on (it does not exit) and the destination ends equal to the source (the independent comparator
// judges). The test's own clients talk to the servers directly.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "replicate_sync_fixture.h"
#include "support/fault_proxy.h"

namespace {

using namespace std::chrono_literals;
using testsupport::FaultProxy;
using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

class NetworkFaultSyncTest : public ReplicateSyncTest {
  protected:
    void SetUp() override {
        SKIP_UNLESS_OWN_SERVERS("puts a proxy in front of its own servers");
        start_servers("7.0");
        source_proxy_ = std::make_unique<FaultProxy>(source_server_.process->port());
        dest_proxy_ = std::make_unique<FaultProxy>(dest_server_.process->port());
    }
    void TearDown() override {
        if (sync_ && !HasFailure()) print_figures();
        if (sync_) {
            EXPECT_FALSE(sync_->exit_code().has_value()) << sync_->output();
            EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
        }
        ReplicateSyncTest::TearDown();
    }
    // `tributary sync` through both proxies; socketTimeoutMS bounds how long a stalled server
    // holds an operation.
    void start_sync_through_proxies() {
        const std::string timeouts = "&socketTimeoutMS=3000&serverSelectionTimeoutMS=5000";
        sync_ = std::make_unique<TributaryProcess>(std::vector<std::string>{
            "sync", "--source", source_proxy_->uri() + timeouts, "--destination",
            dest_proxy_->uri() + timeouts, "--db", db_, "--state-file", state_file_});
    }
    bool sync_says(const std::string& text, std::chrono::seconds timeout = 30s) {
        return tributary_test::eventually([&] { return sync_->output_contains(text); }, timeout);
    }
    // Cuts every connection of `proxy` and waits until tributary connected again.
    void drop_and_wait_for_reconnect(FaultProxy& proxy) {
        size_t accepted = proxy.accepted();
        proxy.drop_connections();
        EXPECT_TRUE(tributary_test::eventually([&] { return proxy.accepted() > accepted; }, 20s))
            << sync_->output();
    }
    void cut_both() {
        drop_and_wait_for_reconnect(*source_proxy_);
        drop_and_wait_for_reconnect(*dest_proxy_);
    }
    void expect_equal() {
        std::string report;
        EXPECT_TRUE(converges(&report, 30s)) << report << sync_->output();
    }
    // One line of figures for docs/RELIABILITY.md: faults injected in this test's phase, the
    // retries tributary logged, and the documents the comparator found equal.
    void print_figures() {
        const std::string output = sync_->output();
        const std::regex retry("retrying|Change stream interrupted");
        auto retries = std::distance(std::sregex_iterator(output.begin(), output.end(), retry),
                                     std::sregex_iterator());
        auto count = source_->run_command(db_, R"({"count": "c"})");
        std::cout << "FIGURES " << testing::UnitTest::GetInstance()->current_test_info()->name()
                  << ": connections dropped source=" << source_proxy_->dropped()
                  << " destination=" << dest_proxy_->dropped() << ", replies cut=" << cut_replies_
                  << ", stalls=" << stalls_ << ", retries logged=" << retries
                  << ", documents compared=" << (count.ok ? count.reply.number("n") : -1)
                  << ", equal=yes\n";
    }
    void cut_next_reply(FaultProxy& proxy) {
        proxy.cut_next_reply();
        ++cut_replies_;
    }
    // Documents in batches of 1000: ids first..first+count-1.
    void insert_many(int first, int count) {
        for (int batch = first; batch < first + count; batch += 1000)
            insert_range("c", batch, std::min(1000, first + count - batch));
    }

    std::unique_ptr<FaultProxy> source_proxy_;
    std::unique_ptr<FaultProxy> dest_proxy_;
    std::unique_ptr<TributaryProcess> sync_;
    int cut_replies_ = 0;
    int stalls_ = 0;
};

// The copy is slowed by a delay on the source's proxy so the cuts land in it.
TEST_F(NetworkFaultSyncTest, ConnectionsCutDuringTheCopy) {
    insert_many(0, 20000);
    source_proxy_->set_delay(5ms);
    start_sync_through_proxies();
    ASSERT_TRUE(sync_says("Copying collection")) << sync_->output();
    for (int cut = 0; cut < 3; ++cut)
        cut_both();
    EXPECT_FALSE(sync_->output_contains("copied successfully")) << "the cuts missed the copy";
    source_proxy_->set_delay(0ms);
    ASSERT_TRUE(sync_says("change stream started")) << sync_->output();
    expect_equal();
}

// Writes made during the copy are replayed after it (the catch-up); the cuts land there.
TEST_F(NetworkFaultSyncTest, ConnectionsCutDuringTheCatchUp) {
    insert_many(0, 5000);
    source_proxy_->set_delay(2ms);
    start_sync_through_proxies();
    ASSERT_TRUE(sync_says("Copying collection")) << sync_->output();
    insert_many(100000, 5000);
    source_command(
        R"({"update": "c", "updates": [{"q": {}, "u": {"$inc": {"n": 1}}, "multi": true}]})");
    ASSERT_TRUE(sync_says("change stream started")) << sync_->output();
    cut_both();
    cut_next_reply(*source_proxy_);
    cut_both();
    source_proxy_->set_delay(0ms);
    expect_equal();
}

TEST_F(NetworkFaultSyncTest, ConnectionsCutDuringLiveReplication) {
    insert_many(0, 100);
    start_sync_through_proxies();
    ASSERT_TRUE(sync_says("change stream started")) << sync_->output();
    for (int round = 0; round < 3; ++round) {
        insert_many(1000 * (round + 1), 200);
        cut_both();
        cut_next_reply(*dest_proxy_);
        cut_next_reply(*source_proxy_);
        source_command(R"({"delete": "c", "deletes": [{"q": {"_id": )" +
                       std::to_string(1000 * (round + 1)) + R"(}, "limit": 1}]})");
    }
    expect_equal();
}

// A source that stops answering (no reply, connection open) is detected within socketTimeoutMS
// plus a margin, and replication continues once it answers again.
TEST_F(NetworkFaultSyncTest, StalledSourceIsDetectedWithinABoundedTime) {
    insert_many(0, 100);
    start_sync_through_proxies();
    ASSERT_TRUE(sync_says("change stream started")) << sync_->output();
    source_proxy_->set_stalled(true);
    ++stalls_;
    auto stalled_at = std::chrono::steady_clock::now();
    EXPECT_TRUE(sync_says("Change stream interrupted", 15s)) << sync_->output();
    auto detected_after = std::chrono::steady_clock::now() - stalled_at;
    EXPECT_LT(detected_after, 10s);
    source_proxy_->set_stalled(false);
    insert_many(500, 100);
    expect_equal();
}

// A source that refuses new connections for a while (its open ones cut): tributary waits, with
// backoff, and continues once connections are accepted again.
TEST_F(NetworkFaultSyncTest, SourceRefusingConnectionsForAWhile) {
    insert_many(0, 100);
    start_sync_through_proxies();
    ASSERT_TRUE(sync_says("change stream started")) << sync_->output();
    source_proxy_->set_refusing(true);
    source_proxy_->drop_connections();
    insert_many(500, 100);
    EXPECT_TRUE(sync_says("Change stream interrupted")) << sync_->output();
    EXPECT_TRUE(tributary_test::eventually([&] { return source_proxy_->refused() >= 2; }, 20s))
        << sync_->output();
    source_proxy_->set_refusing(false);
    expect_equal();
}

// A destination that stops answering mid-replication: its operations fail after
// socketTimeoutMS, replication resumes from the last applied event (idempotent writes), and the
// destination ends equal.
TEST_F(NetworkFaultSyncTest, StalledDestinationDuringReplication) {
    insert_many(0, 100);
    start_sync_through_proxies();
    ASSERT_TRUE(sync_says("change stream started")) << sync_->output();
    dest_proxy_->set_stalled(true);
    ++stalls_;
    insert_many(500, 300);
    EXPECT_TRUE(sync_says("Change stream interrupted", 15s)) << sync_->output();
    dest_proxy_->set_stalled(false);
    expect_equal();
}

}  // namespace
