// The status API's answers from a Snapshot: health verdicts, lag and catch-up estimate, label
// escaping in the Prometheus text, and the human times of `tributary status`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "status/report.h"

namespace {

using namespace std::chrono_literals;
using tributary::status::Phase;
using tributary::status::Snapshot;
using Clock = std::chrono::steady_clock;

TEST(StatusReport, HealthFailsAfterTheStallTimeoutOrAFailedBatch) {
    const auto now = Clock::now();
    Snapshot snapshot;
    snapshot.last_activity = now - 5s;
    EXPECT_TRUE(tributary::status::health(snapshot, now, 10s).ok);
    EXPECT_FALSE(tributary::status::health(snapshot, now, 4s).ok);
    snapshot.last_activity = now;
    snapshot.last_batch_failed = true;
    tributary::status::Health verdict = tributary::status::health(snapshot, now, 10s);
    EXPECT_FALSE(verdict.ok);
    EXPECT_EQ(verdict.reason, "the last batch failed to apply");
}

TEST(StatusReport, LagAndCatchUpEstimate) {
    const auto now = Clock::now();
    Snapshot snapshot;
    snapshot.newest_read_time = 1000;
    snapshot.applied_time = 900;
    snapshot.phase = Phase::kCopying;
    EXPECT_EQ(tributary::status::replication_lag(snapshot), 0);  // not replicating yet
    snapshot.phase = Phase::kCatchingUp;
    EXPECT_EQ(tributary::status::replication_lag(snapshot), 100);
    // 300 source seconds applied in 100 s while the head moved on 100: the gap closes at 2 s
    // per second.
    snapshot.catch_up_start_time = 600;
    snapshot.catch_up_start_head = 900;
    snapshot.catch_up_started = now - 100s;
    ASSERT_TRUE(tributary::status::catch_up_eta(snapshot, now).has_value());
    EXPECT_NEAR(*tributary::status::catch_up_eta(snapshot, now), 50, 0.5);
    // The source is idle (its head stays): the gap closes at the speed of applying, 3 s per s.
    snapshot.catch_up_start_head = 1000;
    EXPECT_NEAR(*tributary::status::catch_up_eta(snapshot, now), 33.3, 0.5);
    // The head moves on as fast as the events are applied: no estimate.
    snapshot.catch_up_start_head = 700;
    EXPECT_FALSE(tributary::status::catch_up_eta(snapshot, now).has_value());
    snapshot.catch_up_start_head = 900;
    snapshot.phase = Phase::kLive;
    EXPECT_FALSE(tributary::status::catch_up_eta(snapshot, now).has_value());
}

TEST(StatusCounters, LagIsTheNewestReadMinusTheLastAppliedAndZeroOnceDrained) {
    tributary::status::Counters counters;
    counters.set_phase(Phase::kCatchingUp);
    counters.event_read("insert", "db.c", 100);
    counters.event_read("update", "db.c", 130);
    EXPECT_EQ(tributary::status::replication_lag(counters.snapshot()), 130);
    counters.batch_applied(130);
    Snapshot applied = counters.snapshot();
    EXPECT_EQ(tributary::status::replication_lag(applied), 0);
    EXPECT_EQ(applied.events_by_type["insert"], 1);
    EXPECT_EQ(applied.events_by_namespace["db.c"], 2);
    // Drained at a high-water mark of 160 ("82" + t 0xA0 + i 1): live, nothing behind.
    bson_t* token = BCON_NEW("_data", BCON_UTF8("82000000A000000001"));
    counters.caught_up(token);
    bson_destroy(token);
    Snapshot live = counters.snapshot();
    EXPECT_EQ(live.phase, Phase::kLive);
    EXPECT_EQ(live.applied_time, 160u);
    counters.event_read("delete", "db.c", 170);
    EXPECT_EQ(tributary::status::replication_lag(counters.snapshot()), 10);
    // Read but not applied (the stream reopened): not counted.
    counters.stream_opened();
    counters.batch_applied(170);
    EXPECT_FALSE(counters.snapshot().events_by_type.contains("delete"));
}

TEST(StatusCounters, WhileCatchingUpTheSourcesTimeIsTheHead) {
    tributary::status::Counters counters;
    counters.replication_starts_at(170);  // the checkpoint's last applied
    counters.stream_opened();
    EXPECT_EQ(counters.snapshot().catch_up_start_head, 0u);  // not polled yet
    counters.source_time(200);
    Snapshot catching_up = counters.snapshot();
    EXPECT_EQ(tributary::status::replication_lag(catching_up), 30);
    EXPECT_EQ(catching_up.catch_up_start_time, 170u);
    EXPECT_EQ(catching_up.catch_up_start_head, 200u);
    counters.batch_applied(190);
    EXPECT_EQ(tributary::status::replication_lag(counters.snapshot()), 10);
    // Live: the events read are the head (the polled time may be of writes not streamed yet).
    bson_t* token = BCON_NEW("_data", BCON_UTF8("82000000BE00000001"));  // t 190
    counters.caught_up(token);
    bson_destroy(token);
    counters.source_time(210);
    EXPECT_EQ(tributary::status::replication_lag(counters.snapshot()), 0);
}

TEST(StatusReport, PrometheusLabelsAreEscaped) {
    Snapshot snapshot;
    snapshot.events_by_namespace["db.we\"ird\\name"] = 2;
    const std::string text = tributary::status::prometheus_text(snapshot, Clock::now());
    EXPECT_NE(text.find("tributary_events_applied_by_namespace_total{namespace=\"db.we\\\"ird\\\\"
                        "name\"} 2\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("tributary_phase{phase=\"starting\"} 1\n"), std::string::npos) << text;
}

TEST(StatusReport, StatusJsonHasEveryDocumentedField) {
    const nlohmann::json status =
        nlohmann::json::parse(tributary::status::status_json(Snapshot{}, Clock::now()));
    for (const char* field :
         {"phase", "collections", "documents_copied", "collections_copied", "events_applied",
          "lag_seconds", "estimated_seconds_to_catch_up", "newest_event_read", "last_event_applied",
          "checkpoint_age_seconds", "retries", "errors", "last_batch_failed",
          "seconds_since_progress", "spool", "read_queue", "warnings"}) {
        EXPECT_TRUE(status.contains(field)) << field;
    }
}

TEST(StatusReport, TimesAreIsoUtcWithTheirAge) {
    const auto now = std::chrono::system_clock::from_time_t(1796161811 + 42);
    EXPECT_EQ(tributary::status::time_and_age(1796161811, now), "2026-12-01T21:50:11Z (42 s ago)");
}

}  // namespace
