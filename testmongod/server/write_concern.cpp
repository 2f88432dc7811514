// Write concern as mongod applies it on a single-member replica set (manual, "Write Concern":
// https://www.mongodb.com/docs/manual/reference/write-concern/; mongod:
// src/mongo/db/write_concern.cpp validateWriteConcern and waitForWriteConcern,
// repl/replication_coordinator_impl.cpp _checkIfWriteConcernCanBeSatisfied). The write is applied
// first; a write concern one node cannot satisfy fails at once, whatever wtimeout says, because
// no member could ever acknowledge it.
#include "server/write_concern.h"

#include <set>
#include <string>

#include "engine/value.h"
#include "server/server_state.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

// Commands that take a write concern and wait for it after running.
const std::set<std::string> kWriteConcernCommands = {"insert",
                                                     "update",
                                                     "delete",
                                                     "findAndModify",
                                                     "findandmodify",
                                                     "create",
                                                     "drop",
                                                     "dropDatabase",
                                                     "createIndexes",
                                                     "dropIndexes",
                                                     "deleteIndexes",
                                                     "collMod",
                                                     "renameCollection",
                                                     "aggregate",
                                                     "createUser",
                                                     "dropUser",
                                                     "commitTransaction",
                                                     "abortTransaction"};

std::optional<Document> write_concern_of(const CommandRequest& request) {
    if (!kWriteConcernCommands.count(request.name)) return std::nullopt;
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, request.body, "writeConcern") ||
        !BSON_ITER_HOLDS_DOCUMENT(&iter)) {
        return std::nullopt;
    }
    return Value::from_iter(iter).doc();
}

bool more_than_one_node(const Value& w) {
    return w.is_number() && w.as_int64() > 1;
}

// errInfo.writeConcern: the write concern as mongod read it (WriteConcernOptions::toBSON).
Document error_info(const Document& concern) {
    Document echoed;
    if (const Value* w = concern.get("w")) echoed.push_back("w", *w);
    if (const Value* j = concern.get("j")) echoed.push_back("j", Value::boolean(j->truthy()));
    const Value* wtimeout = concern.get("wtimeout");
    echoed.push_back("wtimeout", Value::int32(wtimeout && wtimeout->is_number()
                                                  ? static_cast<int32_t>(wtimeout->as_int64())
                                                  : 0));
    echoed.push_back("provenance", Value::string("clientSupplied"));
    Document info;
    info.push_back("writeConcern", Value::document(std::move(echoed)));
    return info;
}

}  // namespace

void check_write_concern(const CommandRequest& request) {
    auto concern = write_concern_of(request);
    if (!concern || !request.server->options().replset.empty()) return;
    const Value* w = concern->get("w");
    if (w && more_than_one_node(*w)) {
        throw MongoError(code::BadValue, "cannot use 'w' > 1 on a standalone");
    }
}

void append_write_concern_error(const CommandRequest& request, bson_t* reply) {
    auto concern = write_concern_of(request);
    if (!concern) return;
    const Value* w = concern->get("w");
    if (!w) return;
    int error_code = 0;
    std::string message;
    if (more_than_one_node(*w)) {
        error_code = code::UnsatisfiableWriteConcern;
        message = "Not enough data-bearing nodes";
    } else if (w->is_string() && w->str() != "majority") {
        error_code = code::UnknownReplWriteConcern;
        message =
            "No write concern mode named '" + w->str() + "' found in replica set configuration";
    } else {
        return;
    }
    Document error;
    error.push_back("code", Value::int32(error_code));
    error.push_back("codeName", Value::string(code_name(error_code)));
    error.push_back("errmsg", Value::string(message));
    error.push_back("errInfo", Value::document(error_info(*concern)));
    append_document(reply, "writeConcernError", error);
}

}  // namespace tmd
