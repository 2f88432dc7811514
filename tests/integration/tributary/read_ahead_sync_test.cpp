// Replication's stream reader reads ahead of the applier into a bounded queue: with every
// destination write held back (failCommand blockConnection, then a retryable error, so a held
// write is never applied late), the queue fills to its bound of 2,000 entries and stays there
// instead of growing; kill -9 while it holds read-but-unapplied events (a full queue, or events
// with a "drained" marker behind them) loses nothing: the restart resumes from the last applied
// event and the destination ends equal (independent comparator). docs/replication.md, "The
// stream reader".
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "http_get.h"
#include "replicate_sync_fixture.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using tributary_test::eventually;
using tributary_test::ReplicateSyncTest;

constexpr int64_t kQueueBound = 2000;  // ReplicateConfig::read_queue_entries

class ReadAheadSyncTest : public ReplicateSyncTest {
  protected:
    void SetUp() override {
        start_servers("7.0");
        insert_range("c", 0, 3000);
    }
    void TearDown() override {
        if (dest_) release_destination_writes();  // the servers are shared by the tests
        ReplicateSyncTest::TearDown();
    }

    std::unique_ptr<tributary_test::TributaryProcess> start_with_status() {
        return start_sync({"--status-addr", "127.0.0.1:" + std::to_string(port_)});
    }
    // /status's read_queue ({} when it does not answer).
    json read_queue() const {
        const std::string response = tributary_test::http_get(port_, "/status");
        const size_t body = response.find("\r\n\r\n");
        if (body == std::string::npos) return json::object();
        const json status = json::parse(response.substr(body + 4), nullptr, false);
        return status.is_object() ? status.value("read_queue", json::object()) : json::object();
    }
    int64_t queued(const char* field) const { return read_queue().value(field, int64_t(-1)); }

    // Every destination write of tributary waits 1 s, then fails with a retryable error: it is
    // retried, and nothing it held is applied after the process is gone.
    void hold_destination_writes() {
        auto armed = dest_->run_command("admin", R"({"configureFailPoint": "failCommand",
            "mode": "alwaysOn", "data": {"failCommands": ["insert", "update", "delete"],
            "appName": "tributary", "blockConnection": true, "blockTimeMS": 1000,
            "errorCode": 10107, "errorLabels": ["RetryableWriteError"]}})");
        ASSERT_TRUE(armed.ok) << armed.error;
    }
    // The source's next getMore of tributary fails as a resumable change-stream error.
    void fail_next_source_get_more() {
        auto armed = source_->run_command("admin", R"({"configureFailPoint": "failCommand",
            "mode": {"times": 1}, "data": {"failCommands": ["getMore"], "appName": "tributary",
            "errorCode": 6, "errorLabels": ["ResumableChangeStreamError"]}})");
        ASSERT_TRUE(armed.ok) << armed.error;
    }
    void release_destination_writes() {
        dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
    }

    // `count` statements of each CRUD kind on "c", in a few commands: 4 x count events.
    void churn(int first, int count) {
        std::string updates, replaces, deletes;
        for (int id = first; id < first + count; ++id) {
            const std::string sep = id > first ? "," : "";
            updates += sep + R"({"q": {"_id": )" + std::to_string(id) +
                       R"(}, "u": {"$inc": {"n": 1}, "$set": {"touched": true}}})";
            replaces += sep + R"({"q": {"_id": )" + std::to_string(id + count) +
                        R"(}, "u": {"replaced": )" + std::to_string(id) + "}}";
            deletes +=
                sep + R"({"q": {"_id": )" + std::to_string(id + 2 * count) + R"(}, "limit": 1})";
        }
        source_command(R"({"update": "c", "updates": [)" + updates + "]}");
        source_command(R"({"update": "c", "updates": [)" + replaces + "]}");
        source_command(R"({"delete": "c", "deletes": [)" + deletes + "]}");
        insert_range("c", 1000000 + first, count);
    }

    // After a kill -9: the writes released, a new run resumes and ends equal.
    void expect_restart_ends_equal() {
        release_destination_writes();
        auto second = start_sync();
        std::string report;
        EXPECT_TRUE(converges(&report, 60s)) << report << second->output();
        EXPECT_EQ(second->terminate(), 0) << second->output();
    }

    int port_ = tributary_test::free_port();
};

TEST_F(ReadAheadSyncTest, TheQueueStopsAtItsBoundWhileTheDestinationIsHeld) {
    auto sync = start_with_status();
    hold_destination_writes();
    churn(0, 1000);  // 4,000 events: a batch in flight, the queue full, more left on the source
    ASSERT_TRUE(eventually([&] { return queued("entries") == kQueueBound; }, 30s))
        << read_queue().dump() << sync->output();
    // It stays at the bound while the source holds more than the queue does.
    const auto until = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < until) {
        const int64_t entries = queued("entries");
        ASSERT_LE(entries, kQueueBound);
        ASSERT_GE(entries, kQueueBound - 1) << "the applier took events while writes were held";
    }
    release_destination_writes();
    std::string report;
    EXPECT_TRUE(converges(&report, 90s)) << report << sync->output();
    EXPECT_TRUE(eventually([&] { return queued("entries") == 0; }, 10s)) << read_queue().dump();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

TEST_F(ReadAheadSyncTest, KillWithAFullQueueLosesNothing) {
    {
        auto first = start_with_status();
        hold_destination_writes();
        churn(0, 1000);
        ASSERT_TRUE(eventually([&] { return queued("events") == kQueueBound; }, 30s))
            << read_queue().dump() << first->output();
        first->kill_hard();
    }
    expect_restart_ends_equal();
}

// A drained marker queued behind unapplied events carries the stream's high-water mark, past
// them: saving it before they are applied would lose them at the kill.
TEST_F(ReadAheadSyncTest, KillWithEventsBeforeADrainedMarkerLosesNothing) {
    {
        auto first = start_with_status();
        hold_destination_writes();
        churn(0, 300);  // 1,200 events: a batch in flight, the rest queued, then the markers
        ASSERT_TRUE(eventually(
            [&] {
                const json queue = read_queue();
                const int64_t events = queue.value("events", int64_t(0));
                return events > 0 && queue.value("entries", int64_t(0)) > events;
            },
            30s))
            << read_queue().dump() << first->output();
        first->kill_hard();
    }
    expect_restart_ends_equal();
}

// A resumable error behind a full queue: the events queued before it are applied, the stream
// reopens from the last applied event and reads the rest; nothing lost, and it goes on after.
// (Found safe by the adversarial review of the reader; kept as a guarantee.)
TEST_F(ReadAheadSyncTest, AResumableErrorBehindAFullQueueLosesNothing) {
    SKIP_UNLESS_OWN_SERVERS("server-wide failpoints");
    auto sync = start_with_status();
    hold_destination_writes();
    churn(0, 1000);
    ASSERT_TRUE(eventually([&] { return queued("entries") == kQueueBound; }, 30s))
        << read_queue().dump() << sync->output();
    fail_next_source_get_more();
    release_destination_writes();
    std::string report;
    EXPECT_TRUE(converges(&report, 90s)) << report << sync->output();
    EXPECT_TRUE(sync->output_contains("Change stream interrupted")) << sync->output();
    churn(5000, 200);
    EXPECT_TRUE(converges(&report, 60s)) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

}  // namespace
