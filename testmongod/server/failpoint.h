// Fault injection as mongod does it: the `failCommand` failpoint, configured with
// configureFailPoint and consulted by the dispatcher before each command.
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
    // Runs {configureFailPoint: "failCommand", mode, data}; appends {count} (times the failpoint
    // was entered so far) to reply. Throws MongoError for unknown failpoints or bad arguments.
    void configure(const bson_t* command, bson_t* reply);
    // Whether failCommand fires for this command on a connection with this appName; counts the
    // activation against times/skip.
    std::optional<FailCommandAction> check(std::string_view command, std::string_view app_name);
    // Whether onPrimaryTransactionalWrite fires for this statement; counts the activation.
    std::optional<TransactionalWriteAction> check_transactional_write();

  private:
    enum class Mode { Off, AlwaysOn, Times, Skip };
    struct Config {
        Mode mode = Mode::Off;
        int64_t count = 0;  // times left (Times) or matches still to skip (Skip)
        std::vector<std::string> commands;
        std::string app_name;  // empty: any
        FailCommandAction action;
        std::optional<int> fail_before_commit_code;  // onPrimaryTransactionalWrite only
    };
    static Config parse(const bson_t* command);
    // Counts one entry of an active failpoint against its mode; false when it does not fire.
    static bool enter(Config& config);

    std::mutex mutex_;
    Config config_;
    int64_t times_entered_ = 0;
    Config transactional_write_;
};

}  // namespace tmd
