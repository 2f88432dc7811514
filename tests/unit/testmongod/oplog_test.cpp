// The oplog: commit-order cluster times, reads after a point, bounded history that reports loss,
// and waiting for new entries.
#include "server/oplog.h"

#include <gtest/gtest.h>

#include <ctime>
#include <thread>
#include <vector>

namespace tmd {
namespace {

OplogEntry insert_of(int id) {
    OplogEntry entry;
    entry.kind = ChangeKind::Insert;
    entry.db = "db";
    entry.coll = "c";
    Document key;
    key.push_back("_id", Value::int32(id));
    entry.document_key = std::make_shared<const std::string>(key.to_bytes());
    entry.post_image = entry.document_key;
    return entry;
}

TEST(Oplog, AppendStampsIncreasingTimesAndWallClock) {
    Oplog oplog(1 << 20);
    ClusterTime first = oplog.append(insert_of(1));
    ClusterTime second = oplog.append(insert_of(2));
    EXPECT_LT(first, second);
    EXPECT_EQ(oplog.now(), second);
    bool lost = false;
    auto entries = oplog.read_after(ClusterTime{first.t - 1, 0}, 10, &lost);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_GT(entries[0].wall_time_ms, 0);
    EXPECT_EQ(entries[1].time, second);
}

TEST(Oplog, ReadAfterIsExclusiveAndLimited) {
    Oplog oplog(1 << 20);
    ClusterTime first = oplog.append(insert_of(1));
    oplog.append(insert_of(2));
    oplog.append(insert_of(3));
    bool lost = false;
    auto entries = oplog.read_after(first, 1, &lost);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_LT(first, entries[0].time);
    EXPECT_FALSE(lost);
}

TEST(Oplog, DroppedHistoryIsReportedAsLost) {
    Oplog oplog(1000);  // a few entries' worth
    ClusterTime first = oplog.append(insert_of(0));
    for (int i = 1; i < 50; ++i)
        oplog.append(insert_of(i));
    ASSERT_TRUE(oplog.oldest().has_value());
    EXPECT_LT(first, *oplog.oldest());
    bool lost = false;
    EXPECT_TRUE(oplog.read_after(first, 10, &lost).empty());
    EXPECT_TRUE(lost);
    oplog.read_after(oplog.now(), 10, &lost);
    EXPECT_FALSE(lost);
}

TEST(Oplog, TimesBeforeTheServerStartedAreLost) {
    Oplog oplog(1 << 20);
    bool lost = false;
    oplog.read_after(ClusterTime{1, 1}, 10, &lost);
    EXPECT_TRUE(lost);
    oplog.read_after(oplog.now(), 10, &lost);
    EXPECT_FALSE(lost);
}

TEST(Oplog, WaitForNewerWakesOnAppend) {
    Oplog oplog(1 << 20);
    ClusterTime before = oplog.append(insert_of(1));
    std::thread writer([&] { oplog.append(insert_of(2)); });
    oplog.wait_for_newer(before, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    writer.join();
    EXPECT_LT(before, oplog.now());
}

TEST(Oplog, WaitForNewerReturnsAtTheDeadline) {
    Oplog oplog(1 << 20);
    ClusterTime now = oplog.append(insert_of(1));
    auto start = std::chrono::steady_clock::now();
    oplog.wait_for_newer(now, start + std::chrono::milliseconds(20));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
}

// A restarted server's history (persistence.cpp): restored entries keep their times and stay
// readable from where the saved history started, and the next append comes after the newest
// of them even when the wall clock is behind it (a time is never reused).
TEST(Oplog, RestoredHistoryIsReadableAndLaterAppendsComeAfterIt) {
    Oplog oplog(1 << 20);
    ClusterTime future{static_cast<uint32_t>(std::time(nullptr)) + 100, 7};
    oplog.restore_dropped_up_to(ClusterTime{future.t - 10, 0});
    OplogEntry restored = insert_of(1);
    restored.time = future;
    oplog.restore(std::move(restored));
    EXPECT_EQ(oplog.now(), future);
    EXPECT_LT(future, oplog.append(insert_of(2)));
    bool lost = false;
    auto entries = oplog.read_after(ClusterTime{future.t - 5, 0}, 10, &lost);
    EXPECT_FALSE(lost);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].time, future);
}

// The persist callback sees each entry already stamped, before readers can see it.
TEST(Oplog, PersistSeesStampedEntries) {
    Oplog oplog(1 << 20);
    std::vector<ClusterTime> persisted;
    ClusterTime time =
        oplog.append_transaction({insert_of(1), insert_of(2)},
                                 [&](const OplogEntry& entry) { persisted.push_back(entry.time); });
    EXPECT_EQ(persisted, (std::vector<ClusterTime>{time, time}));
}

}  // namespace
}  // namespace tmd
