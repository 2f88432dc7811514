// Session and transaction commands: endSessions, refreshSessions, killSessions, killAllSessions,
// killAllSessionsByPattern, commitTransaction and abortTransaction (setParameter, which also sets
// transactionLifetimeLimitSeconds, is in admin_commands.cpp).
#include "server/server_state.h"
#include "server/session.h"
#include "server/storage_util.h"
#include "server/transaction.h"

namespace tmd {
namespace {

constexpr int kUnauthorized = 13;

// The array a session command takes as its first field: lsids, or patterns.
Array first_array(const CommandRequest& request) {
    Document body = body_of(request);
    const Value& first = body.fields().front().value;
    if (!first.is_array()) {
        throw MongoError(code::TypeMismatch, "BSON field '" + request.name +
                                                 "' is the wrong type '" + type_name(first.type()) +
                                                 "', expected type 'array'");
    }
    return first.array();
}

void end_session(const CommandRequest& request, const Value& lsid, bool kill_cursors) {
    if (!lsid.is_document()) return;
    std::string bytes = lsid.doc().to_bytes();
    request.server->sessions().end(bytes);
    if (kill_cursors) request.server->cursors().kill_session(bytes);
}

// https://www.mongodb.com/docs/manual/reference/command/endSessions/ — the sessions' transactions
// are aborted; their cursors are left to time out.
void end_sessions(const CommandRequest& request, bson_t*) {
    for (const Value& lsid : first_array(request))
        end_session(request, lsid, false);
}

// https://www.mongodb.com/docs/manual/reference/command/refreshSessions/ — testmongod's sessions
// do not expire, so refreshing has nothing to extend.
void refresh_sessions(const CommandRequest& request, bson_t*) {
    first_array(request);
}

// https://www.mongodb.com/docs/manual/reference/command/killSessions/ — kills the sessions'
// cursors and aborts their transactions.
void kill_sessions(const CommandRequest& request, bson_t*) {
    for (const Value& lsid : first_array(request))
        end_session(request, lsid, true);
}

void kill_every_session(const CommandRequest& request) {
    for (const std::string& lsid : request.server->sessions().all()) {
        request.server->sessions().end(lsid);
        request.server->cursors().kill_session(lsid);
    }
}

// https://www.mongodb.com/docs/manual/reference/command/killAllSessions/ — an empty array kills
// every session; testmongod does not track which user a session belongs to, so a list of users
// kills every session too.
void kill_all_sessions(const CommandRequest& request, bson_t*) {
    first_array(request);
    kill_every_session(request);
}

// https://www.mongodb.com/docs/manual/reference/command/killAllSessionsByPattern/ — patterns
// {lsid} kill that session; an empty array, or patterns by uid or user, every session.
void kill_all_sessions_by_pattern(const CommandRequest& request, bson_t*) {
    Array patterns = first_array(request);
    bool by_lsid_only = !patterns.empty();
    for (const Value& pattern : patterns)
        by_lsid_only = by_lsid_only && pattern.is_document() && pattern.doc().get("lsid");
    if (!by_lsid_only) return kill_every_session(request);
    for (const Value& pattern : patterns)
        end_session(request, *pattern.doc().get("lsid"), true);
}

Transaction& transaction_of(const CommandRequest& request) {
    if (request.db != "admin") {
        throw MongoError(kUnauthorized,
                         request.name + " may only be run against the admin database.");
    }
    Transaction* transaction = request.session ? request.session->transaction() : nullptr;
    if (!transaction) {
        throw MongoError(code::InvalidOptions, request.name + " must be run within a transaction");
    }
    return *transaction;
}

// https://www.mongodb.com/docs/manual/reference/command/commitTransaction/ — committing again a
// committed transaction succeeds (the driver retries commits).
void commit_transaction(const CommandRequest& request, bson_t*) {
    Transaction& transaction = transaction_of(request);
    transaction.commit(request.session->lsid(), request.session->txn_number());
}

// https://www.mongodb.com/docs/manual/reference/command/abortTransaction/
void abort_transaction(const CommandRequest& request, bson_t*) {
    transaction_of(request).abort();
}

}  // namespace

void register_session_commands(CommandRegistry& registry) {
    registry.add("endSessions", end_sessions);
    registry.add("refreshSessions", refresh_sessions);
    registry.add("killSessions", kill_sessions);
    registry.add("killAllSessions", kill_all_sessions);
    registry.add("killAllSessionsByPattern", kill_all_sessions_by_pattern);
    registry.add("commitTransaction", commit_transaction);
    registry.add("abortTransaction", abort_transaction);
}

}  // namespace tmd
