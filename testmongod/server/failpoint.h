// Fault injection as mongod does it: the `failCommand` failpoint, configured with
// configureFailPoint and consulted by the dispatcher before each command, and
// `failGetMoreAfterCursorCheckout`, consulted by getMore once it holds its cursor, and
// `hangWithLockDuringBatchInsert`, entered by an insert once it holds its collection's lock.
// https://github.com/mongodb/mongo/wiki/The-%22failCommand%22-fail-point
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tmd {

// What an activated failCommand asks the dispatcher to do with one command.
struct FailCommandAction {
    int64_t block_ms = 0;           // blockConnection: sleep first
    bool close_connection = false;  // closeConnection: drop the connection, no reply
    std::optional<int> error_code;  // errorCode: fail without running the command
    // errorLabels from the failpoint's data; when set they replace the labels the server would
    // attach itself (an empty list means no labels).
    std::optional<std::vector<std::string>> error_labels;
    std::string write_concern_error;  // BSON bytes of writeConcernError; empty when none
};

// What an activated onPrimaryTransactionalWrite (mongod: transaction_participant.cpp, entered as
// a retryable write's statement is written) does: closeConnection (default true) drops the
// connection without a reply after the write; failBeforeCommitExceptionCode fails the statement
// before its write is kept.
struct TransactionalWriteAction {
    bool close_connection = true;
    std::optional<int> error_code;
};

class FailPoints {
  public:
    // Runs {configureFailPoint: <name>, mode, data}; appends {count} (times that failpoint was
    // entered so far) to reply. Throws MongoError for unknown failpoints or bad arguments.
    void configure(const bson_t* command, bson_t* reply);
    // Whether failCommand fires for this command on `ns` (command_namespace) on a connection with
    // this appName; counts the activation against times/skip.
    std::optional<FailCommandAction> check(std::string_view command, std::string_view ns,
                                           std::string_view app_name);
    // Whether onPrimaryTransactionalWrite fires for this statement; counts the activation.
    std::optional<TransactionalWriteAction> check_transactional_write();
    // The errorCode of failGetMoreAfterCursorCheckout when it fires for this getMore.
    std::optional<int> get_more_error_after_checkout();
    // hangWithLockDuringBatchInsert (mongod: write_ops_exec.cpp, entered once the insert holds
    // its collection lock; the insert then waits while the failpoint stays on): whether it fires
    // for this insert (counting the activation), and whether it is still on.
    bool enter_hang_with_lock_during_batch_insert();
    bool hang_with_lock_during_batch_insert();

  private:
    enum class Mode { Off, AlwaysOn, Times, Skip };
    struct Config {
        Mode mode = Mode::Off;
        int64_t count = 0;  // times left (Times) or matches still to skip (Skip)
        std::vector<std::string> commands;
        std::string app_name;  // empty: any
        std::string ns;        // failCommand's `namespace`; empty: any
        FailCommandAction action;
        std::optional<int> fail_before_commit_code;  // onPrimaryTransactionalWrite only
    };
    struct State {
        Config config;
        int64_t times_entered = 0;
    };
    static Config parse(const bson_t* command);
    // Counts one match against the mode (skip/times); whether the failpoint fires for it.
    static bool fire(State& state);

    std::mutex mutex_;
    State fail_command_;
    State fail_get_more_;
    State transactional_write_;
    State hang_with_lock_insert_;
};

// The namespace mongod's failCommand matches its `namespace` against (the command invocation's
// ns()): `db.<collection>` for a getMore, `db.$cmd.aggregate` for a collectionless aggregate,
// `db.<first value>` when the command names a collection, else `db`.
std::string command_namespace(std::string_view db, const bson_t* body);

}  // namespace tmd
