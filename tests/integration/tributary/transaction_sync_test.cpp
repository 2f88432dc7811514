// Source transactions on the destination: with --transactions atomic (the default) the writes of
// one source transaction (one lsid + txnNumber) are applied in one destination transaction, so a
// reader of the destination never sees part of it; --transactions split applies them write by
// write. Manual: "Transactions" and "Change Events" (lsid, txnNumber).
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::eventually;
using tributary_test::ReplicateSyncTest;

constexpr int kDocumentsPerTransaction = 40;

class TransactionSyncTest : public ReplicateSyncTest,
                            public testing::WithParamInterface<const char*> {
  protected:
    void TearDown() override {
        if (dest_) {  // the servers are shared by the tests of this binary
            dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": "off"})");
            dest_->run_command("admin",
                               R"({"setParameter": 1, "transactionLifetimeLimitSeconds": 60})");
        }
        ReplicateSyncTest::TearDown();
    }

    // {"insert": coll, "documents": [...]} of kDocumentsPerTransaction documents, in a transaction.
    static std::string insert_in_transaction(const std::string& coll, const std::string& session,
                                             bool first) {
        std::string command = R"({"insert": ")" + coll + R"(", "documents": [)";
        for (int id = 0; id < kDocumentsPerTransaction; ++id) {
            command += (id > 0 ? "," : "") + std::string(R"({"_id": )") + std::to_string(id) +
                       R"(, "side": ")" + coll + R"("})";
        }
        return command + "]," + session + (first ? R"(, "startTransaction": true)" : "") + "}";
    }

    // One source transaction inserting kDocumentsPerTransaction documents into each of
    // `collections`.
    void commit_transaction(const std::vector<std::string>& collections) {
        const std::string session =
            R"("lsid": {"id": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}}},
               "txnNumber": {"$numberLong": "1"}, "autocommit": false)";
        for (size_t i = 0; i < collections.size(); ++i)
            source_command(insert_in_transaction(collections[i], session, i == 0));
        auto commit = source_->run_command("admin", R"({"commitTransaction": 1, )" + session + "}");
        ASSERT_TRUE(commit.ok) << commit.error;
    }

    // The numbers of documents in `a` and `b` read in one snapshot of the destination.
    std::pair<int64_t, int64_t> destination_counts(int64_t txn_number) {
        const std::string session =
            R"("lsid": {"id": {"$binary": {"base64": "EBESExQVFhcYGRobHB0eHw==", "subType": "04"}}},
               "txnNumber": {"$numberLong": ")" +
            std::to_string(txn_number) + R"("}, "autocommit": false)";
        auto a =
            dest_->run_command(db_, count_command("a") + R"(, "readConcern": {"level": "snapshot"},
                                         "startTransaction": true, )" +
                                        session + "}");
        auto b = dest_->run_command(db_, count_command("b") + ", " + session + "}");
        dest_->run_command("admin", R"({"abortTransaction": 1, )" + session + "}");
        EXPECT_TRUE(a.ok && b.ok) << a.error << b.error;
        return {count_in(a), count_in(b)};
    }

    // An aggregate counting `coll` (count itself is not allowed in a transaction), unclosed.
    static std::string count_command(const std::string& coll) {
        return R"({"aggregate": ")" + coll + R"(", "pipeline": [{"$count": "n"}], "cursor": {})";
    }
    static int64_t count_in(const testsupport::CommandResult& result) {
        if (!result.ok) return -1;
        try {
            return result.reply.number("cursor.firstBatch.0.n");
        } catch (const std::out_of_range&) {
            return 0;  // $count returns no document for an empty collection
        }
    }
    // Polls the destination until the transaction is there; false when a snapshot saw part of it.
    bool never_seen_in_part(std::string* seen) {
        for (int64_t txn = 1;; ++txn) {
            auto [a, b] = destination_counts(txn);
            if (a != b) {
                *seen = "a: " + std::to_string(a) + ", b: " + std::to_string(b);
                return false;
            }
            if (a == kDocumentsPerTransaction) return true;
            if (txn > 20000) {
                *seen = "never applied";
                return false;
            }
        }
    }

    // Every write tributary sends to the destination waits `ms`.
    void slow_down_destination_writes(int ms) {
        auto result = dest_->run_command("admin", R"({"configureFailPoint": "failCommand",
            "mode": "alwaysOn", "data": {"failCommands": ["insert", "update", "delete"],
            "appName": "tributary", "blockConnection": true, "blockTimeMS": )" +
                                                      std::to_string(ms) + "}}");
        ASSERT_TRUE(result.ok) << result.error;
    }
};

TEST_P(TransactionSyncTest, ASourceTransactionIsNeverSeenInPartOnTheDestination) {
    start_servers(GetParam());
    source_command(R"({"create": "a"})");
    source_command(R"({"create": "b"})");
    auto sync = start_sync();
    // The write-by-write path would leave the first collection's writes visible 100 ms before
    // the second's.
    slow_down_destination_writes(100);
    commit_transaction({"a", "b"});
    std::string seen;
    EXPECT_TRUE(never_seen_in_part(&seen)) << seen << "\n" << sync->output();
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

TEST_P(TransactionSyncTest, SplitAppliesTheTransactionWriteByWrite) {
    start_servers(GetParam());
    source_command(R"({"create": "a"})");
    source_command(R"({"create": "b"})");
    auto sync = start_sync({"--transactions", "split"});
    commit_transaction({"a", "b"});
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

// A write of the transaction that fails on the destination's state (here a document changed on
// the destination so that the source's $set path no longer fits) aborts the destination
// transaction: it is then applied write by write, whose stale-state repair reads the source.
TEST_P(TransactionSyncTest, ATransactionThatConflictsWithTheDestinationIsAppliedWriteByWrite) {
    start_servers(GetParam());
    source_command(R"({"insert": "a", "documents": [{"_id": 1, "x": {"y": 1}}]})");
    source_command(R"({"create": "b"})");
    auto sync = start_sync();
    dest_command(R"({"update": "a", "updates": [{"q": {"_id": 1}, "u": {"x": 5}}]})");
    const std::string session =
        R"("lsid": {"id": {"$binary": {"base64": "ICEiIyQlJicoKSorLC0uLw==", "subType": "04"}}},
           "txnNumber": {"$numberLong": "1"}, "autocommit": false)";
    source_command(R"({"update": "a", "updates": [{"q": {"_id": 1}, "u": {"$set": {"x.z": 2}}}],
                       "startTransaction": true, )" +
                   session + "}");
    source_command(R"({"insert": "b", "documents": [{"_id": 1}], )" + session + "}");
    auto commit = source_->run_command("admin", R"({"commitTransaction": 1, )" + session + "}");
    ASSERT_TRUE(commit.ok) << commit.error;
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync->output();
    EXPECT_TRUE(sync->output_contains("cannot be applied as one destination transaction"))
        << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

// A transaction the destination cannot apply within its transactionLifetimeLimitSeconds (a slow
// destination, a large transaction) is aborted by it at every attempt: it is applied write by
// write instead of stopping replication, at every restart again, for good.
TEST_P(TransactionSyncTest,
       ATransactionTheDestinationCannotFinishInItsLifetimeIsAppliedWriteByWrite) {
    start_servers(GetParam());
    const std::vector<std::string> collections{"a", "b", "c", "d"};
    for (const std::string& coll : collections)
        source_command(R"({"create": ")" + coll + R"("})");
    auto sync = start_sync();
    auto limit =
        dest_->run_command("admin", R"({"setParameter": 1, "transactionLifetimeLimitSeconds": 1})");
    ASSERT_TRUE(limit.ok) << limit.error;
    slow_down_destination_writes(400);  // four bulks: 1.6 s in one destination transaction
    commit_transaction(collections);
    std::string report;
    EXPECT_TRUE(converges(&report, std::chrono::seconds(120))) << report << sync->output();
    EXPECT_TRUE(sync->output_contains("cannot be applied as one destination transaction"))
        << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

// Killed after the destination committed a transaction and before its resume token was saved,
// the next run applies the same transaction again over it (its inserts as upserting
// replacements): nothing duplicated, nothing failed.
TEST_P(TransactionSyncTest, ATransactionAppliedBeforeACrashIsAppliedAgainIdempotently) {
    start_servers(GetParam());
    source_command(R"({"create": "a"})");
    source_command(R"({"create": "b"})");
    {
        tributary_test::TributaryProcess first(sync_args(),
                                               {"TRIBUTARY_CRASH_AT=transaction-applied"});
        ASSERT_TRUE(eventually([&] { return first.output_contains("change stream started"); }))
            << first.output();
        commit_transaction({"a", "b"});
        ASSERT_EQ(first.wait(std::chrono::seconds(60)), 128 + SIGKILL) << first.output();
    }
    auto sync = start_sync();
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, TransactionSyncTest, testing::Values("4.4", "7.0"));

}  // namespace
