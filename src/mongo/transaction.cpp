// Transactions with the retry rules of MongoDB's transactions specification ("Convenient API"):
// a TransientTransactionError label on any command means the whole transaction may be run again,
// an UnknownTransactionCommitResult label on commit that the commit may be retried.
#include "mongo/transaction.h"

#include "mongo/error.h"

namespace tributary::mongo {
namespace {

constexpr int kMaxAttempts = 5;
constexpr const char* kUnknownCommit = "UnknownTransactionCommitResult";

// The transaction's write concern is the client's (the destination's --write-concern).
void start(Session& session) {
    bson_error_t error;
    if (!mongoc_client_session_start_transaction(session.get(), nullptr, &error)) {
        throw Error::from(error);
    }
}

void abort_quietly(Session& session) {
    if (!mongoc_client_session_in_transaction(session.get())) return;
    bson_error_t ignored;
    mongoc_client_session_abort_transaction(session.get(), &ignored);
}

// Commits, retrying an unknown result; throws the failure that ends the attempts.
void commit(Session& session) {
    for (int attempt = 1;; ++attempt) {
        bson_t reply;
        bson_error_t error;
        if (mongoc_client_session_commit_transaction(session.get(), &reply, &error)) {
            bson_destroy(&reply);
            return;
        }
        Error failure = Error::from(error, &reply);
        bson_destroy(&reply);
        if (!failure.has_label(kUnknownCommit) || attempt >= kMaxAttempts) throw failure;
    }
}

}  // namespace

Session::Session(mongoc_client_t* client) {
    bson_error_t error;
    session_.reset(mongoc_client_start_session(client, nullptr, &error));
    if (!session_) throw Error::from(error);
}

bool run_transaction(mongoc_client_t* client, const std::function<bool(Session&)>& writes) {
    Session session(client);
    for (int attempt = 1;; ++attempt) {
        start(session);
        try {
            if (!writes(session)) {
                abort_quietly(session);
                return false;
            }
            commit(session);
            return true;
        } catch (const Error& failure) {
            abort_quietly(session);
            if (!failure.has_label(kTransientTransactionError) || attempt >= kMaxAttempts) throw;
        }
    }
}

}  // namespace tributary::mongo
