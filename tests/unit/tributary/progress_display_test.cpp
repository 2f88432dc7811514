// The terminal's progress display from a Snapshot: a total line and a bar per collection being
// copied (the fastest first, bounded), one line with the lag during replication.
#include <gtest/gtest.h>

#include "status/terminal.h"

namespace {

using namespace std::chrono_literals;
using tributary::status::CollectionProgress;
using tributary::status::Phase;
using tributary::status::progress_lines;
using tributary::status::Snapshot;
using Clock = std::chrono::steady_clock;

CollectionProgress copying(int64_t done, int64_t total, Clock::time_point started) {
    CollectionProgress progress;
    progress.documents_done = done;
    progress.documents_total = total;
    progress.started = started;
    return progress;
}

TEST(ProgressDisplay, ABarPerCollectionBeingCopiedAndATotal) {
    const auto now = Clock::now();
    Snapshot snapshot;
    snapshot.phase = Phase::kCopying;
    snapshot.collections["db.slow"] = copying(100, 1000, now - 10s);  // 10/s
    snapshot.collections["db.fast"] = copying(500, 1000, now - 10s);  // 50/s
    snapshot.collections["db.done"] = copying(400, 400, now - 10s);
    snapshot.collections["db.done"].complete = true;
    snapshot.collections_copied = 1;
    const std::vector<std::string> lines = progress_lines(snapshot, now);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0],
              "[copying] total [########............] 1000/2400 (41%) documents, 60/s, ETA 23 s | "
              "1/3 collections copied");
    EXPECT_EQ(lines[1], "  db.fast [##########..........] 500/1000 (50%), 50/s, ETA 10 s");
    EXPECT_EQ(lines[2], "  db.slow [##..................] 100/1000 (10%), 10/s, ETA 90 s");
}

TEST(ProgressDisplay, BoundedToTheBusiestCollections) {
    const auto now = Clock::now();
    Snapshot snapshot;
    snapshot.phase = Phase::kCopying;
    for (int i = 1; i <= 5; ++i)
        snapshot.collections["db.c" + std::to_string(i)] = copying(i * 10, -1, now - 1s);
    const std::vector<std::string> lines = progress_lines(snapshot, now, 2);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[1], "  db.c5 [....................] 50/?, 50/s");
    EXPECT_EQ(lines[2], "  db.c4 [....................] 40/?, 40/s");
    EXPECT_EQ(lines[3], "  ... and 3 more");
}

TEST(ProgressDisplay, OneLineWithTheLagDuringReplication) {
    const auto now = Clock::now();
    Snapshot snapshot;
    snapshot.phase = Phase::kCatchingUp;
    snapshot.collections["db.c"] = copying(2000, 2000, now - 10s);
    snapshot.collections["db.c"].complete = true;
    snapshot.events_applied = 12;
    snapshot.newest_read_time = 1000;
    snapshot.applied_time = 900;
    snapshot.catch_up_start_time = 600;
    snapshot.catch_up_start_head = 900;
    snapshot.catch_up_started = now - 100s;
    EXPECT_EQ(progress_lines(snapshot, now),
              std::vector<std::string>{
                  "[catching up] 2000/2000 documents (100%) | 12 events applied | lag 100 s, "
                  "ETA 50 s"});
    snapshot.phase = Phase::kLive;
    snapshot.applied_time = 1000;
    EXPECT_EQ(progress_lines(snapshot, now),
              std::vector<std::string>{
                  "[live] 2000/2000 documents (100%) | 12 events applied | lag 0 s"});
}

}  // namespace
