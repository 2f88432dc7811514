// The dispatcher: turns one received wire message into the reply bytes (or a closed
// connection). It runs the handshake bookkeeping, failCommand, the command handler, and builds
// mongod's reply envelope: ok, errmsg/code/codeName, errorLabels, $clusterTime, operationTime.
#pragma once

#include <string>

#include "server/command.h"

namespace tmd {

class ServerState;

struct DispatchOutcome {
    std::string reply;              // empty: nothing to send (moreToCome)
    bool close_connection = false;  // malformed message or failCommand closeConnection
};

// message: one complete message including its header. client is the connection's state;
// hello updates its app name and negotiated compressors.
DispatchOutcome handle_message(ServerState& server, ClientInfo& client, std::string message);

// The labels mongod attaches to an error reply (error_labels.cpp): RetryableWriteError for
// retryable codes on retryable writes (txnNumber without autocommit) and commit/abortTransaction,
// ResumableChangeStreamError for resumable codes on change-stream aggregate/getMore (the
// dispatcher leaves it off failCommand's errors on getMore: mongod reads the originating command
// from the checked-out cursor, which such an error never reached),
// NonResumableChangeStreamError for ChangeStreamFatalError/ChangeStreamHistoryLost on any command.
std::vector<std::string> server_error_labels(ServerState& server, const std::string& command,
                                             const bson_t* body, int code, bool write_concern);

}  // namespace tmd
