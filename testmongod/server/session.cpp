// Server sessions: the session catalog, txnNumber rules, retryable-write statement records and
// the start/continue rules of transactions; see session.h.
#include "server/session.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "server/server_state.h"
#include "server/storage_util.h"
#include "server/transaction.h"

namespace tmd {
namespace {

bool is_write_command(const std::string& name) {
    return name == "insert" || name == "update" || name == "delete" || name == "findAndModify" ||
           name == "findandmodify";
}

// Commands allowed in a multi-document transaction (manual, "Transactions and Operations":
// CRUD, find, aggregate, distinct, getMore, killCursors, and from 4.4 explicit or implicit
// collection creation and createIndexes on a new collection); others fail with
// OperationNotSupportedInTransaction.
bool allowed_in_transaction(const std::string& name) {
    static const std::set<std::string> kAllowed = {"insert",
                                                   "update",
                                                   "delete",
                                                   "findAndModify",
                                                   "findandmodify",
                                                   "find",
                                                   "aggregate",
                                                   "distinct",
                                                   "getMore",
                                                   "killCursors",
                                                   "create",
                                                   "createIndexes",
                                                   "commitTransaction",
                                                   "abortTransaction"};
    return kAllowed.count(name) > 0;
}

std::string txn_text(int64_t txn_number) {
    return std::to_string(txn_number);
}

}  // namespace

bool is_commit_or_abort(const std::string& name) {
    return name == "commitTransaction" || name == "abortTransaction";
}

std::string describe_lsid(const Document& lsid) {
    const Value* id = lsid.get("id");
    if (!id || id->type() != BSON_TYPE_BINARY) return lsid.to_json();
    const std::string& bytes = std::get<Binary>(id->payload()).bytes;
    std::string text;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(bytes[i]));
        text += hex;
    }
    return text;
}

Session::~Session() = default;

std::shared_ptr<Session> SessionCatalog::get(const std::string& lsid) {
    std::lock_guard lock(mutex_);
    auto& session = sessions_[lsid];
    if (!session) {
        session = std::make_shared<Session>();
        session->lsid = lsid;
    }
    return session;
}

void SessionCatalog::end(const std::string& lsid) {
    std::shared_ptr<Session> session;
    {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(lsid);
        if (it == sessions_.end()) return;
        session = it->second;
        sessions_.erase(it);
    }
    std::lock_guard in_use(session->in_use);
    if (session->transaction) session->transaction->abort();
}

std::vector<std::string> SessionCatalog::all() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> lsids;
    for (const auto& [lsid, session] : sessions_)
        lsids.push_back(lsid);
    return lsids;
}

bool SessionCatalog::claim(const std::string& key, const Transaction* owner) {
    std::lock_guard lock(claims_mutex_);
    auto [it, inserted] = claims_.emplace(key, owner);
    if (inserted || it->second == owner) return true;
    if (!it->second->expired()) return false;
    it->second = owner;
    return true;
}

void SessionCatalog::release(const Transaction* owner) {
    {
        std::lock_guard lock(claims_mutex_);
        std::erase_if(claims_, [owner](const auto& claim) { return claim.second == owner; });
    }
    released_.notify_all();
}

bool SessionCatalog::claimed_locked(const std::string& key) const {
    auto it = claims_.find(key);
    return it != claims_.end() && it->second->state() == Transaction::State::InProgress &&
           !it->second->expired();
}

bool SessionCatalog::claimed(const std::string& key) {
    std::lock_guard lock(claims_mutex_);
    return claimed_locked(key);
}

bool SessionCatalog::wait_released(const std::string& key,
                                   std::optional<std::chrono::steady_clock::time_point> deadline,
                                   const ServerState& server) {
    // Woken by release(); the slices notice an expiry (transactionLifetimeLimitSeconds) and
    // shutdown, which do not notify.
    constexpr auto kSlice = std::chrono::milliseconds(100);
    std::unique_lock lock(claims_mutex_);
    while (claimed_locked(key)) {
        auto now = std::chrono::steady_clock::now();
        if (server.shutting_down() || (deadline && now >= *deadline)) return false;
        auto until = deadline ? std::min(*deadline, now + kSlice) : now + kSlice;
        released_.wait_until(lock, until);
    }
    return true;
}

Catalog& CommandRequest::catalog() const {
    Transaction* transaction = session ? session->transaction() : nullptr;
    if (transaction) return transaction->catalog();
    return snapshot ? *snapshot : server->catalog();
}

std::unique_ptr<OperationSession> OperationSession::begin(const CommandRequest& request) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, request.body, "lsid") || !BSON_ITER_HOLDS_DOCUMENT(&iter)) {
        return nullptr;
    }
    auto op = std::unique_ptr<OperationSession>(new OperationSession());
    op->server_ = request.server;
    op->lsid_doc_ = Value::from_iter(iter).doc();
    op->session_ = request.server->sessions().get(op->lsid_doc_.to_bytes());
    // Only commands of a retryable write or transaction check the session out, as mongod does
    // (a plain command with an lsid, such as endSessions, runs alongside).
    if (!bson_iter_init_find(&iter, request.body, "txnNumber")) return op;
    op->checkout_ = std::unique_lock(op->session_->in_use);
    Document body = Document::from_bson(*request.body);
    const Value* txn_number = body.get("txnNumber");
    if (!txn_number->is_number()) {
        throw MongoError(code::TypeMismatch,
                         "BSON field 'txnNumber' is the wrong type, expected type 'long'");
    }
    op->txn_number_ = txn_number->as_int64();
    if (const Value* stmt_id = body.get("stmtId"); stmt_id && stmt_id->is_number()) {
        op->first_stmt_id_ = static_cast<int32_t>(stmt_id->as_int64());
    }
    if (const Value* stmt_ids = body.get("stmtIds"); stmt_ids && stmt_ids->is_array()) {
        for (const Value& id : stmt_ids->array())
            op->stmt_ids_.push_back(static_cast<int32_t>(id.as_int64()));
    }
    const Value* autocommit = body.get("autocommit");
    if (autocommit) {
        if (autocommit->type() != BSON_TYPE_BOOL || autocommit->as_bool()) {
            throw MongoError(code::InvalidOptions, "Specifying autocommit=true is not allowed.");
        }
        const Value* start = body.get("startTransaction");
        op->start_or_continue_transaction(request, start && start->truthy());
    } else if (is_write_command(request.name)) {
        op->start_retryable_write(request);
    }
    return op;
}

OperationSession::~OperationSession() = default;

Transaction* OperationSession::transaction() const {
    return in_transaction_ ? session_->transaction.get() : nullptr;
}

// mongod: TransactionParticipant::beginOrContinue; an older txnNumber is TransactionTooOld.
void OperationSession::start_retryable_write(const CommandRequest&) {
    Session& session = *session_;
    if (txn_number_ < session.txn_number) {
        throw MongoError(code::TransactionTooOld,
                         "Retryable write with txnNumber " + txn_text(txn_number_) +
                             " is prohibited on session " + describe_lsid(lsid_doc_) +
                             " because a newer retryable write with txnNumber " +
                             txn_text(session.txn_number) +
                             " has already started on this session.");
    }
    if (txn_number_ > session.txn_number) {
        if (session.transaction) session.transaction->abort();
        session.transaction.reset();
        session.executed.clear();
        session.txn_number = txn_number_;
    }
    retryable_ = true;
}

// mongod: TransactionParticipant::beginOrContinue with autocommit: false.
void OperationSession::start_or_continue_transaction(const CommandRequest& request, bool start) {
    Session& session = *session_;
    Document body = Document::from_bson(*request.body);
    if (txn_number_ < session.txn_number) {
        throw MongoError(code::TransactionTooOld,
                         "Cannot start transaction " + txn_text(txn_number_) + " on session " +
                             describe_lsid(lsid_doc_) + " because a newer transaction " +
                             txn_text(session.txn_number) + " has already started.");
    }
    if (!allowed_in_transaction(request.name)) {
        if (session.transaction) session.transaction->abort();
        throw MongoError(code::OperationNotSupportedInTransaction,
                         "Cannot run '" + request.name + "' in a multi-document transaction.");
    }
    const Value* read_concern = body.get("readConcern");
    if (start) {
        if (txn_number_ == session.txn_number) {
            throw MongoError(code::ConflictingOperationInProgress,
                             "Cannot start a transaction at given transaction number " +
                                 txn_text(txn_number_) +
                                 " a transaction with the same number is already active.");
        }
        ClusterTime snapshot = request.server->oplog().now();
        if (read_concern && read_concern->is_document()) {
            const Value* level = read_concern->doc().get("level");
            std::string name = level && level->is_string() ? level->str() : "local";
            if (name != "local" && name != "majority" && name != "snapshot") {
                throw MongoError(code::InvalidOptions,
                                 "The readConcern level must be either 'local' (default), "
                                 "'majority' or 'snapshot' in order to run in a transaction");
            }
            const Value* at = read_concern->doc().get("atClusterTime");
            if (at && name != "snapshot") {
                throw MongoError(code::InvalidOptions,
                                 "atClusterTime field can be set only if level is equal to "
                                 "snapshot");
            }
            if (at && at->type() != BSON_TYPE_TIMESTAMP) {
                throw MongoError(code::TypeMismatch,
                                 "BSON field 'atClusterTime' is the wrong type, expected type "
                                 "'timestamp'");
            }
            if (at) {
                auto time = std::get<Timestamp>(at->payload());
                check_not_ahead(ClusterTime{time.t, time.i}, snapshot);
                snapshot = ClusterTime{time.t, time.i};
            }
        }
        if (session.transaction) session.transaction->abort();
        session.executed.clear();
        session.txn_number = txn_number_;
        session.transaction = std::make_unique<Transaction>(*request.server, snapshot);
        in_transaction_ = true;
        return;
    }
    Transaction* transaction = session.transaction.get();
    if (txn_number_ != session.txn_number || !transaction) {
        throw MongoError(code::NoSuchTransaction,
                         "Given transaction number " + txn_text(txn_number_) +
                             " does not match any in-progress transactions. The active "
                             "transaction number is " +
                             txn_text(session.txn_number));
    }
    if (read_concern) {
        throw MongoError(code::InvalidOptions,
                         "Only the first command in a transaction may specify a readConcern");
    }
    if (body.get("writeConcern") && !is_commit_or_abort(request.name)) {
        throw MongoError(code::InvalidOptions,
                         "Cannot specify writeConcern on a command in a multi-document "
                         "transaction");
    }
    if (transaction->state() == Transaction::State::InProgress && transaction->expired()) {
        transaction->abort();
    }
    if (transaction->state() == Transaction::State::Aborted) {
        throw MongoError(
            code::NoSuchTransaction,
            "Transaction with { txnNumber: " + txn_text(txn_number_) + " } has been aborted.");
    }
    if (transaction->state() == Transaction::State::Committed &&
        request.name != "commitTransaction") {
        throw MongoError(code::TransactionCommitted,
                         "Transaction " + txn_text(txn_number_) + " has been committed.");
    }
    in_transaction_ = true;
}

int32_t OperationSession::stmt_id(size_t index) const {
    if (index < stmt_ids_.size()) return stmt_ids_[index];
    return first_stmt_id_ + static_cast<int32_t>(index);
}

const StatementResult* OperationSession::executed(size_t index) const {
    if (!retryable_) return nullptr;
    auto it = session_->executed.find(stmt_id(index));
    if (it == session_->executed.end()) return nullptr;
    retried_.push_back(it->first);
    return &it->second;
}

void OperationSession::record(size_t index, StatementResult result) {
    if (retryable_) session_->executed[stmt_id(index)] = std::move(result);
}

void OperationSession::before_write() {
    if (!retryable_ || !server_->options().enable_test_commands) return;
    auto action = server_->fail_points().check_transactional_write();
    if (!action) return;
    // mongod ends the connection first, then throws the code (the write is not kept).
    close_connection_ = close_connection_ || action->close_connection;
    if (action->error_code) {
        throw MongoError(*action->error_code,
                         "Failing write for " + describe_lsid(lsid_doc_) + ":" +
                             txn_text(txn_number_) +
                             " due to failpoint. The write must not be reflected.");
    }
}

void OperationSession::finish(bool failed) {
    Transaction* txn = transaction();
    if (failed && txn && txn->state() == Transaction::State::InProgress) txn->abort();
}

}  // namespace tmd
