// Integration: behaviours a fidelity review of testmongod found to differ from mongod, each
// checked against MongoDB's own tests or manual (cited per test).
#include <thread>

#include "storage_test_fixture.h"
#include "support/child_process.h"

namespace storagetest {
namespace {

class ReviewFidelityTest : public StorageTest {
  protected:
    // `command` is a JSON object without its closing brace; runs it in transaction `txn` of the
    // session `lsid`, starting the transaction when `start`.
    static std::string in_txn(const std::string& command, const std::string& lsid, int txn,
                              bool start = false) {
        return command + ", " + lsid + R"(, "txnNumber": {"$numberLong": ")" + std::to_string(txn) +
               R"("}, "autocommit": false)" + (start ? R"(, "startTransaction": true)" : "") + "}";
    }
    CommandResult commit(const std::string& lsid, int txn) {
        return run_admin(in_txn(R"({"commitTransaction": 1)", lsid, txn));
    }
    void create_with_unique_x() {
        ok(R"({"create": "c"})");
        ok(R"({"createIndexes": "c", "indexes": [{"key": {"x": 1}, "name": "x_1", "unique": true}]})");
    }
};

// jstests core/txns/transactions_write_conflicts_unique_indexes.js ("insert-insert conflict",
// T1StartsFirstAndWins): two transactions inserting different _ids with the same key of a unique
// index conflict at the second insert — WriteConflict (112), not a DuplicateKey at commit.
TEST_F(ReviewFidelityTest, SecondTransactionInsertingTheSameUniqueKeyGetsWriteConflict) {
    create_with_unique_x();
    std::string first = random_lsid_field(), second = random_lsid_field();
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 1, "x": 1}])", first, 1, true));
    CommandResult conflict =
        run(in_txn(R"({"insert": "c", "documents": [{"_id": 2, "x": 1}])", second, 1, true));
    EXPECT_EQ(conflict.code, 112) << conflict.reply.json();
    CommandResult committed = commit(first, 1);
    EXPECT_TRUE(committed.ok) << committed.reply.json();
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("_id"), 1);
}

// jstests core/txns/write_conflicts_with_non_txns.js: a write outside a transaction that meets
// the transaction's uncommitted write retries its write conflict until the transaction ends
// (bounded by maxTimeMS: MaxTimeMSExpired, 50). A uniquely indexed key the transaction inserted
// is such a write: the plain insert waits, and after the commit it is the duplicate (11000).
TEST_F(ReviewFidelityTest, PlainInsertOfAUniqueKeyAnOpenTransactionInsertedWaits) {
    create_with_unique_x();
    std::string lsid = random_lsid_field();
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 1, "x": 1}])", lsid, 1, true));
    CommandResult waited =
        run(R"({"insert": "c", "documents": [{"_id": 2, "x": 1}], "maxTimeMS": 200})");
    EXPECT_EQ(waited.code, 50) << waited.reply.json();
    CommandResult committed = commit(lsid, 1);
    EXPECT_TRUE(committed.ok) << committed.reply.json();
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("_id"), 1);
}

// jstests core/txns/libs/write_conflicts.js (T2StartsSecondAndWins) and
// transactions_write_conflicts_unique_indexes.js: a key of a unique index written after the
// transaction's snapshot, by a write the snapshot does not see, is a write conflict for the
// transaction's insert of the same key (112, the transaction aborted), never a DuplicateKey at
// commit after part of the transaction was applied.
TEST_F(ReviewFidelityTest, TransactionInsertOfAUniqueKeyCommittedAfterItsSnapshotConflicts) {
    create_with_unique_x();
    std::string lsid = random_lsid_field();
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 10, "x": 5}])", lsid, 1, true));
    ok(R"({"insert": "c", "documents": [{"_id": 2, "x": 1}]})");
    CommandResult conflict =
        run(in_txn(R"({"insert": "c", "documents": [{"_id": 1, "x": 1}])", lsid, 1));
    EXPECT_EQ(conflict.code, 112) << conflict.reply.json();
    CommandResult committed = commit(lsid, 1);
    EXPECT_EQ(committed.code, 251) << committed.reply.json();
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("_id"), 2);
}

}  // namespace
}  // namespace storagetest
