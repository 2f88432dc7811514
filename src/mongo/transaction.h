// Multi-document transactions over libmongoc's client sessions: one explicit session, a
// transaction started on it, writes bound to it (BulkWrite::bind), then committed, with the
// retries MongoDB's transactions specification prescribes.
#pragma once

#include <mongoc/mongoc.h>

#include <functional>
#include <memory>

namespace tributary::mongo {

// The error label of a transaction the server aborted that may succeed if run again.
inline constexpr const char* kTransientTransactionError = "TransientTransactionError";

class Session {
  public:
    explicit Session(mongoc_client_t* client);  // throws Error
    mongoc_client_session_t* get() const { return session_.get(); }

  private:
    struct Free {
        void operator()(mongoc_client_session_t* session) const {
            mongoc_client_session_destroy(session);
        }
    };
    std::unique_ptr<mongoc_client_session_t, Free> session_;
};

// Runs `writes` in one transaction on `client` (with the client's write concern) and commits it.
// `writes` returns false when a write failed with a write error: the transaction is then aborted
// and run_transaction returns false, nothing of it applied. A TransientTransactionError runs the
// whole transaction again and an UnknownTransactionCommitResult the commit (a few times each);
// when they run out, and on any other failure, it throws Error, nothing of it applied.
bool run_transaction(mongoc_client_t* client, const std::function<bool(Session&)>& writes);

}  // namespace tributary::mongo
