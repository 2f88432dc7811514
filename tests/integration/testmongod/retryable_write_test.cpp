// Integration: retryable writes (manual, "Retryable Writes"; driver spec retryable-writes). A
// write command with lsid + txnNumber records each executed statement; a retry with the same
// lsid and txnNumber is answered from that record instead of running again, for insert, update,
// delete (also batches where only some statements ran) and findAndModify. An older txnNumber is
// TransactionTooOld (225); multi-document updates and deletes are not retryable.
#include "storage_test_fixture.h"

namespace storagetest {
namespace {

class RetryableWriteTest : public StorageTest {
  protected:
    std::string lsid_ = random_lsid_field();

    // `command` is a JSON object without its closing brace; adds lsid and txnNumber.
    std::string retryable(const std::string& command, int txn_number) {
        return command + ", " + lsid_ + R"(, "txnNumber": {"$numberLong": ")" +
               std::to_string(txn_number) + R"("}})";
    }
};

TEST_F(RetryableWriteTest, RetriedInsertIsAnsweredFromTheRecordWithoutDuplicateKey) {
    std::string insert = retryable(R"({"insert": "c", "documents": [{"_id": 1}])", 1);
    EXPECT_EQ(ok(insert).number("n"), 1);
    Bson retry = ok(insert);
    EXPECT_EQ(retry.number("n"), 1);
    EXPECT_FALSE(retry.has("writeErrors")) << retry.json();
    EXPECT_EQ(find("c").size(), 1u);
}

TEST_F(RetryableWriteTest, RetriedIncrementIsNotAppliedTwice) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": 0}]})");
    std::string update =
        retryable(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"x": 1}}}])", 1);
    ok(update);
    Bson retry = ok(update);
    EXPECT_EQ(retry.number("n"), 1);
    EXPECT_EQ(retry.number("nModified"), 1);
    EXPECT_EQ(find("c")[0].number("x"), 1);
    ok(retryable(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"x": 1}}}])", 2));
    EXPECT_EQ(find("c")[0].number("x"), 2) << "a new txnNumber is a new write";
}

TEST_F(RetryableWriteTest, RetriedUpsertReportsTheOriginalUpsertedId) {
    std::string upsert = retryable(
        R"({"update": "c", "updates": [{"q": {"_id": 5}, "u": {"$set": {"y": 1}}, "upsert": true}])",
        1);
    EXPECT_EQ(ok(upsert).number("upserted.0._id"), 5);
    Bson retry = ok(upsert);
    EXPECT_EQ(retry.number("n"), 1);
    EXPECT_EQ(retry.number("upserted.0._id"), 5);
}

TEST_F(RetryableWriteTest, RetriedBatchRunsOnlyTheStatementsThatDidNotRun) {
    ok(R"({"insert": "c", "documents": [{"_id": 2}]})");
    std::string insert = retryable(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 2}])", 1);
    Bson first = ok(insert);
    EXPECT_EQ(first.number("n"), 1);
    EXPECT_EQ(first.number("writeErrors.0.index"), 1);
    ok(R"({"delete": "c", "deletes": [{"q": {"_id": 2}, "limit": 1}]})");
    Bson retry = ok(insert);
    EXPECT_EQ(retry.number("n"), 2);
    EXPECT_FALSE(retry.has("writeErrors")) << retry.json();
    EXPECT_EQ(find("c").size(), 2u);
}

TEST_F(RetryableWriteTest, RetriedDeleteCountsTheOriginalDeletion) {
    ok(R"({"insert": "c", "documents": [{"_id": 1}, {"_id": 2}]})");
    std::string remove =
        retryable(R"({"delete": "c", "deletes": [{"q": {"_id": 1}, "limit": 1}])", 1);
    EXPECT_EQ(ok(remove).number("n"), 1);
    EXPECT_EQ(ok(remove).number("n"), 1);
    EXPECT_EQ(find("c").size(), 1u);
}

TEST_F(RetryableWriteTest, RetriedFindAndModifyReturnsTheOriginalImage) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": 0}]})");
    std::string fam = retryable(
        R"({"findAndModify": "c", "query": {"_id": 1}, "update": {"$inc": {"x": 1}}, "new": true)",
        1);
    EXPECT_EQ(ok(fam).number("value.x"), 1);
    Bson retry = ok(fam);
    EXPECT_EQ(retry.number("value.x"), 1) << retry.json();
    EXPECT_EQ(retry.number("lastErrorObject.n"), 1);
    EXPECT_EQ(find("c")[0].number("x"), 1);
}

TEST_F(RetryableWriteTest, OlderTxnNumberIsTransactionTooOld) {
    ok(retryable(R"({"insert": "c", "documents": [{"_id": 1}])", 5));
    fails(retryable(R"({"insert": "c", "documents": [{"_id": 2}])", 4), 225);
}

// mongod: "Cannot use (or request) retryable writes with multi=true" (InvalidOptions) as the
// statement's write error.
TEST_F(RetryableWriteTest, MultiUpdateAndDeleteAreNotRetryable) {
    ok(R"({"insert": "c", "documents": [{"_id": 1}]})");
    Bson update = ok(retryable(
        R"({"update": "c", "updates": [{"q": {}, "u": {"$set": {"a": 1}}, "multi": true}])", 1));
    EXPECT_EQ(update.number("writeErrors.0.code"), 72) << update.json();
    Bson remove = ok(retryable(R"({"delete": "c", "deletes": [{"q": {}, "limit": 0}])", 2));
    EXPECT_EQ(remove.number("writeErrors.0.code"), 72) << remove.json();
    EXPECT_EQ(find("c").size(), 1u);
}

// The retryable-writes spec tests' fail point: the write is kept but the connection closes
// before the reply, so libmongoc (retryWrites=true) retries once and must get the recorded
// result, not a duplicate key error.
TEST_F(RetryableWriteTest, DriverRetryAfterClosedConnectionGetsTheRecordedResult) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    auto configured = run_admin(
        R"({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": {"times": 1},
            "data": {"closeConnection": true}})");
    ASSERT_TRUE(configured.ok) << configured.error;
    mongoc_collection_t* coll = client_->collection(db_, "c");
    Bson doc = Bson::from_json(R"({"_id": 1})");
    bson_error_t error;
    bool inserted = mongoc_collection_insert_one(coll, doc.get(), nullptr, nullptr, &error);
    mongoc_collection_destroy(coll);
    run_admin(R"({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": "off"})");
    EXPECT_TRUE(inserted) << error.message;
    EXPECT_EQ(find("c").size(), 1u);
}

TEST_F(RetryableWriteTest, FailBeforeCommitExceptionCodeFailsTheStatementWithoutWriting) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    auto configured = run_admin(
        R"({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": {"times": 1},
            "data": {"closeConnection": false, "failBeforeCommitExceptionCode": 1}})");
    ASSERT_TRUE(configured.ok) << configured.error;
    std::string insert = retryable(R"({"insert": "c", "documents": [{"_id": 1}])", 1);
    CommandResult first = run(insert);
    run_admin(R"({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": "off"})");
    EXPECT_TRUE(!first.ok || first.reply.has("writeErrors")) << first.reply.json();
    EXPECT_EQ(find("c").size(), 0u);
    EXPECT_EQ(ok(insert).number("n"), 1) << "the retry runs the statement";
    EXPECT_EQ(find("c").size(), 1u);
}

// mongod's onPrimaryTransactionalWrite (transaction_participant.cpp) first closes the connection
// (closeConnection defaults to true), then throws failBeforeCommitExceptionCode so that the write
// is not kept: the driver sees a network error, retries, and the retry writes (the spec tests
// "... is not committed on first attempt"). Both for a write error (insert) and for a command
// error (findAndModify).
TEST_F(RetryableWriteTest, FailBeforeCommitWithDefaultCloseConnectionIsRetriedByTheDriver) {
    ok(R"({"insert": "c", "documents": [{"_id": 1, "x": 1}]})");
    auto fail_next_write = [&] {
        auto configured = run_admin(
            R"({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": {"times": 1},
                "data": {"failBeforeCommitExceptionCode": 1}})");
        ASSERT_TRUE(configured.ok) << configured.error;
    };
    mongoc_collection_t* coll = client_->collection(db_, "c");
    fail_next_write();
    Bson doc = Bson::from_json(R"({"_id": 2})");
    bson_error_t error;
    bool inserted = mongoc_collection_insert_one(coll, doc.get(), nullptr, nullptr, &error);
    EXPECT_TRUE(inserted) << error.message;
    fail_next_write();
    Bson query = Bson::from_json(R"({"_id": 1})");
    Bson update = Bson::from_json(R"({"$inc": {"x": 1}})");
    Bson reply;
    bool modified =
        mongoc_collection_find_and_modify(coll, query.get(), nullptr, update.get(), nullptr, false,
                                          false, false, reply.get(), &error);
    mongoc_collection_destroy(coll);
    run_admin(R"({"configureFailPoint": "onPrimaryTransactionalWrite", "mode": "off"})");
    EXPECT_TRUE(modified) << error.message;
    auto docs = find("c");
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0].number("x"), 2) << "the increment is applied once, by the retry";
}

// https://www.mongodb.com/docs/manual/reference/command/nav-sessions/
TEST_F(RetryableWriteTest, SessionCommandsAcceptSessionIdsAndPatterns) {
    ok(retryable(R"({"insert": "c", "documents": [{"_id": 1}])", 1));
    ASSERT_TRUE(run_admin("{\"endSessions\": [" + lsid_.substr(lsid_.find('{')) + "]}").ok);
    ASSERT_TRUE(run_admin(R"({"refreshSessions": []})").ok);
    ASSERT_TRUE(run_admin(R"({"killAllSessions": []})").ok);
    ASSERT_TRUE(run_admin(R"({"killAllSessionsByPattern": []})").ok);
}

}  // namespace
}  // namespace storagetest
