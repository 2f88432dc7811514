// The torture test (ctest label `torture`): a seeded random writer mixes every CRUD kind, field
// type changes, unique-value swaps and DDL (create, drop, rename, index create/drop, collMod,
// dropDatabase) on the source, during the copy and during replication, while `tributary sync`
// is killed with SIGKILL at random moments spread over its phases and restarted each time. At
// the end the independent comparator must find the destination equal to the source.
//
// Replay a failure with TRIBUTARY_TORTURE_SEED=<seed printed in the failure>. The short form
// (scripts/test.sh) kills 20 times; TRIBUTARY_TORTURE_KILLS=N (scripts/test.sh --long: 100)
// kills more.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::eventually;
using tributary_test::TributaryProcess;

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int env_int(const char* name, int fallback) {
    const char* value = std::getenv(name);
    return value && *value ? std::atoi(value) : fallback;
}

// The random writer: one client of its own (libmongoc clients are not thread-safe), one RNG
// seeded by the test. Errors the source returns (duplicate keys, a rename onto an existing name,
// a path that is not viable) are part of the workload: the source's state is whatever it accepted.
class RandomWriter {
  public:
    RandomWriter(const std::string& uri, std::string db, uint64_t seed)
        : client_(uri), db_(std::move(db)), rng_(seed) {}

    void run(const std::atomic<bool>& stop) {
        // Paced (about 1,000 writes/s at most): a load the sync can catch up with after each
        // restart, so the test measures convergence, not throughput.
        while (!stop.load()) {
            step();
            ++operations_;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    int operations() const { return operations_; }
    // A fresh start refuses a database missing on the source (a usage error, exit 2), so the
    // database is dropped only once a run has saved its checkpoint: a started run follows the
    // drop and the database's return.
    void allow_database_drop() { may_drop_database_ = true; }

    // Populates the collections the copy starts from: kCollections x `documents` documents
    // each, a unique index on `u` of c0.
    void seed(int documents) {
        for (int c = 0; c < kCollections; ++c) {
            for (int first = 0; first < documents; first += 1000) {
                std::string command = R"({"insert": ")" + coll(c) + R"(", "documents": [)";
                for (int id = first; id < std::min(documents, first + 1000); ++id)
                    command += (id > first ? "," : "") + document(id);
                run_command(command + "]}");
            }
        }
        run_command(R"({"createIndexes": "c0", "indexes": [{"key": {"u": 1}, "name": "u_1",
                        "unique": true, "sparse": true}]})");
    }

  private:
    static constexpr int kCollections = 4;
    static constexpr int kIds = 6000;

    std::string coll(int c) const { return "c" + std::to_string(c); }
    std::string random_coll() { return coll(pick(kCollections + 2)); }  // c4, c5: made by DDL
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
    std::string id() { return std::to_string(pick(kIds)); }
    std::string document(int id) {
        // u: unique in c0 (ids are unique, so u = id is too); a: a nested document; arr: an array.
        return R"({"_id": )" + std::to_string(id) + R"(, "u": )" + std::to_string(id) +
               R"(, "a": {"b": )" + std::to_string(pick(100)) +
               R"(}, "arr": [1, 2, 3], "n": 0, "pad": "row )" + std::to_string(id) + R"("})";
    }
    std::string random_value() {
        switch (pick(5)) {
            case 0:
                return std::to_string(pick(1000));
            case 1:
                return R"("s)" + std::to_string(pick(1000)) + R"(")";
            case 2:
                return R"({"b": )" + std::to_string(pick(10)) + "}";
            case 3:
                return "[" + std::to_string(pick(10)) + ", {\"x\": 1}]";
            default:
                return "null";
        }
    }
    std::string random_update() {
        switch (pick(8)) {
            case 0:
                return R"({"$set": {"a.b": )" + random_value() + "}}";
            case 1:
                return R"({"$set": {"a": )" + random_value() + "}}";  // type changes
            case 2:
                return R"({"$inc": {"n": 1}})";
            case 3:
                return R"({"$push": {"arr": )" + std::to_string(pick(100)) + "}}";
            case 4:
                return R"({"$pop": {"arr": 1}})";
            case 5:
                return R"({"$unset": {"a": ""}})";
            case 6:
                return R"({"$set": {"arr.1": )" + random_value() + "}}";
            default:
                return R"({"$set": {"fresh)" + std::to_string(pick(5)) + R"(": 1}})";
        }
    }

    void step() {
        const std::string c = random_coll();
        int kind = pick(100);
        if (kind < 20) {
            run_command(R"({"insert": ")" + c + R"(", "documents": [)" + document(pick(kIds)) +
                        "]}");
        } else if (kind < 55) {
            run_command(R"({"update": ")" + c + R"(", "updates": [{"q": {"_id": )" + id() +
                        R"(}, "u": )" + random_update() + "}]}");
        } else if (kind < 65) {
            run_command(R"({"update": ")" + c + R"(", "updates": [{"q": {"_id": )" + id() +
                        R"(}, "u": {"replaced": )" + random_value() + R"(, "u": )" +
                        std::to_string(kIds + pick(kIds)) + "}}]}");
        } else if (kind < 80) {
            run_command(R"({"delete": ")" + c + R"(", "deletes": [{"q": {"_id": )" + id() +
                        R"(}, "limit": 1}]})");
        } else if (kind < 92) {
            swap_unique_values();
        } else {
            ddl();
        }
    }

    // Two documents of c0 exchange their unique `u` values in three writes, as an application
    // would: through a temporary value no other document holds.
    void swap_unique_values() {
        std::string a = id(), b = id();
        std::string ua = std::to_string(1000000 + pick(1000000));
        std::string temporary = std::to_string(-1 - pick(1000000));
        run_command(R"({"update": "c0", "updates": [{"q": {"_id": )" + a +
                    R"(}, "u": {"$set": {"u": )" + temporary + "}}}]}");
        run_command(R"({"update": "c0", "updates": [{"q": {"_id": )" + b +
                    R"(}, "u": {"$set": {"u": )" + ua + "}}}]}");
        run_command(R"({"update": "c0", "updates": [{"q": {"_id": )" + a +
                    R"(}, "u": {"$set": {"u": )" + std::to_string(pick(kIds)) + "}}}]}");
    }

    void ddl() {
        const std::string c = random_coll();
        switch (pick(8)) {
            case 0:
                run_command(R"({"create": ")" + c + R"("})");
                break;
            case 1:
                run_command(R"({"drop": ")" + c + R"("})");
                break;
            case 2:
                run_admin(R"({"renameCollection": ")" + db_ + "." + c + R"(", "to": ")" + db_ +
                          "." + random_coll() + R"(", "dropTarget": )" +
                          (pick(2) ? "true" : "false") + "}");
                break;
            case 3:
                run_command(R"({"createIndexes": ")" + c +
                            R"(", "indexes": [{"key": {"a.b": 1}, "name": "ab_1"}]})");
                break;
            case 4:
                run_command(R"({"dropIndexes": ")" + c + R"(", "index": "ab_1"})");
                break;
            case 5:
                run_command(R"({"collMod": ")" + c + R"(", "validator": {"n": {"$gte": )" +
                            std::to_string(pick(3) - 1) + R"(}}, "validationLevel": "moderate"})");
                break;
            case 6:
                if (pick(20) == 0 && may_drop_database_) run_command(R"({"dropDatabase": 1})");
                break;
            default:
                run_command(R"({"createIndexes": ")" + c +
                            R"(", "indexes": [{"key": {"n": -1, "a.b": 1}, "name": "n_ab"}]})");
                break;
        }
    }

    void run_command(const std::string& json) { client_.run_command(db_, json); }
    void run_admin(const std::string& json) { client_.run_command("admin", json); }

    testsupport::Client client_;
    std::string db_;
    std::mt19937_64 rng_;
    int operations_ = 0;
    std::atomic<bool> may_drop_database_{false};
};

// Where in tributary's life a kill lands: right after start (catalog), during the copy, as
// replication starts (catch-up), or while it follows the stream (live).
enum class Phase { kCatalog, kCopy, kCatchUp, kLive };

class TortureTest : public tributary_test::ReplicateSyncTest,
                    public testing::WithParamInterface<const char*> {
  protected:
    // Starts sync, waits until the targeted phase is reached (or the process has moved past
    // it), waits a random moment more, then kills it with SIGKILL. Returns whether the run had
    // saved its checkpoint (the first save follows the "Syncing" line).
    bool run_and_kill(Phase phase, std::mt19937_64& rng) {
        TributaryProcess sync(sync_args({"--range-docs", "300", "--copy-workers", "2"}));
        // A phase already behind this run (the copy, once complete) counts as reached when the
        // next one starts.
        auto reached = [&](std::vector<const char*> texts) {
            eventually(
                [&] {
                    for (const char* text : texts)
                        if (sync.output_contains(text)) return true;
                    return sync.exit_code().has_value();
                },
                std::chrono::seconds(30));
        };
        if (phase == Phase::kCopy) reached({"Copying collection", "change stream started"});
        if (phase == Phase::kCatchUp || phase == Phase::kLive) reached({"change stream started"});
        int delay_ms =
            std::uniform_int_distribution<int>(0, phase == Phase::kLive ? 3000 : 300)(rng);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));  // a random moment
        if (auto code = sync.exit_code(); code && *code != 0) {
            ADD_FAILURE() << "tributary exited " << *code << " before it was killed:\n"
                          << sync.output();
            return false;
        }
        sync.kill_hard();
        return sync.output_contains("Copying collection") ||
               sync.output_contains("change stream started") ||
               sync.output_contains("Resuming run");
    }
};

TEST_P(TortureTest, RandomWritesAndDdlWithKillsAtRandomMomentsConverge) {
    start_servers(GetParam());
    const uint64_t seed = static_cast<uint64_t>(
        env_int("TRIBUTARY_TORTURE_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
    const int kills = env_int("TRIBUTARY_TORTURE_KILLS", 20);
    SCOPED_TRACE("replay with TRIBUTARY_TORTURE_SEED=" + std::to_string(seed));
    std::cout << "torture: seed " << seed << ", " << kills << " kills" << std::endl;
    const auto started = std::chrono::steady_clock::now();
    std::mt19937_64 rng(seed);

    RandomWriter seeder(source_server_.uri, db_, seed + 1);
    seeder.seed(5000);
    std::atomic<bool> stop{false};
    RandomWriter writer(source_server_.uri, db_, seed + 2);
    std::thread writing([&] { writer.run(stop); });

    // The first kills land in the copy (each restart resumes it); later ones spread over every
    // phase, since a kill before the copy ends keeps the catalog and copy phases reachable.
    for (int kill = 0; kill < kills && !HasFailure(); ++kill) {
        Phase phase =
            kill < 6 ? (kill % 2 ? Phase::kCopy : Phase::kCatalog) : static_cast<Phase>(kill % 4);
        if (run_and_kill(phase, rng)) writer.allow_database_drop();
    }
    stop = true;
    writing.join();
    ASSERT_FALSE(HasFailure());

    std::cout << "torture: " << writer.operations() << " writes and " << kills << " kills in "
              << seconds_since(started) << " s" << std::endl;
    auto sync = start_sync();
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(90)))
        << report << "after " << writer.operations() << " writes and " << kills << " kills\n"
        << sync->output();
    std::cout << "torture: converged or gave up " << seconds_since(started) << " s after the start"
              << std::endl;
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

INSTANTIATE_TEST_SUITE_P(Sources, TortureTest, testing::Values("4.4", "7.0"), [](const auto& info) {
    return std::string("from_") + (info.param[0] == '4' ? "44" : "70");
});

}  // namespace
