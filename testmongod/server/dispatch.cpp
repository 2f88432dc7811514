// The dispatcher; see dispatch.h. Reply envelopes follow mongod's command reply format:
// {<fields>, ok: 1, $clusterTime, operationTime} or {ok: 0, errmsg, code, codeName,
// errorLabels?, $clusterTime, operationTime}.
#include "server/dispatch.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "engine/error.h"
#include "server/auth.h"
#include "server/command_fields.h"
#include "server/index.h"
#include "server/server_state.h"
#include "server/session.h"
#include "server/storage_util.h"
#include "server/transaction.h"
#include "server/wire.h"
#include "server/write_concern.h"

namespace tmd {
namespace {

constexpr int kUnsupportedOpQueryCommand = 352;
constexpr int kMissingDb = 40571;

std::atomic<int32_t> next_request_id{1};

bool is_hello(std::string_view name) {
    return name == "hello" || name == "isMaster" || name == "ismaster";
}

// Retryable codes: the RetriableError category of mongod's error_codes.yml, which the
// retryable-writes spec lists.
bool is_retryable_code(int code) {
    static constexpr int kCodes[] = {6,    7,     89,    91,    189,   262,
                                     9001, 10107, 11600, 11602, 13435, 13436};
    return std::find(std::begin(kCodes), std::end(kCodes), code) != std::end(kCodes);
}

// Codes a change stream resumes after (change-streams spec, "Resumable Error"): the retryable
// ones plus the need-retargeting ones, RetryChangeStream and FailedToSatisfyReadPreference.
bool is_resumable_change_stream_code(int code) {
    return is_retryable_code(code) || code == 63 || code == 150 || code == 13388 || code == 234 ||
           code == 133;
}

// The NonResumableChangeStreamError category of mongod's error_codes.yml; mongod 4.4+ labels
// these errors on every command (ErrorLabelBuilder::isNonResumableChangeStreamError).
bool is_non_resumable_change_stream_code(int code) {
    return code == code::ChangeStreamFatalError || code == code::ChangeStreamHistoryLost;
}

// The NotPrimaryError category of mongod's error_codes.yml. A replica set member attaches its
// topologyVersion to these errors, command and write concern errors alike (mongod:
// appendErrorLabelsAndTopologyVersion;
// jstests/replsets/notprimary_errors_return_topology_version.js), so that a driver can tell a stale
// "not primary" from a real change of primary (SDAM spec, "Error handling": an error whose
// topologyVersion is not newer is ignored).
bool is_not_primary_code(int code) {
    return code == 10107 || code == 13435 || code == 13436 || code == 11602 || code == 189;
}

void append_topology_version_if_not_primary(const ServerState& server, bson_t* reply, int code) {
    if (is_not_primary_code(code) && !server.options().replset.empty()) {
        server.append_topology_version(reply);
    }
}

bool has_field(const bson_t* body, const char* name) {
    bson_iter_t iter;
    return bson_iter_init_find(&iter, body, name);
}

bool is_retryable_write(const std::string& command, const bson_t* body) {
    if (command == "commitTransaction" || command == "abortTransaction") return true;
    bool write = command == "insert" || command == "update" || command == "delete" ||
                 command == "findAndModify" || command == "findandmodify";
    return write && has_field(body, "txnNumber") && !has_field(body, "autocommit");
}

bool is_change_stream_command(ServerState& server, const std::string& command, const bson_t* body) {
    bson_iter_t iter;
    if (command == "aggregate") {
        bson_iter_t stage;
        return bson_iter_init(&iter, body) &&
               bson_iter_find_descendant(&iter, "pipeline.0.$changeStream", &stage);
    }
    if (command != "getMore" || !bson_iter_init(&iter, body) || !bson_iter_next(&iter) ||
        !BSON_ITER_HOLDS_INT64(&iter)) {
        return false;
    }
    auto open = server.cursors().find(bson_iter_int64(&iter));
    return open && open->cursor->is_change_stream();
}

// mongod: isTransientTransactionError (error_labels.cpp), for commands with txnNumber and
// autocommit: write conflicts, lock timeouts, snapshot errors; NoSuchTransaction (on commit or
// abort only without a write concern error); retryable errors on statements other than commit
// and abort.
bool is_transient_transaction_error(int code, bool write_concern, bool commit_or_abort) {
    if (code == code::WriteConflict || code == code::LockTimeout || code == code::SnapshotTooOld ||
        code == code::SnapshotUnavailable) {
        return true;
    }
    if (commit_or_abort) return code == code::NoSuchTransaction && !write_concern;
    return is_retryable_code(code) || code == code::NoSuchTransaction;
}

// server_error_labels with `change_stream`: the command is a change stream's aggregate or getMore.
std::vector<std::string> error_labels(const std::string& command, const bson_t* body, int code,
                                      bool write_concern, bool change_stream) {
    std::vector<std::string> labels;
    bool in_transaction = has_field(body, "txnNumber") && has_field(body, "autocommit");
    if (in_transaction &&
        is_transient_transaction_error(code, write_concern, is_commit_or_abort(command))) {
        labels.emplace_back("TransientTransactionError");
        return labels;
    }
    if (is_retryable_code(code) && is_retryable_write(command, body)) {
        labels.emplace_back("RetryableWriteError");
    }
    // Servers of wire version 9 (4.4) and later attach ResumableChangeStreamError themselves.
    if (!write_concern && is_resumable_change_stream_code(code) && change_stream) {
        labels.emplace_back("ResumableChangeStreamError");
    }
    if (is_non_resumable_change_stream_code(code)) {
        labels.emplace_back("NonResumableChangeStreamError");
    }
    return labels;
}

void append_labels(bson_t* reply, const std::vector<std::string>& labels) {
    if (labels.empty()) return;
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(reply, "errorLabels", &array);
    for (uint32_t i = 0; i < labels.size(); ++i) {
        BSON_APPEND_UTF8(&array, std::to_string(i).c_str(), labels[i].c_str());
    }
    bson_append_array_end(reply, &array);
}

void append_cluster_time(ServerState& server, bson_t* reply) {
    if (server.options().replset.empty()) return;
    ClusterTime now = server.oplog().now();
    static const uint8_t kZeroHash[20] = {};
    bson_t cluster_time, signature;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "$clusterTime", &cluster_time);
    BSON_APPEND_TIMESTAMP(&cluster_time, "clusterTime", now.t, now.i);
    BSON_APPEND_DOCUMENT_BEGIN(&cluster_time, "signature", &signature);
    BSON_APPEND_BINARY(&signature, "hash", BSON_SUBTYPE_BINARY, kZeroHash, sizeof kZeroHash);
    BSON_APPEND_INT64(&signature, "keyId", 0);
    bson_append_document_end(&cluster_time, &signature);
    bson_append_document_end(reply, &cluster_time);
    BSON_APPEND_TIMESTAMP(reply, "operationTime", now.t, now.i);
}

void append_error(bson_t* reply, int error_code, const std::string& message) {
    BSON_APPEND_DOUBLE(reply, "ok", 0.0);
    BSON_APPEND_UTF8(reply, "errmsg", message.c_str());
    BSON_APPEND_INT32(reply, "code", error_code);
    BSON_APPEND_UTF8(reply, "codeName", code_name(error_code).c_str());
}

std::string first_key(const bson_t* body) {
    bson_iter_t iter;
    if (!bson_iter_init(&iter, body) || !bson_iter_next(&iter)) return {};
    return bson_iter_key(&iter);
}

// Records what a hello tells about the client: its appName (first hello) and compressors.
void note_handshake(const bson_t* body, ClientInfo& client) {
    bson_iter_t iter;
    if (client.app_name.empty() && bson_iter_init(&iter, body) &&
        bson_iter_find_descendant(&iter, "client.application.name", &iter) &&
        BSON_ITER_HOLDS_UTF8(&iter)) {
        client.app_name = bson_iter_utf8(&iter, nullptr);
    }
    if (!bson_iter_init_find(&iter, body, "compression") || !BSON_ITER_HOLDS_ARRAY(&iter)) return;
    client.compression.clear();
    bson_iter_t child;
    bson_iter_recurse(&iter, &child);
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_UTF8(&child)) continue;
        std::string name = bson_iter_utf8(&child, nullptr);
        if (compressor_by_name(name) && name != "noop") client.compression.push_back(name);
    }
}

void count_op(ServerStats& stats, const std::string& name) {
    if (name == "insert") {
        ++stats.op_insert;
    } else if (name == "find") {
        ++stats.op_query;
    } else if (name == "update") {
        ++stats.op_update;
    } else if (name == "delete") {
        ++stats.op_delete;
    } else if (name == "getMore") {
        ++stats.op_getmore;
    } else {
        ++stats.op_command;
    }
}

// The reply is built in the thread's reused buffer (see wire::ThreadBson).
struct Envelope {
    wire::ThreadBson buffer{wire::ThreadBson::kReply};
    bson_t* reply = buffer.get();
    bool close_connection = false;
};

// Runs the handler with the command's session checked out. Inside a transaction, a write
// conflict fails the whole command, and any failure aborts the transaction.
void run_in_session(const CommandRequest& command, CommandHandler handler,
                    std::unique_ptr<OperationSession>& session, Envelope& out) {
    CommandRequest request = command;
    session = OperationSession::begin(request);
    request.session = session.get();
    std::unique_ptr<Transaction> snapshot = snapshot_read(request);
    if (snapshot) request.snapshot = &snapshot->catalog();
    handler(request, out.reply);
    if (!session) return;
    Transaction* transaction = session->transaction();
    if (transaction && transaction->failure()) throw *transaction->failure();
    session->finish(has_field(out.reply, "writeErrors"));
    out.close_connection = session->close_connection();
}

// Runs failCommand and the handler; fills the reply envelope (except cluster time).
void run_command(ServerState& server, const CommandRequest& request, Envelope& out) {
    std::optional<FailCommandAction> fail;
    std::unique_ptr<OperationSession> session;
    // Known before the command runs: a failing getMore frees its cursor.
    bool change_stream = is_change_stream_command(server, request.name, request.body);
    try {
        authorize_command(request);
        check_command_fields(request);
        if (server.options().enable_test_commands) {
            fail = server.fail_points().check(request.name,
                                              command_namespace(request.db, request.body),
                                              request.client->app_name);
        }
        if (fail && fail->block_ms > 0) {
            server.wait_until(std::chrono::steady_clock::now() +
                              std::chrono::milliseconds(fail->block_ms));
        }
        if (fail && fail->close_connection) {
            out.close_connection = true;
            return;
        }
        if (fail && fail->error_code) {
            throw MongoError(*fail->error_code, "Failing command via 'failCommand' failpoint");
        }
        CommandHandler handler = server.commands().find(request.name);
        if (handler == nullptr) {
            throw MongoError(code::CommandNotFound, "no such command: '" + request.name + "'");
        }
        check_write_concern(request);
        run_in_session(request, handler, session, out);
        if (out.close_connection) return;
        BSON_APPEND_DOUBLE(out.reply, "ok", 1.0);
        if (!fail || fail->write_concern_error.empty()) {
            append_write_concern_error(request, out.reply);
        } else {
            bson_t wce;
            bson_init_static(&wce,
                             reinterpret_cast<const uint8_t*>(fail->write_concern_error.data()),
                             fail->write_concern_error.size());
            BSON_APPEND_DOCUMENT(out.reply, "writeConcernError", &wce);
            bson_iter_t iter;
            int wce_code = bson_iter_init_find(&iter, &wce, "code") && BSON_ITER_HOLDS_NUMBER(&iter)
                               ? static_cast<int>(bson_iter_as_int64(&iter))
                               : 0;
            append_labels(out.reply, fail->error_labels.value_or(server_error_labels(
                                         server, request.name, request.body, wce_code, true)));
            append_topology_version_if_not_primary(server, out.reply, wce_code);
        }
    } catch (const std::exception& error) {
        if (session) session->finish(true);
        if (session && session->close_connection()) {
            out.close_connection = true;
            return;
        }
        const auto* mongo_error = dynamic_cast<const MongoError*>(&error);
        int error_code = mongo_error ? mongo_error->code() : code::InternalError;
        bson_reinit(out.reply);
        append_error(out.reply, error_code, error.what());
        // mongod's ErrorExtraInfo (keyPattern/keyValue, errInfo) is part of the error reply.
        if (const auto* detailed = dynamic_cast<const DetailedError*>(&error)) {
            for (const auto& field : detailed->info().fields())
                append_value(out.reply, field.name.c_str(), field.value);
        }
        // failCommand's errorCode is raised before the command runs: on a getMore, before the
        // cursor is checked out.
        bool injected = fail && fail->error_code == error_code;
        bool labelled_stream = change_stream && !(injected && request.name == "getMore");
        append_labels(out.reply, injected && fail->error_labels
                                     ? *fail->error_labels
                                     : error_labels(request.name, request.body, error_code, false,
                                                    labelled_stream));
        append_topology_version_if_not_primary(server, out.reply, error_code);
    }
}

// Checks the request is a command testmongod runs, and finds its database.
void check_request(ServerState& server, const wire::Request& wire_request,
                   CommandRequest& request) {
    bson_iter_t iter;
    if (wire_request.header.op_code == wire::kOpQuery) {
        const std::string& ns = wire_request.query_namespace;
        auto dot = ns.find('.');
        bool command_namespace = dot != std::string::npos && ns.substr(dot + 1) == "$cmd";
        // mongod 5.1+ accepts OP_QUERY only for the hello handshake (legacy opcode removal).
        bool legacy_allowed = server.profile().max_wire_version < 13 || is_hello(request.name);
        if (!command_namespace || !legacy_allowed) {
            throw MongoError(kUnsupportedOpQueryCommand,
                             "Unsupported OP_QUERY command: " + request.name +
                                 ". The client driver may require an upgrade. For more details see "
                                 "https://dochub.mongodb.org/core/legacy-opcode-removal");
        }
        request.db = ns.substr(0, dot);
    } else if (bson_iter_init_find(&iter, request.body, "$db") && BSON_ITER_HOLDS_UTF8(&iter)) {
        request.db = bson_iter_utf8(&iter, nullptr);
    } else {
        throw MongoError(kMissingDb, "OP_MSG requests require a $db argument");
    }
    if (request.db.empty() || request.db.find_first_of("/\\. \"$") != std::string::npos) {
        throw MongoError(code::InvalidNamespace, "Invalid database name: '" + request.db + "'");
    }
}

std::string encode_reply(const wire::Request& request, const bson_t* reply) {
    int32_t id = next_request_id.fetch_add(1);
    std::string message = request.header.op_code == wire::kOpQuery
                              ? wire::build_op_reply(id, request.header.request_id, reply)
                              : wire::build_op_msg(id, request.header.request_id, reply);
    // The compression spec: reply with the compressor the request used.
    return request.compressor ? wire::build_compressed(message, *request.compressor) : message;
}

// A reply to a message that could not be parsed: an error document in the request's own op.
DispatchOutcome reply_to_malformed(ServerState& server, const wire::MessageHeader& header,
                                   const MongoError& error) {
    if (header.op_code != wire::kOpMsg && header.op_code != wire::kOpQuery) return {{}, true};
    Envelope out;
    append_error(out.reply, error.code(), error.message());
    append_cluster_time(server, out.reply);
    int32_t id = next_request_id.fetch_add(1);
    return {header.op_code == wire::kOpQuery
                ? wire::build_op_reply(id, header.request_id, out.reply)
                : wire::build_op_msg(id, header.request_id, out.reply),
            false};
}

}  // namespace

std::vector<BsonDoc> CommandRequest::documents_of(std::string_view field) const {
    if (sequences != nullptr) {
        for (const auto& sequence : *sequences) {
            if (sequence.identifier == field) return sequence.documents;
        }
    }
    std::vector<BsonDoc> documents;
    bson_iter_t iter;
    std::string name(field);
    if (!bson_iter_init_find(&iter, body, name.c_str())) return documents;
    if (!BSON_ITER_HOLDS_ARRAY(&iter)) {
        throw MongoError(code::TypeMismatch, "BSON field '" + this->name + "." + name +
                                                 "' is the wrong type, expected type 'array'");
    }
    bson_iter_t child;
    bson_iter_recurse(&iter, &child);
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&child)) {
            throw MongoError(code::TypeMismatch, "BSON field '" + this->name + "." + name +
                                                     "' elements must be objects");
        }
        uint32_t length;
        const uint8_t* data;
        bson_iter_document(&child, &length, &data);
        documents.emplace_back(data, length);
    }
    return documents;
}

std::vector<std::string> server_error_labels(ServerState& server, const std::string& command,
                                             const bson_t* body, int code, bool write_concern) {
    return error_labels(command, body, code, write_concern,
                        is_change_stream_command(server, command, body));
}

DispatchOutcome handle_message(ServerState& server, ClientInfo& client, std::string message) {
    wire::MessageHeader header =
        wire::read_header(reinterpret_cast<const uint8_t*>(message.data()));
    std::unique_ptr<wire::Request> wire_request;
    try {
        wire_request = wire::parse_request(std::move(message));
    } catch (const MongoError& error) {
        return reply_to_malformed(server, header, error);
    }
    CommandRequest request;
    request.body = wire_request->body.get();
    request.name = first_key(request.body);
    request.sequences = &wire_request->sequences;
    if (!client.auth) client.auth = std::make_shared<AuthSession>();
    request.client = &client;
    request.server = &server;

    Envelope out;
    try {
        check_request(server, *wire_request, request);
        if (is_hello(request.name)) note_handshake(request.body, client);
        count_op(server.stats(), request.name);
        run_command(server, request, out);
    } catch (const MongoError& error) {
        append_error(out.reply, error.code(), error.message());
    }
    if (out.close_connection) return {{}, true};
    if (wire_request->more_to_come()) return {};
    append_cluster_time(server, out.reply);
    return {encode_reply(*wire_request, out.reply), false};
}

}  // namespace tmd
