// Spec runner: executing one unified-format operation (CRUD, collection and index management,
// change streams, testRunner operations) through libmongoc.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bson_util.h"
#include "entities.h"
#include "matcher.h"

namespace spec {

struct OpResult {
    std::optional<Value> value;  // absent for operations without a result
    Root root = Root::kNo;       // how expectResult matches the value
    ChangeStreamPtr stream;      // set by createChangeStream
};

// An error raised by the driver or the server while executing an operation.
struct OperationError {
    bool client_side = false;
    uint32_t code = 0;
    std::string message;
    Doc reply;                            // the server's response (or libmongoc's write result)
    std::optional<Doc> server_response;   // the raw failed-command reply seen through APM
    std::optional<Value> partial_result;  // e.g. the BulkWriteResult of a failed bulk write

    std::string code_name() const;
    std::vector<std::string> labels() const;
};

// What the operations of one test share.
struct RunContext {
    EntityMap& entities;
    const std::string& uri;                // for client entities created by createEntities
    mongoc_client_t* internal_client;      // the runner's own client (fail point clean-up, asserts)
    std::vector<std::string> fail_points;  // configured during the test, disabled after it
    // Runs one operation with its expectations (the runner's own step, for withTransaction's
    // callback); returns the error the operation raised, if any.
    std::function<std::optional<OperationError>(const Doc& operation, size_t index)> execute;
};

// Runs `operation` ({name, object, arguments, ...}); throws OperationError for driver and server
// errors, TestFailure for runner errors ("unsupported operation X").
OpResult run_operation(RunContext& ctx, const Doc& operation);

}  // namespace spec
