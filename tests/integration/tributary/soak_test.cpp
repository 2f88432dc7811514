// Soak (issue "Reliability"): `tributary sync` runs for TRIBUTARY_SOAK_SECONDS (scripts/test.sh
// --long: 1800) under a steady mixed workload (inserts of ~1 KB documents, $set/$inc updates,
// replacements, deletes) with both connections cut through the fault proxy every 30 s. Its
// resident memory at the end must be within 10 % of what it was after the warm-up (the first
// tenth of the run, at least 60 s), and the destination must end equal to the source (the
// independent comparator judges). Skipped unless TRIBUTARY_SOAK_SECONDS is set.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "replicate_sync_fixture.h"
#include "support/fault_proxy.h"

namespace {

using namespace std::chrono_literals;
using testsupport::FaultProxy;
using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

// VmRSS of `pid` in KiB, from /proc/<pid>/status; 0 when unreadable.
long resident_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (status >> key) {
        if (key == "VmRSS:") {
            long kib = 0;
            status >> kib;
            return kib;
        }
        status.ignore(1 << 16, '\n');
    }
    return 0;
}

class SoakTest : public ReplicateSyncTest {
  protected:
    // One round of the workload: 50 inserts, 100 updates, 40 replacements and 20 deletes of
    // random documents of the newest kWindow (a delete of an absent one is a no-op on both
    // sides), and a delete of everything older, so the data set stays the same size.
    void workload_round(std::mt19937& random) {
        const std::string padding(1000, 'x');
        std::string inserts = R"({"insert": "c", "documents": [)";
        for (int i = 0; i < 50; ++i, ++next_id_) {
            inserts += (i ? "," : "") + std::string(R"({"_id": )") + std::to_string(next_id_) +
                       R"(, "n": 0, "pad": ")" + padding + R"("})";
        }
        source_command(inserts + "]}");
        const int oldest = std::max(1, next_id_ - kWindow);
        auto any_id = [&] { return std::to_string(oldest + random() % (next_id_ - oldest)); };
        std::string updates = R"({"update": "c", "ordered": false, "updates": [)";
        for (int i = 0; i < 100; ++i) {
            updates += (i ? "," : "") + std::string(R"({"q": {"_id": )") + any_id() +
                       R"(}, "u": {"$inc": {"n": 1}, "$set": {"t": )" + any_id() + "}}}";
        }
        for (int i = 0; i < 40; ++i) {
            updates += R"(,{"q": {"_id": )" + any_id() + R"(}, "u": {"replaced": true, "pad": ")" +
                       padding.substr(0, 200) + R"("}})";
        }
        source_command(updates + "]}");
        std::string deletes = R"({"delete": "c", "ordered": false, "deletes": [)";
        for (int i = 0; i < 20; ++i) {
            deletes +=
                (i ? "," : "") + std::string(R"({"q": {"_id": )") + any_id() + R"(}, "limit": 1})";
        }
        source_command(deletes + "]}");
    }

    static constexpr int kWindow = 20000;
    int next_id_ = 1;
};

TEST_F(SoakTest, SteadyWorkloadWithFaultsKeepsMemoryFlatAndEndsEqual) {
    const char* seconds_text = std::getenv("TRIBUTARY_SOAK_SECONDS");
    if (!seconds_text) GTEST_SKIP() << "set TRIBUTARY_SOAK_SECONDS (scripts/test.sh --long: 1800)";
    SKIP_UNLESS_OWN_SERVERS("puts a proxy in front of its own servers");
    const auto duration = std::chrono::seconds(std::atoi(seconds_text));
    const auto warm_up = std::max<std::chrono::seconds>(60s, duration / 10);
    start_servers("7.0");
    std::mt19937 random(20261203);
    workload_round(random);  // the database exists before the sync starts
    FaultProxy source_proxy(source_server_.process->port());
    FaultProxy dest_proxy(dest_server_.process->port());
    const std::string timeouts = "&socketTimeoutMS=3000&serverSelectionTimeoutMS=5000";
    // A small ASan quarantine, so that freed memory held back by the sanitizer does not read as
    // growth in a sanitized build.
    TributaryProcess sync({"sync", "--source", source_proxy.uri() + timeouts, "--destination",
                           dest_proxy.uri() + timeouts, "--db", db_, "--state-file", state_file_},
                          {"ASAN_OPTIONS=quarantine_size_mb=16:detect_leaks=0"});
    ASSERT_TRUE(tributary_test::eventually(
        [&] { return sync.output_contains("change stream started"); }, 30s))
        << sync.output();

    const auto start = std::chrono::steady_clock::now();
    auto next_fault = start + 30s;
    long warm_rss = 0;
    int faults = 0;
    for (auto now = start; now - start < duration; now = std::chrono::steady_clock::now()) {
        workload_round(random);
        if (now >= next_fault) {
            source_proxy.drop_connections();
            dest_proxy.drop_connections();
            ++faults;
            next_fault = now + 30s;
        }
        if (!warm_rss && now - start >= warm_up) warm_rss = resident_kib(sync.pid());
        ASSERT_FALSE(sync.exit_code().has_value()) << sync.output();
        std::this_thread::sleep_for(20ms);  // pacing of the workload, not synchronisation
    }
    std::string report;
    EXPECT_TRUE(converges(&report, 120s)) << report << sync.output();
    const long end_rss = resident_kib(sync.pid());
    std::cout << "SOAK: " << duration.count() << " s, " << next_id_ - 1 << " documents inserted, "
              << faults << " faults; RSS after warm-up " << warm_rss << " KiB, at the end "
              << end_rss << " KiB\n";
    EXPECT_GT(warm_rss, 0);
    EXPECT_LE(end_rss, warm_rss * 11 / 10) << "tributary's memory grew during the soak";
    EXPECT_EQ(sync.terminate(), 0) << sync.output();
}

}  // namespace
