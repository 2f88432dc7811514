// Server sessions, as mongod keeps them (src/mongo/db/session/, transaction_participant.cpp):
// the session catalog keyed by the lsid document, each session's newest txnNumber, the
// statements its retryable write executed (a retry is answered from them instead of running
// again), and its multi-document transaction (server/transaction.h).
// https://www.mongodb.com/docs/manual/reference/server-sessions/
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/value.h"

namespace tmd {

class ServerState;

// commitTransaction or abortTransaction: the commands that end a transaction.
bool is_commit_or_abort(const std::string& name);
class Transaction;      // server/transaction.h
struct CommandRequest;  // server/command.h

// What one executed statement of a retryable write answers when it is retried.
struct StatementResult {
    int64_t n = 0;
    int64_t modified = 0;
    std::optional<Value> upserted_id;
    Document reply;  // findAndModify: {lastErrorObject, value}
};

struct Session {
    std::string lsid;  // the BSON bytes of the lsid document
    // Held while a command runs on the session: mongod checks a session out for each command.
    std::mutex in_use;
    int64_t txn_number = -1;                      // the newest txnNumber the session has seen
    std::map<int32_t, StatementResult> executed;  // stmtId -> result, for txn_number's write
    std::unique_ptr<Transaction> transaction;     // txn_number's transaction, if it is one
    ~Session();
};

// Every session the server knows, by lsid bytes.
class SessionCatalog {
  public:
    std::shared_ptr<Session> get(const std::string& lsid);
    // endSessions / killSessions: forgets the session, aborting its transaction.
    void end(const std::string& lsid);
    // The lsids of every session.
    std::vector<std::string> all();

    // Documents written by transactions in progress (document_claim_key -> transaction): the
    // first writer claims a document, a second one gets WriteConflict. A claim of an expired
    // transaction (transactionLifetimeLimitSeconds) is taken over, as mongod's reaper would have
    // aborted it.
    bool claim(const std::string& key, const Transaction* owner);
    void release(const Transaction* owner);
    // Whether a transaction in progress (not expired) claims the document.
    bool claimed(const std::string& key);
    // Waits until no transaction in progress claims the document; false when `deadline` passed
    // or the server is shutting down first.
    bool wait_released(const std::string& key,
                       std::optional<std::chrono::steady_clock::time_point> deadline,
                       const ServerState& server);

  private:
    bool claimed_locked(const std::string& key) const;

    // Declared first so that the sessions' transactions can release their claims on destruction.
    std::mutex claims_mutex_;
    std::condition_variable released_;
    std::map<std::string, const Transaction*> claims_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Session>> sessions_;
};

// The session arguments of one command (lsid, txnNumber, autocommit, startTransaction,
// stmtId/stmtIds), with the session checked out while the command runs.
class OperationSession {
  public:
    // nullptr when the command carries no lsid. Throws MongoError for arguments mongod refuses
    // (TransactionTooOld, NoSuchTransaction, OperationNotSupportedInTransaction, ...).
    static std::unique_ptr<OperationSession> begin(const CommandRequest& request);
    ~OperationSession();

    // A retryable write: txnNumber without autocommit on a write command.
    bool retryable_write() const { return retryable_; }
    // The transaction this command runs in (autocommit: false), or nullptr.
    Transaction* transaction() const;
    Session& session() { return *session_; }
    int64_t txn_number() const { return txn_number_; }
    const Document& lsid() const { return lsid_doc_; }

    // Retryable writes: the statement at `index` of the command (its stmtId is the command's
    // stmtIds[index], or stmtId + index, from 0 by default), whether it already ran, and
    // recording its result.
    const StatementResult* executed(size_t index) const;
    void record(size_t index, StatementResult result);
    // The stmtIds answered from the record (the reply's retriedStmtIds on 6.0+).
    const std::vector<int32_t>& retried() const { return retried_; }
    // Called after the command ran: a failed statement in a transaction aborts it (mongod aborts
    // a transaction on any statement error).
    void finish(bool failed);
    // Retryable writes: enters onPrimaryTransactionalWrite before a statement is written.
    // Remembers a closeConnection for the dispatcher, which then drops the connection instead of
    // replying (also when the statement fails), then throws failBeforeCommitExceptionCode.
    void before_write();
    bool close_connection() const { return close_connection_; }

  private:
    int32_t stmt_id(size_t index) const;
    void start_or_continue_transaction(const CommandRequest& request, bool start);
    void start_retryable_write(const CommandRequest& request);

    std::shared_ptr<Session> session_;
    std::unique_lock<std::mutex> checkout_;
    Document lsid_doc_;
    int64_t txn_number_ = -1;
    bool retryable_ = false;
    bool in_transaction_ = false;
    int32_t first_stmt_id_ = 0;
    std::vector<int32_t> stmt_ids_;
    mutable std::vector<int32_t> retried_;
    ServerState* server_ = nullptr;
    bool close_connection_ = false;
};

// The session id for error messages: the UUID of lsid.id.
std::string describe_lsid(const Document& lsid);

}  // namespace tmd
