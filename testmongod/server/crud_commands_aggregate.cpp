// The aggregate command: runs an engine Pipeline over a collection or view and carries out a
// trailing $out or $merge here, where collections live. $changeStream pipelines are delegated
// to change_stream.cpp. https://www.mongodb.com/docs/manual/reference/command/aggregate/
#include <chrono>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "engine/expression.h"
#include "engine/pipeline.h"
#include "engine/random.h"
#include "engine/update.h"
#include "engine/update_delta.h"
#include "server/change_stream.h"
#include "server/collection_read.h"
#include "server/collection_write.h"
#include "server/server_state.h"
#include "server/session.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

struct Namespace {
    std::string db;
    std::string coll;
};

// {$out: "c"} / {$out: {db, coll}} / {$merge: {into: "c" | {db, coll}}}: the target namespace.
Namespace target_of(const Value& spec, const std::string& default_db, const char* coll_field) {
    if (spec.is_string()) return {default_db, spec.str()};
    if (!spec.is_document()) {
        throw MongoError(code::TypeMismatch,
                         "the target of $out/$merge must be a string or an object");
    }
    Namespace ns{default_db, ""};
    if (const Value* db = spec.doc().get("db"); db && db->is_string()) ns.db = db->str();
    if (const Value* coll = spec.doc().get(coll_field); coll && coll->is_string())
        ns.coll = coll->str();
    validate_collection_name(ns.db, ns.coll);
    return ns;
}

std::string temp_collection_name() {
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%016llx",
                  static_cast<unsigned long long>(thread_random()()));
    return std::string("tmp.agg_out.") + suffix;
}

// $out as mongod does it: write a temporary collection carrying the target's indexes, then
// rename it over the target (dropTarget). A failure leaves the target unchanged.
void run_out(Catalog& catalog, const Namespace& target, std::vector<Document> docs, bool bypass) {
    Collection* existing = catalog.find(target.db, target.coll);
    if (existing && existing->is_view()) {
        throw MongoError(code::CommandNotSupportedOnView, "Cannot write to view " + existing->ns());
    }
    std::string temp = temp_collection_name();
    Collection& out = catalog.create(target.db, temp, existing ? existing->options() : Document());
    try {
        if (existing) {
            for (const auto& index : existing->indexes()) {
                if (!index.is_id_index()) out.add_index(Index(index.spec()));
            }
        }
        Validator validator(out, bypass);
        for (auto& doc : docs)
            insert_document(catalog, out, prepare_insert(std::move(doc)), validator);
    } catch (const MongoError&) {
        catalog.drop(target.db, temp);
        throw;
    }
    catalog.rename(target.db, temp, target.db, target.coll, true);
}

struct MergeSpec {
    Namespace into;
    std::vector<std::string> on{"_id"};
    std::string when_matched = "merge";
    std::optional<Value> matched_pipeline;
    std::string when_not_matched = "insert";
};

MergeSpec merge_spec(const Value& spec, const std::string& db) {
    MergeSpec merge;
    if (spec.is_string()) {
        merge.into = target_of(spec, db, "coll");
        return merge;
    }
    if (!spec.is_document())
        throw MongoError(code::TypeMismatch, "$merge requires a string or an object");
    const Value* into = spec.doc().get("into");
    if (!into) throw MongoError(40414, "BSON field '$merge.into' is missing but a required field");
    merge.into = target_of(*into, db, "coll");
    if (const Value* on = spec.doc().get("on")) {
        merge.on.clear();
        if (on->is_string()) merge.on.push_back(on->str());
        if (on->is_array()) {
            for (const auto& field : on->array())
                merge.on.push_back(field.str());
        }
    }
    if (const Value* matched = spec.doc().get("whenMatched")) {
        if (matched->is_array()) {
            merge.when_matched = "pipeline";
            merge.matched_pipeline = *matched;
        } else {
            merge.when_matched = matched->str();
        }
    }
    if (const Value* not_matched = spec.doc().get("whenNotMatched")) {
        merge.when_not_matched = not_matched->str();
    }
    return merge;
}

// The unique index $merge uses to match on its "on" fields: the _id index for the default,
// otherwise a unique index on exactly those fields (error 51183 without one).
struct MergeIndex {
    std::string name;
    Document key_pattern;
};

MergeIndex merge_index(const Collection& coll, const std::vector<std::string>& on) {
    if (on.size() == 1 && on[0] == "_id") {
        Document id_pattern;
        id_pattern.push_back("_id", Value::int32(1));
        return {"_id_", std::move(id_pattern)};
    }
    std::set<std::string> wanted(on.begin(), on.end());
    for (const auto& index : coll.indexes()) {
        std::set<std::string> fields;
        for (const auto& f : index.key_pattern().fields())
            fields.insert(f.name);
        if (index.unique() && fields == wanted) return {index.name(), index.key_pattern()};
    }
    throw MongoError(51183, "Cannot find index to verify that join fields will be unique");
}

// The "on" field values of a document, in key-pattern order: the filter that finds its match.
Document merge_key(const Document& doc, const MergeIndex& index) {
    Document key;
    for (const auto& field : index.key_pattern.fields()) {
        auto values = path_values(doc, field.name);
        if (values.size() != 1 || values[0].is_null() || values[0].is_array()) {
            throw MongoError(51132,
                             "$merge write error: 'on' field cannot be missing, null, "
                             "undefined or an array");
        }
        key.push_back(field.name, values[0]);
    }
    return key;
}

std::optional<RecordId> merge_match(const Collection& coll, const Document& key) {
    auto found = matching_records(coll, key, Matcher(key), std::nullopt, 1);
    if (found.empty()) return std::nullopt;
    return found.front();
}

// Applies whenMatched to the existing document; returns the new document or nothing to keep it.
// "merge" is mongod's {$set: <incoming>}: its fields are logged in `log` as that $set logs them
// (a changed field updated, a new one created) and nothing changes when none differs.
std::optional<Document> merged_document(const MergeSpec& merge, Document existing,
                                        const Document& incoming, DeltaLog& log) {
    if (merge.when_matched == "keepExisting") return std::nullopt;
    if (merge.when_matched == "replace") return incoming;
    if (merge.when_matched == "merge") {
        for (const auto& field : incoming.fields()) {
            const Value* current = existing.get(field.name);
            DeltaPath path{{field.name, false}};
            if (!current) {
                log.created(path, 0, field.value);
            } else if (current->type() != field.value.type() ||
                       !values_equal(*current, field.value)) {
                log.updated(path, field.value);
            }
            existing.set(field.name, field.value);
        }
        if (log.empty()) return std::nullopt;
        return existing;
    }
    Update(*merge.matched_pipeline).apply(existing, false);
    return existing;
}

void run_merge(Catalog& catalog, const MergeSpec& merge, std::vector<Document> docs, bool bypass) {
    Collection& coll = catalog.find_or_create(merge.into.db, merge.into.coll);
    MergeIndex index = merge_index(coll, merge.on);
    Validator validator(coll, bypass);
    for (auto& doc : docs) {
        if (merge.on.size() == 1 && merge.on[0] == "_id") ensure_id_first(doc);
        Document key = merge_key(doc, index);
        std::optional<RecordId> match = merge_match(coll, key);
        if (!match) {
            if (merge.when_not_matched == "discard") continue;
            if (merge.when_not_matched == "fail") {
                throw MongoError(13113,
                                 "$merge could not find a matching document in the target "
                                 "collection for at least one document in the source "
                                 "collection");
            }
            insert_document(catalog, coll, prepare_insert(std::move(doc)), validator);
            continue;
        }
        // whenMatched: fail is an insert in mongod, so it fails as the unique index does.
        if (merge.when_matched == "fail")
            throw_duplicate_key(coll.ns(), index.name, index.key_pattern, key);
        DeltaLog log;
        auto updated = merged_document(merge, to_document(coll.find_record(*match)->doc), doc, log);
        if (updated) {
            update_document(catalog, coll, *match, std::move(*updated),
                            merge.when_matched == "replace", validator, &log);
        }
    }
}

void run_write_stage(Catalog& catalog, const std::string& db, const Document& stage,
                     std::vector<Document> docs, bool bypass) {
    const Field& field = stage.fields().front();
    if (field.name == "$out") {
        Namespace target = target_of(field.value, db, "coll");
        validate_collection_name(target.db, target.coll);
        run_out(catalog, target, std::move(docs), bypass);
    } else {
        run_merge(catalog, merge_spec(field.value, db), std::move(docs), bypass);
    }
}

bool ends_with_write_stage(const Array& stages) {
    if (stages.empty() || !stages.back().is_document() || stages.back().doc().empty()) return false;
    const std::string& name = stages.back().doc().fields().front().name;
    return name == "$out" || name == "$merge";
}

Array pipeline_argument(const Document& body) {
    const Value* pipeline = body.get("pipeline");
    if (!pipeline) {
        throw MongoError(40414, "BSON field 'aggregate.pipeline' is missing but a required field");
    }
    if (!pipeline->is_array()) {
        throw MongoError(code::TypeMismatch, "BSON field 'aggregate.pipeline' is the wrong type '" +
                                                 type_name(pipeline->type()) +
                                                 "', expected type 'array'");
    }
    return pipeline->array();
}

void reply_explain(const std::string& ns, const Array& stages, bson_t* reply) {
    Document planner;
    planner.push_back("namespace", Value::string(ns));
    Document winning;
    winning.push_back("stage", Value::string("COLLSCAN"));
    planner.push_back("winningPlan", Value::document(std::move(winning)));
    append_document(reply, "queryPlanner", planner);
    append_value(reply, "stages", Value::array(stages));
}

// $out and $merge refuse readConcern "linearizable" when the command is parsed, as mongod's
// DocumentSourceOut/DocumentSourceMerge LiteParsed::supportsReadConcern do (InvalidOptions).
void check_write_stage_read_concern(const Document& body, const Array& stages) {
    if (!ends_with_write_stage(stages)) return;
    auto read_concern = document_argument(body, "aggregate", "readConcern");
    if (!read_concern) return;
    const Value* level = read_concern->get("level");
    if (!level || !level->is_string() || level->str() != "linearizable") return;
    const std::string& stage = stages.back().doc().fields().front().name;
    throw MongoError(code::InvalidOptions,
                     stage + " cannot be used with a 'linearizable' read concern level");
}

// SHA-256 of the empty user name: the uid mongod gives sessions when auth is disabled.
Value unauthenticated_session_uid() {
    static const unsigned char kDigest[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
                                              0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                                              0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
                                              0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    return Value(BSON_TYPE_BINARY,
                 Binary{BSON_SUBTYPE_BINARY, std::string(std::begin(kDigest), std::end(kDigest))});
}

// $listLocalSessions lists the sessions in mongod's in-memory session cache
// (https://www.mongodb.com/docs/manual/reference/operator/aggregation/listLocalSessions/). mongod
// adds a session to that cache when a command uses it; testmongod keeps no cache, so it lists the
// one session it knows is live: the one the aggregate itself runs under (none without lsid).
std::vector<Document> local_sessions(const Document& body) {
    std::vector<Document> sessions;
    const Value* lsid = body.get("lsid");
    if (!lsid || !lsid->is_document() || !lsid->doc().get("id")) return sessions;
    Document id;
    id.push_back("id", *lsid->doc().get("id"));
    id.push_back("uid", unauthenticated_session_uid());
    Document session;
    session.push_back("_id", Value::document(std::move(id)));
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    session.push_back("lastUse", Value::date(now.count()));
    sessions.push_back(std::move(session));
    return sessions;
}

// {$documents: <expression>} desugared exactly as mongod's DocumentSourceDocuments does: one
// empty document, the expression projected into a temporary field, unwound, and each element
// made the root (so non-object elements fail as $replaceRoot does).
Array desugared_documents(const Value& expression) {
    const std::string field = "_tempDocumentsField";
    Document project;
    project.push_back("_id", Value::boolean(false));
    project.push_back(field, expression);
    Document new_root;
    new_root.push_back("newRoot", Value::string("$" + field));
    Array stages;
    for (auto [name, spec] : {std::pair{"$project", Value::document(std::move(project))},
                              std::pair{"$unwind", Value::string("$" + field)},
                              std::pair{"$replaceRoot", Value::document(std::move(new_root))}}) {
        Document stage;
        stage.push_back(name, std::move(spec));
        stages.push_back(Value::document(std::move(stage)));
    }
    return stages;
}

// Where the pipeline's documents come from: a collection or view, or for {aggregate: 1} a first
// stage that generates them. https://www.mongodb.com/docs/manual/reference/command/aggregate/
// ("Use 1 for collection agnostic commands"): $documents, $listLocalSessions, $currentOp and
// $changeStream (the last handled in change_stream.cpp; $currentOp is not provided).
struct Source {
    std::string ns;                   // the cursor's namespace
    std::optional<std::string> coll;  // nothing for {aggregate: 1}
    std::vector<Document> generated;  // {aggregate: 1}: the first stage's documents
};

Source collectionless_source(const CommandRequest& request, const Document& body, Array& stages) {
    std::string first =
        stages.empty() || !stages.front().is_document() || stages.front().doc().empty()
            ? std::string()
            : stages.front().doc().fields().front().name;
    Source source{request.db + ".$cmd.aggregate", std::nullopt, {}};
    if (first == "$documents") {
        Array rest = desugared_documents(stages.front().doc().fields().front().value);
        rest.insert(rest.end(), stages.begin() + 1, stages.end());
        stages = std::move(rest);
        source.generated.emplace_back();
    } else if (first == "$listLocalSessions") {
        stages.erase(stages.begin());
        source.generated = local_sessions(body);
    } else {
        throw MongoError(code::InvalidNamespace, "{aggregate: 1} is not valid for '" + first +
                                                     "'; a collection is required.");
    }
    return source;
}

Source source_of(const CommandRequest& request, const Document& body, Array& stages) {
    // Errors of mongod's aggregation_request_helper::parseNs.
    const Value& target = body.fields().front().value;
    if (target.is_number()) {
        if (target.as_double() != 1) {
            throw MongoError(code::FailedToParse,
                             "Invalid command format: the 'aggregate' field must specify a "
                             "collection name or 1");
        }
        return collectionless_source(request, body, stages);
    }
    if (!target.is_string()) {
        throw MongoError(code::TypeMismatch,
                         "collection name has invalid type: " + type_name(target.type()));
    }
    validate_collection_name(request.db, target.str());
    return Source{request.db + "." + target.str(), target.str(), {}};
}

// The size of a leading {$sample: {size: N}}, or nothing (another first stage, or a $sample the
// pipeline parser rejects).
std::optional<int64_t> leading_sample_size(const Array& stages) {
    if (stages.empty() || !stages.front().is_document() || stages.front().doc().size() != 1)
        return std::nullopt;
    const Field& stage = stages.front().doc().fields().front();
    if (stage.name != "$sample" || !stage.value.is_document() || stage.value.doc().size() != 1)
        return std::nullopt;
    const Value* size = stage.value.doc().get("size");
    if (!size || !size->is_number() || size->as_double() < 0) return std::nullopt;
    return size->as_int64();
}

// What the pipeline reads from a collection or view, copied under the catalog lock (held by the
// caller; `lock` when it is a shared lock the copy may yield). A leading $sample on a collection
// takes its documents from the random cursor when that applies; the stage still runs, over exactly
// its sample, which it only reshuffles.
StoredView stored_input(Catalog& catalog, const std::string& db, const Source& source,
                        const Array& stages, SharedLock* lock) {
    if (!source.coll) return {};
    Collection* coll = catalog.find(db, *source.coll);
    if (auto size = leading_sample_size(stages); size && coll && !coll->is_view()) {
        SharedLock reading = read_lock(*coll, lock != nullptr);
        if (auto sample = random_cursor_sample(*coll, *size)) return {std::move(*sample), {}};
    }
    return stored_view(catalog, db, *source.coll, lock);
}

// The pipeline's input documents, parsed from stored_input (needs no lock).
std::vector<Document> input_of(Source& source, StoredView stored, const CollectionReader& reader) {
    if (!source.coll) return std::move(source.generated);
    return run_stored_view(std::move(stored), reader);
}

void cmd_aggregate(const CommandRequest& request, bson_t* reply) {
    if (run_change_stream_aggregate(request, reply)) return;
    Document body = body_of(request);
    Array stages = pipeline_argument(body);
    check_search_stages(request, stages);
    check_write_stage_read_concern(body, stages);
    Source source = source_of(request, body, stages);
    bool explain = bool_argument(body, "aggregate", "explain", false);
    auto cursor = document_argument(body, "aggregate", "cursor");
    if (!cursor && !explain) {
        throw MongoError(code::FailedToParse,
                         "The 'cursor' option is required, except for aggregate with the explain "
                         "argument");
    }
    int64_t batch_size =
        cursor ? non_negative_argument(*cursor, "aggregate", "batchSize", 101) : 101;
    bool bypass = bool_argument(body, "aggregate", "bypassDocumentValidation", false);
    auto variables = let_of(body, "aggregate");
    const Variables* let = variables ? &*variables : nullptr;

    Catalog& catalog = request.catalog();
    std::vector<StoredDoc> results;
    // Read under the locks below; the source's default collation applies when the command
    // has none.
    auto source_collection = [&] {
        return source.coll ? catalog.find(request.db, *source.coll) : nullptr;
    };
    if (ends_with_write_stage(stages) && request.session && request.session->transaction()) {
        // Manual, "Transactions and Operations": $out and $merge are not allowed.
        throw MongoError(code::OperationNotSupportedInTransaction,
                         "$out and $merge cannot be used in a transaction");
    }
    if (ends_with_write_stage(stages)) {
        // The write stage needs the unique lock; the read runs under it too.
        std::unique_lock lock(catalog.mutex());
        CollectionReader reader = reader_for(catalog, request.db);
        Pipeline pipeline(stages, reader, let,
                          collation_of(body, "aggregate", source_collection()));
        if (explain) return reply_explain(source.ns, stages, reply);
        auto docs = pipeline.run(
            input_of(source, stored_input(catalog, request.db, source, stages, nullptr), reader));
        run_write_stage(catalog, request.db, *pipeline.write_stage(), std::move(docs), bypass);
    } else {
        // The shared lock only while the input is copied; the pipeline runs without it.
        CollectionReader reader = snapshot_reader_for(catalog, request.db);
        std::optional<Pipeline> pipeline;
        StoredView stored;
        {
            SharedLock lock(catalog.mutex());
            pipeline.emplace(stages, reader, let,
                             collation_of(body, "aggregate", source_collection()));
            if (explain) return reply_explain(source.ns, stages, reply);
            stored = stored_input(catalog, request.db, source, stages, &lock);
        }
        for (const auto& doc : pipeline->run(input_of(source, std::move(stored), reader))) {
            results.push_back(to_stored(doc));
        }
    }
    request.server->cursors().reply_first_batch(
        std::make_unique<StoredDocsCursor>(std::move(results)), source.ns, batch_size, false,
        request.body, reply);
}

}  // namespace

void register_aggregate_command(CommandRegistry& registry) {
    registry.add("aggregate", cmd_aggregate);
}

}  // namespace tmd
