// Integration: multi-document transactions (manual, "Transactions", "Transactions and
// Operations", "Production Considerations"). Writes become visible at commit, abort discards
// them, reads see a snapshot with the transaction's own writes, the first writer wins
// (WriteConflict with TransientTransactionError), NoSuchTransaction and re-commit answers, the
// commands a transaction may not run, and the change events of a committed transaction (lsid,
// txnNumber, one clusterTime, statement order; nothing for an aborted one).
#include <atomic>
#include <thread>

#include "storage_test_fixture.h"
#include "support/child_process.h"

namespace storagetest {
namespace {

uint64_t cluster_time(const Bson& event) {
    bson_iter_t iter;
    uint32_t t = 0, i = 0;
    if (bson_iter_init_find(&iter, event.get(), "clusterTime")) bson_iter_timestamp(&iter, &t, &i);
    return (uint64_t(t) << 32) | i;
}

class TransactionTest : public StorageTest {
  protected:
    // `command` is a JSON object without its closing brace; runs it in transaction `txn` of the
    // session `lsid`, starting the transaction when `start`.
    std::string in_txn(const std::string& command, int txn, bool start = false,
                       const std::string& lsid = "") {
        return command + ", " + (lsid.empty() ? lsid_ : lsid) +
               R"(, "txnNumber": {"$numberLong": ")" + std::to_string(txn) +
               R"("}, "autocommit": false)" + (start ? R"(, "startTransaction": true)" : "") + "}";
    }
    CommandResult commit(int txn, const std::string& lsid = "") {
        return run_admin(in_txn(R"({"commitTransaction": 1)", txn, false, lsid));
    }
    CommandResult abort_txn(int txn) { return run_admin(in_txn(R"({"abortTransaction": 1)", txn)); }
    static bool has_label(const Bson& reply, const std::string& label) {
        for (int i = 0; reply.has(("errorLabels." + std::to_string(i)).c_str()); ++i) {
            if (reply.string(("errorLabels." + std::to_string(i)).c_str()) == label) return true;
        }
        return false;
    }

    // The events a change stream (the aggregate's reply) returns, polled until `count` arrive.
    std::vector<Bson> next_events(const Bson& stream, size_t count) {
        std::vector<Bson> events = first_batch(stream);
        std::string cursor_id = std::to_string(stream.number("cursor.id"));
        testsupport::eventually(
            [&] {
                Bson more = ok(R"({"getMore": {"$numberLong": ")" + cursor_id +
                               R"("}, "collection": "c", "maxTimeMS": 200})");
                for (auto& event : first_batch(more, "cursor.nextBatch"))
                    events.push_back(std::move(event));
                return events.size() >= count;
            },
            std::chrono::seconds(10));
        return events;
    }

    std::string lsid_ = random_lsid_field();
};

TEST_F(TransactionTest, WritesBecomeVisibleOnlyAtCommit) {
    ok(R"({"create": "c"})");
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 1}])", 1, true));
    ok(in_txn(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 1}}}])", 1));
    EXPECT_EQ(find("c").size(), 0u) << "uncommitted writes are invisible outside";
    Bson inside = ok(in_txn(R"({"find": "c", "filter": {})", 1));
    ASSERT_EQ(first_batch(inside).size(), 1u) << "the transaction reads its own writes";
    EXPECT_EQ(first_batch(inside)[0].number("a"), 1);
    ASSERT_TRUE(commit(1).ok);
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("a"), 1);
    EXPECT_TRUE(commit(1).ok) << "committing a committed transaction again succeeds";
}

TEST_F(TransactionTest, AbortDiscardsTheWrites) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": 1}]})");
    ok(in_txn(R"({"delete": "c", "deletes": [{"q": {"_id": 1}, "limit": 1}])", 1, true));
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 2}])", 1));
    ASSERT_TRUE(abort_txn(1).ok);
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].number("_id"), 1);
    CommandResult again = commit(1);
    EXPECT_EQ(again.code, 251) << "NoSuchTransaction after abort";
    EXPECT_TRUE(has_label(again.reply, "TransientTransactionError")) << again.reply.json();
}

TEST_F(TransactionTest, ReadsSeeTheSnapshotNotLaterCommits) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": 1}, {"_id": 2, "x": 1}]})");
    ok(in_txn(R"({"find": "c", "filter": {"_id": 1})", 1, true));
    ok(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$set": {"x": 2}}}]})");
    ok(R"({"insert": "c", "documents": [{"_id": 3}]})");
    Bson inside = ok(in_txn(R"({"find": "c", "filter": {}, "sort": {"_id": 1})", 1));
    auto docs = first_batch(inside);
    ASSERT_EQ(docs.size(), 2u) << inside.json();
    EXPECT_EQ(docs[1].number("x"), 1);
    ASSERT_TRUE(commit(1).ok);
}

TEST_F(TransactionTest, SecondWriterOfADocumentGetsWriteConflictAndItsTransactionAborts) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": 0}]})");
    std::string other = random_lsid_field();
    ok(in_txn(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"x": 1}}}])", 1,
              true));
    CommandResult conflict =
        run(in_txn(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"x": 10}}}])", 1,
                   true, other));
    EXPECT_EQ(conflict.code, 112) << conflict.reply.json();
    EXPECT_TRUE(has_label(conflict.reply, "TransientTransactionError")) << conflict.reply.json();
    EXPECT_EQ(commit(1, other).code, 251) << "the conflicting transaction was aborted";
    ASSERT_TRUE(commit(1).ok);
    EXPECT_EQ(find("c")[0].number("x"), 1);
}

// mongod: a write outside a transaction that meets a document an open transaction wrote is
// retried on its write conflict (writeConflictRetry) until the transaction commits or aborts,
// bounded by maxTimeMS (MaxTimeMSExpired, 50). The waiting write runs on its own connection; it
// then applies to the committed document, or to the original after an abort.
TEST_F(TransactionTest, PlainWriteToADocumentOfAnOpenTransactionWaitsForItsEnd) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": 0}, {"_id": 2, "x": 0}]})");
    const std::string increment_1 =
        R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"x": 10}}}])";
    const std::string increment_2 =
        R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$inc": {"x": 10}}}])";
    ok(in_txn(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"x": 1}}}])", 1,
              true));
    CommandResult bounded = run(increment_1 + R"(, "maxTimeMS": 100})");
    EXPECT_EQ(bounded.code, 50) << "the write waits until maxTimeMS: " << bounded.reply.json();

    testsupport::Client other(server_->uri);
    std::thread waiting([&] { EXPECT_TRUE(other.run_command(db_, increment_1 + "}").ok); });
    EXPECT_TRUE(commit(1).ok) << "the transaction keeps its document while the write waits";
    waiting.join();
    EXPECT_EQ(find("c")[0].number("x"), 11) << "applied after the commit";

    ok(in_txn(R"({"update": "c", "updates": [{"q": {"_id": 2}, "u": {"$set": {"x": 1}}}])", 2,
              true));
    std::thread after_abort([&] { EXPECT_TRUE(other.run_command(db_, increment_2 + "}").ok); });
    EXPECT_TRUE(abort_txn(2).ok);
    after_abort.join();
    EXPECT_EQ(find("c")[1].number("x"), 10) << "applied to the original after the abort";
}

// The same wait while another client writes to another collection: those writes are not the
// waiting statement's, so it still waits (here until maxTimeMS, 50) rather than failing with a
// WriteConflict mongod would not give. The filter (no index) scans every document, so the other
// client's inserts land between the statement's start and its meeting the claimed document.
TEST_F(TransactionTest, PlainWriteWaitsForATransactionWhileOthersWriteElsewhere) {
    std::string documents;
    for (int i = 0; i < 50000; ++i)
        documents += (i ? ", " : "") + std::string(R"({"n": )") + std::to_string(i) + "}";
    ok(R"({"insert": "c", "documents": [)" + documents + "]}");
    ok(in_txn(R"({"update": "c", "updates": [{"q": {"n": 49999}, "u": {"$set": {"x": 1}}}])", 1,
              true));
    ok(R"({"create": "other"})");  // its writers then need no exclusive catalog lock
    std::atomic<bool> stop = false;
    testsupport::Client other(server_->uri);
    std::thread elsewhere([&] {
        while (!stop)
            other.run_command(db_, R"({"insert": "other", "documents": [{}]})");
    });
    CommandResult waited = run(R"({"update": "c", "updates": [{"q": {"n": 49999},)"
                               R"( "u": {"$set": {"y": 1}}}], "maxTimeMS": 300})");
    stop = true;
    elsewhere.join();
    EXPECT_EQ(waited.code, 50) << "the write waits for the transaction: " << waited.reply.json();
    EXPECT_TRUE(abort_txn(1).ok);
}

TEST_F(TransactionTest, WriteToADocumentChangedAfterTheSnapshotConflicts) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": 0}, {"_id": 2}]})");
    ok(in_txn(R"({"find": "c", "filter": {"_id": 2})", 1, true));
    ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"x": 5}}}]})");
    CommandResult conflict = run(
        in_txn(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"x": 1}}}])", 1));
    EXPECT_EQ(conflict.code, 112) << conflict.reply.json();
    EXPECT_EQ(find("c")[0].number("x"), 5);
}

TEST_F(TransactionTest, StatementsOfAnUnknownTransactionAreNoSuchTransaction) {
    CommandResult result = run(in_txn(R"({"find": "c", "filter": {})", 3));
    EXPECT_EQ(result.code, 251);
    EXPECT_TRUE(has_label(result.reply, "TransientTransactionError")) << result.reply.json();
}

TEST_F(TransactionTest, CountAndCatalogCommandsAreNotAllowedInATransaction) {
    ok(R"({"create": "c"})");
    ok(in_txn(R"({"find": "c", "filter": {})", 1, true));
    CommandResult count = run(in_txn(R"({"count": "c")", 1));
    EXPECT_EQ(count.code, 263) << count.reply.json();
    EXPECT_EQ(run(in_txn(R"({"find": "c", "filter": {})", 2, true)).ok, true);
    EXPECT_EQ(run(in_txn(R"({"drop": "c")", 2)).code, 263);
    EXPECT_EQ(
        run(in_txn(R"({"aggregate": "c", "pipeline": [{"$out": "d"}], "cursor": {})", 3, true))
            .code,
        263);
}

TEST_F(TransactionTest, OnlyTheFirstStatementMayGiveAReadConcern) {
    ok(R"({"create": "c"})");
    ok(in_txn(R"({"find": "c", "filter": {}, "readConcern": {"level": "snapshot"})", 1, true));
    EXPECT_EQ(run(in_txn(R"({"find": "c", "readConcern": {"level": "snapshot"})", 1)).code, 72);
    EXPECT_EQ(run(in_txn(R"({"find": "c", "readConcern": {"level": "available"})", 2, true)).code,
              72);
}

TEST_F(TransactionTest, OlderTxnNumberIsTransactionTooOld) {
    ok(R"({"create": "c"})");
    ok(in_txn(R"({"find": "c", "filter": {})", 5, true));
    EXPECT_EQ(run(in_txn(R"({"find": "c", "filter": {})", 4, true)).code, 225);
}

// jstests noPassthrough/readConcern_atClusterTime.js: a transaction's atClusterTime may not be
// ahead of the cluster time, needs level "snapshot" (InvalidOptions, 72) and must be a Timestamp
// (TypeMismatch, 14); the transaction then never started (abort: NoSuchTransaction, 251). An
// atClusterTime older than the history the server keeps is SnapshotTooOld (239; jstests
// read_at_cluster_time_outside_transactions.js).
TEST_F(TransactionTest, AtClusterTimeAheadOfTheClusterTimeOrWithoutSnapshotIsRefused) {
    ok(R"({"create": "c"})");
    auto find_at = [&](const std::string& level, const std::string& at, int txn) {
        return run(in_txn(R"({"find": "c", "readConcern": {"level": ")" + level +
                              R"(", "atClusterTime": )" + at + "}",
                          txn, true));
    };
    CommandResult ahead = find_at("snapshot", R"({"$timestamp": {"t": 4000000000, "i": 1}})", 1);
    EXPECT_EQ(ahead.code, 72) << ahead.reply.json();
    EXPECT_EQ(abort_txn(1).code, 251);
    const std::string long_ago = R"({"$timestamp": {"t": 1, "i": 1}})";
    CommandResult local = find_at("local", long_ago, 2);
    EXPECT_EQ(local.code, 72) << local.reply.json();
    CommandResult old = find_at("snapshot", long_ago, 3);
    EXPECT_EQ(old.code, 239) << old.reply.json();
    CommandResult text = find_at("snapshot", R"("bad")", 4);
    EXPECT_EQ(text.code, 14) << text.reply.json();
    EXPECT_EQ(abort_txn(4).code, 251);
}

// Manual, "Production Considerations: Runtime Limit": transactionLifetimeLimitSeconds aborts a
// transaction that runs longer.
TEST_F(TransactionTest, TransactionOlderThanTheLifetimeLimitIsAborted) {
    ok(R"({"insert": "c", "documents": [{"_id": 1}]})");
    auto set = run_admin(R"({"setParameter": 1, "transactionLifetimeLimitSeconds": 1})");
    ASSERT_TRUE(set.ok) << set.error;
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 2}])", 1, true));
    bool aborted = testsupport::eventually(
        [&] { return run(in_txn(R"({"find": "c", "filter": {})", 1)).code == 251; });
    run_admin(R"({"setParameter": 1, "transactionLifetimeLimitSeconds": 60})");
    EXPECT_TRUE(aborted);
    EXPECT_EQ(commit(1).code, 251);
    EXPECT_EQ(find("c").size(), 1u);
}

// Manual, "Create Collections and Indexes in a Transaction" (4.4+): the collection exists for
// others only after the commit.
TEST_F(TransactionTest, CollectionCreatedInATransactionAppearsAtCommit) {
    ok(R"({"create": "other"})");
    ok(in_txn(R"({"create": "c")", 1, true));
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 1}])", 1));
    Bson before = ok(R"({"listCollections": 1, "filter": {"name": "c"}})");
    EXPECT_EQ(first_batch(before).size(), 0u) << before.json();
    ASSERT_TRUE(commit(1).ok);
    EXPECT_EQ(find("c").size(), 1u);
}

// Manual, "Transactions and Operations: Create Collections and Indexes in a Transaction" (4.4+):
// an index on a collection the transaction creates (explicitly or by createIndexes itself) is
// built in the transaction and appears at commit; an existing collection cannot get one (263).
TEST_F(TransactionTest, IndexOnACollectionCreatedInTheTransactionAppearsAtCommit) {
    auto index_names = [&](const std::string& coll) {
        CommandResult listed = run(R"({"listIndexes": ")" + coll + R"("})");
        std::vector<std::string> names;
        if (!listed.ok) return names;
        for (const Bson& index : first_batch(listed.reply))
            names.push_back(index.string("name"));
        return names;
    };
    const std::string index = R"(, "indexes": [{"key": {"x": 1}, "name": "x_1"}])";
    ok(in_txn(R"({"createIndexes": "fresh")" + index, 1, true));
    ok(in_txn(R"({"create": "explicit")", 1));
    ok(in_txn(R"({"createIndexes": "explicit")" + index, 1));
    EXPECT_TRUE(index_names("fresh").empty()) << "invisible before the commit";
    CommandResult committed = commit(1);
    ASSERT_TRUE(committed.ok) << committed.reply.json();
    EXPECT_EQ(index_names("fresh"), (std::vector<std::string>{"_id_", "x_1"}));
    EXPECT_EQ(index_names("explicit"), (std::vector<std::string>{"_id_", "x_1"}));

    CommandResult existing = run(in_txn(
        R"({"createIndexes": "fresh", "indexes": [{"key": {"y": 1}, "name": "y_1"}])", 2, true));
    EXPECT_EQ(existing.code, 263) << existing.reply.json();
}

TEST_F(TransactionTest, LibmongocSessionTransactionCommits) {
    ok(R"({"create": "c"})");
    bson_error_t error;
    mongoc_client_session_t* session = mongoc_client_start_session(client_->get(), nullptr, &error);
    ASSERT_NE(session, nullptr) << error.message;
    ASSERT_TRUE(mongoc_client_session_start_transaction(session, nullptr, &error)) << error.message;
    Bson opts;
    ASSERT_TRUE(mongoc_client_session_append(session, opts.get(), &error)) << error.message;
    mongoc_collection_t* coll = client_->collection(db_, "c");
    for (int i = 1; i <= 2; ++i) {
        Bson doc = Bson::from_json("{\"_id\": " + std::to_string(i) + "}");
        EXPECT_TRUE(mongoc_collection_insert_one(coll, doc.get(), opts.get(), nullptr, &error))
            << error.message;
    }
    EXPECT_EQ(find("c").size(), 0u);
    Bson reply;
    EXPECT_TRUE(mongoc_client_session_commit_transaction(session, reply.get(), &error))
        << error.message;
    mongoc_collection_destroy(coll);
    mongoc_client_session_destroy(session);
    EXPECT_EQ(find("c").size(), 2u);
}

// Change events of a transaction carry lsid and txnNumber and the commit's clusterTime, in
// statement order (manual, "Change Events"); an aborted transaction emits nothing.
TEST_F(TransactionTest, CommittedTransactionEmitsEventsWithLsidAndOneClusterTime) {
    ok(R"({"create": "c"})");
    Bson stream = ok(R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 9}])", 1, true));
    ASSERT_TRUE(abort_txn(1).ok);
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 2}])", 2, true));
    ok(in_txn(R"({"delete": "c", "deletes": [{"q": {"_id": 1}, "limit": 1}])", 2));
    ASSERT_TRUE(commit(2).ok);
    std::vector<Bson> events = next_events(stream, 3);
    ASSERT_EQ(events.size(), 3u) << (events.empty() ? "" : events[0].json());
    const char* types[] = {"insert", "insert", "delete"};
    int ids[] = {1, 2, 1};
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(events[i].string("operationType"), types[i]);
        EXPECT_EQ(events[i].number("documentKey._id"), ids[i]);
        EXPECT_EQ(events[i].number("txnNumber"), 2);
        EXPECT_TRUE(events[i].has("lsid.id")) << events[i].json();
        EXPECT_EQ(cluster_time(events[i]), cluster_time(events[0]));
    }
    EXPECT_LT(events[0].string("_id._data"), events[1].string("_id._data"));
    EXPECT_LT(events[1].string("_id._data"), events[2].string("_id._data"));
}

// A stream resumes after any event of a transaction, also when the transaction's first
// operation is on another collection (its events differ by txnOpIndex in their tokens).
TEST_F(TransactionTest, StreamResumesAfterAnEventInTheMiddleOfATransaction) {
    ok(R"({"create": "c"})");
    ok(R"({"create": "d"})");
    Bson stream = ok(R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    ok(in_txn(R"({"insert": "d", "documents": [{"_id": 0}])", 1, true));
    ok(in_txn(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 2}, {"_id": 3}])", 1));
    ASSERT_TRUE(commit(1).ok);
    std::vector<Bson> events = next_events(stream, 3);
    ASSERT_EQ(events.size(), 3u);
    Bson resumed = ok(R"({"aggregate": "c", "pipeline": [{"$changeStream": {"resumeAfter": )" +
                      events[0].document("_id").json() + R"(}}], "cursor": {}})");
    std::vector<Bson> rest = next_events(resumed, 2);
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[0].number("documentKey._id"), 2);
    EXPECT_EQ(rest[1].number("documentKey._id"), 3);
}

// Manual, "Read Concern \"snapshot\"" (5.0+): outside a transaction a find reads the data as of
// atClusterTime, or as of now without it.
TEST_F(TransactionTest, SnapshotReadAtClusterTimeSeesTheDataOfThatTime) {
    Bson inserted = ok(R"({"insert": "c", "documents": [{"_id": 1, "x": 1}]})");
    bson_iter_t iter;
    uint32_t t = 0, i = 0;
    ASSERT_TRUE(bson_iter_init_find(&iter, inserted.get(), "operationTime"));
    bson_iter_timestamp(&iter, &t, &i);
    ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"x": 2}}}]})");
    std::string at =
        R"({"$timestamp": {"t": )" + std::to_string(t) + R"(, "i": )" + std::to_string(i) + "}}";
    Bson then =
        ok(R"({"find": "c", "readConcern": {"level": "snapshot", "atClusterTime": )" + at + "}}");
    ASSERT_EQ(first_batch(then).size(), 1u) << then.json();
    EXPECT_EQ(first_batch(then)[0].number("x"), 1);
    Bson now = ok(R"({"find": "c", "readConcern": {"level": "snapshot"}})");
    EXPECT_EQ(first_batch(now)[0].number("x"), 2);
}

}  // namespace
}  // namespace storagetest
