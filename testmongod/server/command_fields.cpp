// Declared fields per command: mongod 7.0's IDL definitions (find_command.idl,
// aggregate_command.idl, write_ops.idl, getmore_command.idl, count_command.idl,
// distinct_command.idl, create/collMod/drop/createIndexes/listIndexes/dropIndexes in
// src/mongo/db/{catalog,commands}/*.idl, list_collections.idl, list_databases.idl,
// kill_cursors.idl, rename_collection.idl). A field accepted by any of 6.0/7.0 is listed (the
// lists are a superset of both releases); internal fields a driver never sends are left out only
// when no released server accepted them from clients.
//
// 4.4 (mongod r4.4.x) did not parse every command with IDL:
// - find (query_request.cpp parseFromFindCommand) and getMore (getmore_request.cpp): FailedToParse
//   "Failed to parse: <command>. Unrecognized field '<f>'."
// - aggregate (aggregation_request.cpp parseFromBSON): FailedToParse "unrecognized field '<f>'".
// - create (collection_options.cpp parse): InvalidOptions "The field '<f>' is not a valid
//   collection option. Options: <command>".
// - insert/update/delete (write_ops.idl, strict): 40415 as in later releases.
// - the others ignored unknown fields, so the 4.4 profile does not check them.
// `let` (find, aggregate and the write commands) is 5.0+: the 4.4 parsers refuse it as unknown.
#include "server/command_fields.h"

#include <map>
#include <set>

#include "engine/value.h"
#include "server/server_state.h"

namespace tmd {
namespace {

// mongod: src/mongo/idl/generic_argument.idl (7.0), plus the internal fields it also lists.
const std::set<std::string> kGenericArguments = {"$db",
                                                 "lsid",
                                                 "txnNumber",
                                                 "autocommit",
                                                 "startTransaction",
                                                 "coordinator",
                                                 "txnRetryCounter",
                                                 "$clusterTime",
                                                 "writeConcern",
                                                 "readConcern",
                                                 "$readPreference",
                                                 "comment",
                                                 "maxTimeMS",
                                                 "maxTimeMSOpOnly",
                                                 "apiVersion",
                                                 "apiStrict",
                                                 "apiDeprecationErrors",
                                                 "$audit",
                                                 "$client",
                                                 "mayBypassWriteBlocking",
                                                 "$configServerState",
                                                 "$configTime",
                                                 "$topologyTime",
                                                 "$gleStats",
                                                 "$oplogQueryData",
                                                 "$replData",
                                                 "databaseVersion",
                                                 "shardVersion",
                                                 "clientOperationKey",
                                                 "$queryOptions",
                                                 "$query",
                                                 "$tenant",
                                                 "expectPrefix",
                                                 "tracking_info",
                                                 "usesDefaultMaxTimeMS",
                                                 "$traceCtx",
                                                 "$failpoints",
                                                 "help",
                                                 "$forceDeferredStart"};

enum class Rule44 {
    Unchecked,          // 4.4 ignored unknown fields
    Idl,                // 40415, as later releases
    QueryParser,        // FailedToParse "Failed to parse: <cmd>. Unrecognized field '<f>'."
    Aggregation,        // FailedToParse "unrecognized field '<f>'"
    CollectionOptions,  // InvalidOptions "The field '<f>' is not a valid collection option."
};

struct CommandFields {
    std::set<std::string> fields;  // besides the command name and the generic arguments
    Rule44 rule44 = Rule44::Unchecked;
    std::set<std::string> since_50 = {};  // declared fields 4.4 did not know
};

const std::set<std::string> kWriteCommandBase = {"ordered",
                                                 "bypassDocumentValidation",
                                                 "stmtId",
                                                 "stmtIds",
                                                 "collectionUUID",
                                                 "encryptionInformation",
                                                 "isTimeseriesNamespace",
                                                 "let"};

std::set<std::string> with(std::set<std::string> base, std::set<std::string> more) {
    base.insert(more.begin(), more.end());
    return base;
}

const std::map<std::string, CommandFields>& command_fields() {
    static const std::map<std::string, CommandFields> table = [] {
        std::map<std::string, CommandFields> t;
        t["find"] = {{"filter",
                      "projection",
                      "sort",
                      "hint",
                      "skip",
                      "limit",
                      "batchSize",
                      "singleBatch",
                      "let",
                      "max",
                      "min",
                      "returnKey",
                      "showRecordId",
                      "tailable",
                      "oplogReplay",
                      "noCursorTimeout",
                      "awaitData",
                      "allowPartialResults",
                      "collation",
                      "allowDiskUse",
                      "readOnce",
                      "allowSpeculativeMajorityRead",
                      "$_requestResumeToken",
                      "$_resumeAfter",
                      "$_startAt",
                      "term",
                      "ntoreturn",
                      "runtimeConstants",
                      "encryptionInformation",
                      "sampleId",
                      "$_isSearchQuery",
                      "includeQueryStatsMetrics",
                      "collectionUUID"},
                     Rule44::QueryParser,
                     {"let"}};
        t["aggregate"] = {{"pipeline",
                           "explain",
                           "allowDiskUse",
                           "cursor",
                           "hint",
                           "needsMerge",
                           "fromMongos",
                           "fromRouter",
                           "$_requestReshardingResumeToken",
                           "bypassDocumentValidation",
                           "collation",
                           "let",
                           "exchange",
                           "runtimeConstants",
                           "isMapReduceCommand",
                           "collectionUUID",
                           "$_passthroughToShard",
                           "$_generateV2ResumeTokens",
                           "encryptionInformation",
                           "$_isSearchQuery",
                           "sampleId",
                           "includeQueryStatsMetrics",
                           "$_requestResumeToken"},
                          Rule44::Aggregation,
                          {"let"}};
        t["getMore"] = {{"collection", "batchSize", "term", "lastKnownCommittedOpTime",
                         "includeQueryStatsMetrics"},
                        Rule44::QueryParser};
        t["insert"] = {with(kWriteCommandBase, {"documents"}), Rule44::Idl, {"let"}};
        t["update"] = {with(kWriteCommandBase, {"updates"}), Rule44::Idl, {"let"}};
        t["delete"] = {with(kWriteCommandBase, {"deletes"}), Rule44::Idl, {"let"}};
        t["findAndModify"] = {{"query", "fields", "sort", "hint", "collation", "arrayFilters",
                               "remove", "update", "upsert", "new", "bypassDocumentValidation",
                               "let", "stmtId", "encryptionInformation", "collectionUUID",
                               "isTimeseriesNamespace", "sampleId", "$_fromRouter"}};
        t["findandmodify"] = t["findAndModify"];
        t["count"] = {{"query", "limit", "skip", "hint", "collation", "fields",
                       "encryptionInformation", "mirrored", "sampleId", "collectionUUID"}};
        t["distinct"] = {
            {"key", "query", "collation", "hint", "mirrored", "sampleId", "collectionUUID"}};
        // Manual, create command: every documented field, plus idIndex (sent by mongorestore)
        // and the fields of create.idl a client may send.
        t["create"] = {{"capped",
                        "autoIndexId",
                        "idIndex",
                        "size",
                        "max",
                        "storageEngine",
                        "validator",
                        "validationLevel",
                        "validationAction",
                        "indexOptionDefaults",
                        "viewOn",
                        "pipeline",
                        "collation",
                        "changeStreamPreAndPostImages",
                        "timeseries",
                        "clusteredIndex",
                        "recordPreImages",
                        "temp",
                        "flags",
                        "expireAfterSeconds",
                        "encryptedFields"},
                       Rule44::CollectionOptions,
                       {"changeStreamPreAndPostImages", "timeseries", "clusteredIndex",
                        "expireAfterSeconds", "encryptedFields"}};
        t["collMod"] = {{"index", "validator", "validationLevel", "validationAction", "viewOn",
                         "pipeline", "recordPreImages", "changeStreamPreAndPostImages",
                         "expireAfterSeconds", "timeseries", "dryRun", "cappedSize", "cappedMax",
                         "collectionUUID", "isTimeseriesNamespace"}};
        t["drop"] = {{"collectionUUID", "isTimeseriesNamespace"}};
        t["createIndexes"] = {{"indexes", "commitQuorum", "ignoreUnknownIndexOptions",
                               "isTimeseriesNamespace", "collectionUUID", "returnOnStart"}};
        t["listIndexes"] = {{"cursor", "includeBuildUUIDs", "includeIndexBuildInfo",
                             "collectionUUID", "isTimeseriesNamespace"}};
        t["dropIndexes"] = {{"index", "collectionUUID", "isTimeseriesNamespace"}};
        t["deleteIndexes"] = t["dropIndexes"];
        t["listCollections"] = {
            {"filter", "nameOnly", "authorizedCollections", "cursor", "includePendingDrops"}};
        t["listDatabases"] = {{"filter", "nameOnly", "authorizedDatabases"}};
        t["killCursors"] = {{"cursors"}};
        t["renameCollection"] = {
            {"to", "dropTarget", "stayTemp", "collectionUUID", "newTargetCollectionUuid"}};
        return t;
    }();
    return table;
}

[[noreturn]] void reject(const CommandRequest& request, Rule44 rule, const std::string& field) {
    std::string command = Document::from_bson(*request.body).to_json();
    switch (rule) {
        case Rule44::QueryParser:
            throw MongoError(code::FailedToParse, "Failed to parse: " + command +
                                                      ". Unrecognized field '" + field + "'.");
        case Rule44::Aggregation:
            throw MongoError(code::FailedToParse, "unrecognized field '" + field + "'");
        case Rule44::CollectionOptions:
            throw MongoError(code::InvalidOptions, "The field '" + field +
                                                       "' is not a valid collection option. "
                                                       "Options: " +
                                                       command);
        default:
            throw MongoError(code::Location40415, "BSON field '" + request.name + "." + field +
                                                      "' is an unknown field.");
    }
}

// The statements of update and delete (write_ops.idl UpdateOpEntry and DeleteOpEntry, strict
// structs): an unknown field fails the whole command, as the IDL parses the statements with it.
// `sort` in a statement is 8.0+, so these profiles refuse it (crud spec "updateOne with sort
// option unsupported (server-side error)").
const std::map<std::string, std::pair<std::string, std::set<std::string>>>& statement_fields() {
    static const std::map<std::string, std::pair<std::string, std::set<std::string>>> table = {
        {"update",
         {"updates",
          {"q", "u", "c", "arrayFilters", "hint", "multi", "upsert", "upsertSupplied", "collation",
           "sampleId", "$_allowShardKeyUpdatesWithoutFullShardKeyInQuery"}}},
        {"delete", {"deletes", {"q", "limit", "hint", "collation", "sampleId"}}}};
    return table;
}

void check_statement_fields(const CommandRequest& request) {
    auto it = statement_fields().find(request.name);
    if (it == statement_fields().end()) return;
    const auto& [array, fields] = it->second;
    for (const BsonDoc& statement : request.documents_of(array)) {
        bson_iter_t iter;
        if (!bson_iter_init(&iter, statement.get())) continue;
        while (bson_iter_next(&iter)) {
            if (!fields.count(bson_iter_key(&iter))) {
                throw MongoError(code::Location40415, "BSON field '" + request.name + "." + array +
                                                          "." + bson_iter_key(&iter) +
                                                          "' is an unknown field.");
            }
        }
    }
}

}  // namespace

bool is_generic_argument(const std::string& field) {
    return kGenericArguments.count(field) > 0;
}

void check_command_fields(const CommandRequest& request) {
    const auto& table = command_fields();
    auto it = table.find(request.name);
    if (it == table.end()) return;
    bool before_50 = request.server->profile().max_wire_version < 13;
    Rule44 rule = before_50 ? it->second.rule44 : Rule44::Idl;
    if (rule == Rule44::Unchecked) return;
    bson_iter_t iter;
    if (!bson_iter_init(&iter, request.body) || !bson_iter_next(&iter)) return;
    while (bson_iter_next(&iter)) {
        std::string field = bson_iter_key(&iter);
        bool declared =
            it->second.fields.count(field) && !(before_50 && it->second.since_50.count(field));
        if (!declared && !is_generic_argument(field)) {
            reject(request, rule, field);
        }
    }
    check_statement_fields(request);
}

}  // namespace tmd
