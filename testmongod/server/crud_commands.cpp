// CRUD commands: insert, update, delete, find, count, distinct, findAndModify, aggregate.
// Each follows mongod's documented replies and error codes; writes append to the oplog while
// holding the collection lock that makes them visible (catalog.h, "Locking").
#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "engine/projection.h"
#include "engine/update.h"
#include "engine/update_delta.h"
#include "server/collection_read.h"
#include "server/collection_write.h"
#include "server/replace_by_id.h"
#include "server/server_state.h"
#include "server/session.h"
#include "server/storage_util.h"
#include "server/timeseries.h"
#include "server/transaction.h"

namespace tmd {
namespace {

constexpr int64_t kMaxWriteBatchSize = 100000;
constexpr int64_t kDefaultBatchSize = 101;

Catalog& catalog_of(const CommandRequest& request) {
    return request.catalog();
}

// Retryable writes (manual, "Retryable Writes"; mongod: write_ops_exec.cpp): a statement whose
// stmtId the session already executed for this txnNumber is answered from the record, not run.
const StatementResult* already_executed(const CommandRequest& request, size_t index) {
    return request.session ? request.session->executed(index) : nullptr;
}

void record_statement(const CommandRequest& request, size_t index, StatementResult result) {
    if (request.session) request.session->record(index, std::move(result));
}

void before_statement(const CommandRequest& request) {
    if (request.session) request.session->before_write();
}

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// The command's maxTimeMS from now; none without it (or with 0).
Deadline deadline_of(const CommandRequest& request) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, request.body, "maxTimeMS") || !BSON_ITER_HOLDS_NUMBER(&iter) ||
        bson_iter_as_int64(&iter) <= 0) {
        return std::nullopt;
    }
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(bson_iter_as_int64(&iter));
}

// MaxTimeMSExpired: an interruption, which fails the whole write command rather than being one
// statement's write error (mongod: write_ops_exec.cpp handleError rethrows interruptions).
class TimeLimitExceeded : public MongoError {
  public:
    TimeLimitExceeded() : MongoError(code::MaxTimeMSExpired, "operation exceeded time limit") {}
};

// The locks of a write (catalog.h, "Locking"), which retry_while_claimed releases while it waits
// and takes again after.
class StatementLocks {
  public:
    using Acquire = std::function<CollectionLock()>;
    explicit StatementLocks(Acquire acquire) : acquire_(std::move(acquire)), held_(acquire_()) {}
    void unlock() { held_.reset(); }
    void lock() { held_.emplace(acquire_()); }
    // The collection written, as found when the locks were last taken (nullptr: none).
    Collection* collection() const { return held_->collection(); }

  private:
    Acquire acquire_;
    std::optional<CollectionLock> held_;
};

// A statement of a write outside a transaction that meets a document a transaction in progress
// wrote is retried, as mongod's writeConflictRetry does, once the transaction commits or aborts;
// its locks are released while it waits, bounded by maxTimeMS (then the command fails with
// MaxTimeMSExpired, an interruption). `relocked` runs after each wait, for callers that hold
// pointers into the catalog. A statement that already changed other documents (a multi update or
// delete) cannot be run again: it fails with WriteConflict. Whether it wrote is counted on its
// own thread, so writes of other clients meanwhile do not count.
template <typename Statement>
void retry_while_claimed(const CommandRequest& request, Deadline deadline, StatementLocks& lock,
                         Statement statement, const std::function<void()>& relocked = {}) {
    for (;;) {
        uint64_t before = Catalog::entries_appended_by_this_thread();
        try {
            statement();
            return;
        } catch (const DocumentClaimed& claimed) {
            if (before != Catalog::entries_appended_by_this_thread()) throw MongoError(claimed);
            lock.unlock();
            bool released =
                request.server->sessions().wait_released(claimed.key(), deadline, *request.server);
            lock.lock();
            if (!released) throw TimeLimitExceeded();
            if (relocked) relocked();
        }
    }
}

// mongod: "Cannot use (or request) retryable writes with multi=true" (InvalidOptions), per
// statement; limit: 0 deletes likewise.
void check_retryable(const CommandRequest& request, bool multi, const char* what) {
    if (multi && request.session && request.session->retryable_write()) {
        throw MongoError(code::InvalidOptions,
                         std::string("Cannot use (or request) retryable writes with ") + what);
    }
}

// 6.0+ replies list the statements a retry answered from the record (retriedStmtIds).
void append_retried(const CommandRequest& request, bson_t* reply) {
    if (!request.session || request.session->retried().empty() ||
        request.server->profile().max_wire_version < 17) {
        return;
    }
    Array ids;
    for (int32_t id : request.session->retried())
        ids.push_back(Value::int32(id));
    append_value(reply, "retriedStmtIds", Value::array(std::move(ids)));
}

// The namespace a read or write command names, validated as mongod does.
std::string target_of(const CommandRequest& request) {
    std::string coll = collection_argument(request);
    validate_collection_name(request.db, coll);
    return coll;
}

void check_batch_size(size_t count) {
    if (count == 0 || count > static_cast<size_t>(kMaxWriteBatchSize)) {
        throw MongoError(code::InvalidLength,
                         "Write batch sizes must be between 1 and 100000. Got " +
                             std::to_string(count) + " operations.");
    }
}

// Collects writeErrors entries: {index, code, errmsg} plus keyPattern/keyValue or errInfo.
class WriteErrors {
  public:
    void add(size_t index, const MongoError& error) {
        bson_t entry;
        std::string key = std::to_string(count_++);
        bson_append_document_begin(&errors_, key.c_str(), -1, &entry);
        BSON_APPEND_INT32(&entry, "index", static_cast<int32_t>(index));
        BSON_APPEND_INT32(&entry, "code", error.code());
        BSON_APPEND_UTF8(&entry, "errmsg", error.message().c_str());
        if (auto* detailed = dynamic_cast<const DetailedError*>(&error)) {
            detailed->info().append_to(&entry);
        }
        bson_append_document_end(&errors_, &entry);
    }
    void append_to(bson_t* reply) {
        if (count_ > 0) BSON_APPEND_ARRAY(reply, "writeErrors", &errors_);
    }
    ~WriteErrors() { bson_destroy(&errors_); }

  private:
    bson_t errors_ = BSON_INITIALIZER;
    int count_ = 0;
};

// Before 5.0 an inserted document may not have top-level '$' field names (BadValue, "Document
// can't have $ prefixed field names"); 5.0+ stores them (manual, "Field Names": "Dollar ($)
// prefixed fields are permitted as top level and nested field names for inserts").
void check_top_level_names(const CommandRequest& request, const bson_t& doc) {
    if (request.server->profile().top_level_dollar_fields) return;
    bson_iter_t iter;
    if (!bson_iter_init(&iter, &doc)) return;  // prepare_insert reports malformed documents
    while (bson_iter_next(&iter)) {
        const char* key = bson_iter_key(&iter);
        if (key[0] == '$') {
            throw MongoError(code::BadValue,
                             std::string("Document can't have $ prefixed field names: ") + key);
        }
    }
}

// The collection a write to `name` changes: a time-series collection's buckets when the write
// goes there (inserts always; deletes on profiles that allow them), otherwise `name`. The caller
// holds the catalog lock.
std::string write_target(Catalog& catalog, const std::string& db, const std::string& name,
                         bool for_delete) {
    const Collection* coll = catalog.find(db, name);
    const Collection* buckets = !coll        ? nullptr
                                : for_delete ? buckets_accepting_deletes(catalog, coll)
                                             : buckets_of(catalog, *coll);
    return buckets ? buckets->name() : name;
}

// The locks of an insert (creating `name` when missing) or delete on the collection it changes,
// set in `target`, which is resolved again under them: when the time-series collection was
// dropped or created in between, the loop goes round again, so the write cannot meet a target
// that `name` no longer resolves to (a plain system.buckets collection, say).
CollectionLock write_target_lock(Catalog& catalog, const std::string& db, const std::string& name,
                                 bool for_delete, std::string& target) {
    for (;;) {
        {
            SharedLock catalog_lock(catalog.mutex());
            target = write_target(catalog, db, name, for_delete);
        }
        CollectionLock lock =
            target == name && !for_delete
                ? CollectionLock::creating(catalog, db, target)
                : CollectionLock(catalog, db, target, CollectionLock::Mode::Write);
        if (write_target(catalog, db, name, for_delete) == target) return lock;
    }
}

// mongod refuses writes to a time-series collection in a multi-document transaction (263):
// inserts (write_ops_exec.cpp, jstests core/timeseries/timeseries_insert_in_txn.js), deletes and
// updates (jstests: "deleting and updating time-series collections from a multi-document
// transaction is disallowed").
void check_timeseries_write_outside_transaction(const CommandRequest& request,
                                                const std::string& name) {
    if (!request.session || !request.session->transaction()) return;
    Catalog& catalog = catalog_of(request);
    SharedLock lock(catalog.mutex());
    const Collection* coll = catalog.find(request.db, name);
    if (!coll || !buckets_of(catalog, *coll)) return;
    throw MongoError(code::OperationNotSupportedInTransaction,
                     "Cannot run '" + request.name +
                         "' on a time-series collection in a multi-document transaction: " +
                         request.db + "." + name);
}

// mongod's hangWithLockDuringBatchInsert (write_ops_exec.cpp insertBatchAndHandleErrors): once
// the insert holds its collection's lock it waits while the failpoint is on (or until shutdown).
void hang_with_lock_if_asked(ServerState& server) {
    FailPoints& points = server.fail_points();
    if (!points.enter_hang_with_lock_during_batch_insert()) return;
    while (points.hang_with_lock_during_batch_insert() &&
           !server.wait_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(10))) {
    }
}

// https://www.mongodb.com/docs/manual/reference/command/insert/
void cmd_insert(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    check_timeseries_write_outside_transaction(request, name);
    Document body = body_without(request, "documents");
    bool ordered = bool_argument(body, "insert", "ordered", true);
    bool bypass = bool_argument(body, "insert", "bypassDocumentValidation", false);
    std::vector<BsonDoc> documents = request.documents_of("documents");
    check_batch_size(documents.size());

    Deadline deadline = deadline_of(request);
    Catalog& catalog = catalog_of(request);
    std::string target;
    StatementLocks locks(
        [&] { return write_target_lock(catalog, request.db, name, false, target); });
    Collection* coll = nullptr;
    std::optional<Validator> validator;
    std::optional<BucketSpec> bucketing;
    auto resolve = [&] {
        coll = locks.collection();
        validator.emplace(*coll, bypass);
        bucketing = target != name ? bucket_spec_of(*coll) : std::nullopt;
    };
    resolve();
    hang_with_lock_if_asked(*request.server);
    WriteErrors errors;
    int32_t inserted = 0;
    for (size_t i = 0; i < documents.size(); ++i) {
        if (const StatementResult* done = already_executed(request, i)) {
            inserted += static_cast<int32_t>(done->n);
            continue;
        }
        try {
            check_top_level_names(request, documents[i]);
            before_statement(request);
            retry_while_claimed(
                request, deadline, locks,
                [&] {
                    if (bucketing) {
                        insert_measurement(catalog, *coll, *bucketing,
                                           Document::from_bson(documents[i]), *validator);
                    } else {
                        insert_document(catalog, *coll, prepare_insert(documents[i]), *validator);
                    }
                },
                resolve);
            ++inserted;
            record_statement(request, i, StatementResult{1, 0, std::nullopt, {}});
        } catch (const TimeLimitExceeded&) {
            throw;
        } catch (const MongoError& error) {
            errors.add(i, error);
            if (ordered) break;
        }
    }
    BSON_APPEND_INT32(reply, "n", inserted);
    errors.append_to(reply);
    append_retried(request, reply);
}

FindQuery find_query(const Document& body) {
    FindQuery query;
    if (auto filter = document_argument(body, "find", "filter")) query.filter = std::move(*filter);
    query.sort = document_argument(body, "find", "sort");
    query.projection = document_argument(body, "find", "projection");
    query.min = document_argument(body, "find", "min");
    query.max = document_argument(body, "find", "max");
    if (const Value* hint = body.get("hint")) query.hint = *hint;
    query.skip = non_negative_argument(body, "find", "skip", 0);
    query.limit = non_negative_argument(body, "find", "limit", 0);
    query.return_key = bool_argument(body, "find", "returnKey", false);
    return query;
}

// find with tailable/awaitData (manual, "Tailable Cursors"): only on capped collections, with
// mongod's refusals (query_request_helper.cpp validateFindCommandRequest, the planner's
// "tailable cursor requested on non capped collection"). A missing collection gives an empty,
// closed cursor.
void find_tailable(const CommandRequest& request, const std::string& name, const Document& body,
                   const FindQuery& query, int64_t batch_size, bson_t* reply) {
    bool tailable = bool_argument(body, "find", "tailable", false);
    bool await_data = bool_argument(body, "find", "awaitData", false);
    if (!tailable) {
        throw MongoError(code::FailedToParse,
                         "Cannot set 'awaitData' without also setting 'tailable'");
    }
    if (bool_argument(body, "find", "singleBatch", false)) {
        throw MongoError(code::BadValue,
                         "cannot use tailable option with the 'singleBatch' option");
    }
    if (query.sort && compare_documents(*query.sort, Document::from_json(R"({"$natural": 1})"))) {
        throw MongoError(code::BadValue,
                         "cannot use tailable option with a sort other than {$natural: 1}");
    }
    Catalog& catalog = catalog_of(request);
    {
        std::shared_lock lock(catalog.mutex());
        const Collection* coll = catalog.find(request.db, name);
        if (!coll) {
            return request.server->cursors().reply_first_batch(
                std::make_unique<StoredDocsCursor>(std::vector<StoredDoc>{}),
                request.db + "." + name, batch_size, true, request.body, reply);
        }
        if (!coll->is_capped()) {
            throw MongoError(code::BadValue,
                             "error processing query: ns=" + coll->ns() +
                                 " planner returned error :: caused by :: tailable cursor "
                                 "requested on non capped collection");
        }
    }
    request.server->cursors().reply_first_batch(
        std::make_unique<TailableCursor>(*request.server, request.db, name, query.filter,
                                         await_data),
        request.db + "." + name, batch_size, false, request.body, reply);
}

// https://www.mongodb.com/docs/manual/reference/command/find/ — the first batch holds at most
// batchSize (default 101) documents; limit caps the whole result.
void cmd_find(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    Document body = body_of(request);
    FindQuery query = find_query(body);
    auto let = let_of(body, "find");
    query.let = let ? &*let : nullptr;
    int64_t batch_size = non_negative_argument(body, "find", "batchSize", kDefaultBatchSize);
    if (bool_argument(body, "find", "tailable", false) ||
        bool_argument(body, "find", "awaitData", false)) {
        return find_tailable(request, name, body, query, batch_size, reply);
    }
    bool single_batch = bool_argument(body, "find", "singleBatch", false);
    Catalog& catalog = catalog_of(request);
    {
        std::shared_lock lock(catalog.mutex());
        query.collator = collation_of(body, "find", catalog.find(request.db, name));
    }
    std::vector<StoredDoc> docs = run_find(catalog, request.db, name, query);
    request.server->cursors().reply_first_batch(std::make_unique<StoredDocsCursor>(std::move(docs)),
                                                request.db + "." + name, batch_size, single_batch,
                                                request.body, reply);
}

// https://www.mongodb.com/docs/manual/reference/command/count/ — a negative limit counts as
// its absolute value.
void cmd_count(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    Document body = body_of(request);
    FindQuery query;
    if (auto filter = document_argument(body, "count", "query")) query.filter = std::move(*filter);
    if (const Value* hint = body.get("hint")) query.hint = *hint;
    query.skip = non_negative_argument(body, "count", "skip", 0);
    query.limit = std::abs(int_argument(body, "count", "limit", 0));
    Catalog& catalog = catalog_of(request);
    std::optional<int64_t> n;  // from the collection's count when nothing needs reading
    {
        CollectionLock lock(catalog, request.db, name, CollectionLock::Mode::Read);
        Collection* coll = lock.collection();
        query.collator = collation_of(body, "count", coll);
        if (coll && !coll->is_view() && query.filter.empty() && !query.hint) {
            n = std::max<int64_t>(0, static_cast<int64_t>(coll->count()) - query.skip);
            if (query.limit > 0) n = std::min(*n, query.limit);
        }
    }
    if (!n) n = static_cast<int64_t>(run_find(catalog, request.db, name, query).size());
    BSON_APPEND_INT64(reply, "n", *n);
}

// Distinct values of a path: array values contribute their elements (one level), as
// https://www.mongodb.com/docs/manual/reference/command/distinct/ describes.
void cmd_distinct(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    Document body = body_of(request);
    auto key = string_argument(body, "distinct", "key");
    if (!key) throw MongoError(40414, "BSON field 'distinct.key' is missing but a required field");
    FindQuery query;
    if (auto filter = document_argument(body, "distinct", "query"))
        query.filter = std::move(*filter);
    if (const Value* hint = body.get("hint")) query.hint = *hint;
    Catalog& catalog = catalog_of(request);
    {
        std::shared_lock lock(catalog.mutex());
        query.collator = collation_of(body, "distinct", catalog.find(request.db, name));
    }
    std::vector<Value> values;
    for (const auto& stored : run_find(catalog, request.db, name, query)) {
        for (auto& value : path_values(to_document(stored), *key)) {
            if (value.type() != BSON_TYPE_UNDEFINED) values.push_back(std::move(value));
        }
    }
    // Values equal under the collation count once (manual, distinct: "Collation").
    const Collator* collator = query.collator.get();
    std::stable_sort(values.begin(), values.end(), [collator](const Value& a, const Value& b) {
        return compare_values(a, b, collator) < 0;
    });
    auto same = [collator](const Value& a, const Value& b) {
        return compare_values(a, b, collator) == 0;
    };
    values.erase(std::unique(values.begin(), values.end(), same), values.end());
    append_value(reply, "values", Value::array(std::move(values)));
}

// Writes are not allowed on views: CommandNotSupportedOnView (166).
Collection* writable_collection(Catalog& catalog, const std::string& db, const std::string& name) {
    Collection* coll = catalog.find(db, name);
    if (coll && coll->is_view()) {
        throw MongoError(code::CommandNotSupportedOnView,
                         "Namespace " + coll->ns() + " is a view, not a collection");
    }
    return coll;
}

std::optional<Array> array_filters_of(const Document& spec, const std::string& command) {
    const Value* filters = spec.get("arrayFilters");
    if (!filters || filters->is_null()) return std::nullopt;
    if (!filters->is_array()) {
        throw MongoError(code::TypeMismatch,
                         "BSON field '" + command + ".arrayFilters' is the wrong type '" +
                             type_name(filters->type()) + "', expected type 'array'");
    }
    return filters->array();
}

const Value& required_field(const Document& spec, const char* field, const std::string& where) {
    const Value* value = spec.get(field);
    if (!value) {
        throw MongoError(
            40414, "BSON field '" + where + "." + field + "' is missing but a required field");
    }
    return *value;
}

Document required_document(const Document& spec, const char* field, const std::string& where) {
    const Value& value = required_field(spec, field, where);
    if (!value.is_document()) {
        throw MongoError(code::TypeMismatch, "BSON field '" + where + "." + field +
                                                 "' is the wrong type '" + type_name(value.type()) +
                                                 "', expected type 'object'");
    }
    return value.doc();
}

// The document an upsert inserts: the query's equality fields, then the update applied with
// $setOnInsert; a replacement keeps only the query's _id.
// https://www.mongodb.com/docs/manual/reference/method/db.collection.update/#upsert-behavior
Document upsert_document(const Matcher& matcher, const Update& update,
                         const VersionProfile& profile) {
    Document seed = matcher.upsert_seed();
    if (!update.is_replacement()) {
        update.apply(seed, true);
        return seed;
    }
    Document doc;
    update.apply(doc, true);
    if (!profile.top_level_dollar_fields) validate_nested_names_before_50(doc);
    if (const Value* id = seed.get("_id"); id && !doc.get("_id")) {
        doc.fields().insert(doc.fields().begin(), Field{"_id", *id});
    }
    return doc;
}

// Applies one update statement ({q, u, upsert, multi, arrayFilters, hint}). The statement is
// taken by value so that its `u` (a whole document for a replacement) moves into the Update.
UpdateOutcome run_update_statement(Catalog& catalog, const std::string& db, const std::string& name,
                                   Document statement, bool bypass, const Variables* let) {
    Document filter = required_document(statement, "q", "update.updates");
    required_field(statement, "u", "update.updates");
    bool multi = bool_argument(statement, "update.updates", "multi", false);
    bool upsert = bool_argument(statement, "update.updates", "upsert", false);
    auto array_filters = array_filters_of(statement, "update.updates");
    Update update(std::move(*statement.get("u")), array_filters ? &*array_filters : nullptr, let);
    if (multi && update.is_replacement()) {
        throw MongoError(code::FailedToParse,
                         "multi update is not supported for replacement-style update");
    }
    Collection* coll = writable_collection(catalog, db, name);
    auto collator = collation_of(statement, "update.updates", coll);
    Matcher matcher(filter, let, collator);
    if (const Value* hint = statement.get("hint");
        hint && !(hint->is_document() && hint->doc().empty())) {
        check_hint(coll, *hint);
    }
    UpdateOutcome outcome;
    if (coll) {
        Validator validator(*coll, bypass);
        for (auto& [rid, doc] :
             matching_documents(*coll, filter, matcher, std::nullopt, multi ? 0 : 1, collator)) {
            MatchDetails details;
            matcher.matches(doc, &details);
            ++outcome.matched;
            DeltaLog log;
            if (!update.apply(doc, false, &details, &log)) continue;
            update_document(catalog, *coll, rid, std::move(doc), update.is_replacement(), validator,
                            &log);
            ++outcome.modified;
        }
    }
    if (outcome.matched == 0 && upsert) {
        PreparedDoc prepared =
            prepare_insert(upsert_document(matcher, update, catalog.server().profile()));
        outcome.upserted_id = prepared.id;
        Collection& target = catalog.find_or_create(db, name);
        insert_document(catalog, target, std::move(prepared), Validator(target, bypass));
    }
    return outcome;
}

// The update command's authorization check reads each pipeline update with LiteParsedPipeline
// (auth::checkAuthForUpdate), which refuses unknown stage names before any statement runs, so an
// unknown stage fails the whole command with 40324; which stages an update allows is decided per
// statement (PipelineExecutor: InvalidOptions write errors).
void check_update_stage_names(const std::vector<BsonDoc>& statements) {
    for (const BsonDoc& statement : statements) {
        bson_iter_t u, stage;
        if (!bson_iter_init_find(&u, statement.get(), "u") || !BSON_ITER_HOLDS_ARRAY(&u)) continue;
        bson_iter_recurse(&u, &stage);
        while (bson_iter_next(&stage)) {
            if (!BSON_ITER_HOLDS_DOCUMENT(&stage)) continue;  // the statement's parser reports it
            bson_iter_t name;
            if (!bson_iter_recurse(&stage, &name) || !bson_iter_next(&name)) continue;
            if (!Pipeline::knows_stage(bson_iter_key(&name))) {
                throw MongoError(code::Location40324, std::string("Unrecognized pipeline stage "
                                                                  "name: '") +
                                                          bson_iter_key(&name) + "'");
            }
        }
    }
}

// The locks one update or findAndModify runs under: an upsert first creates a missing collection,
// as mongod's performSingleUpdateOp does (write_ops_exec.cpp: makeCollection when the collection
// does not exist and the update is an upsert).
CollectionLock update_lock(Catalog& catalog, const std::string& db, const std::string& name,
                           bool upsert) {
    return upsert ? CollectionLock::creating(catalog, db, name)
                  : CollectionLock(catalog, db, name, CollectionLock::Mode::Write);
}

bool bson_flag(const BsonDoc& doc, const char* field) {
    bson_iter_t iter;
    return bson_iter_init_find(&iter, doc.get(), field) && bson_iter_as_bool(&iter);
}

// https://www.mongodb.com/docs/manual/reference/command/update/ — each statement takes its locks
// (mongod acquires the collection per statement too), so writers of the collection interleave.
void cmd_update(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    check_timeseries_write_outside_transaction(request, name);
    Document body = body_without(request, "updates");
    bool ordered = bool_argument(body, "update", "ordered", true);
    bool bypass = bool_argument(body, "update", "bypassDocumentValidation", false);
    std::vector<BsonDoc> statements = request.documents_of("updates");
    check_batch_size(statements.size());
    check_update_stage_names(statements);
    auto let = let_of(body, "update");

    Deadline deadline = deadline_of(request);
    Catalog& catalog = catalog_of(request);
    {
        SharedLock lock(catalog.mutex());
        writable_collection(catalog, request.db, name);
    }
    WriteErrors errors;
    int64_t n = 0, modified = 0;
    bson_t upserted = BSON_INITIALIZER;
    int upserted_count = 0;
    auto count_upsert = [&](size_t i, const Value& id) {
        ++n;
        Document entry;
        entry.push_back("index", Value::int32(static_cast<int32_t>(i)));
        entry.push_back("_id", id);
        append_document(&upserted, std::to_string(upserted_count++).c_str(), entry);
    };
    for (size_t i = 0; i < statements.size(); ++i) {
        if (const StatementResult* done = already_executed(request, i)) {
            n += done->n;
            modified += done->modified;
            if (done->upserted_id) count_upsert(i, *done->upserted_id);
            continue;
        }
        try {
            check_retryable(request, bson_flag(statements[i], "multi"), "multi=true");
            before_statement(request);
            StatementLocks locks([&] {
                return update_lock(catalog, request.db, name, bson_flag(statements[i], "upsert"));
            });
            UpdateOutcome outcome;
            retry_while_claimed(request, deadline, locks, [&] {
                std::optional<UpdateOutcome> fast =
                    replace_by_id(catalog, request.db, name, statements[i], bypass);
                outcome = fast ? std::move(*fast)
                               : run_update_statement(catalog, request.db, name,
                                                      Document::from_bson(statements[i]), bypass,
                                                      let ? &*let : nullptr);
            });
            n += outcome.matched;
            modified += outcome.modified;
            if (outcome.upserted_id) count_upsert(i, *outcome.upserted_id);
            record_statement(
                request, i,
                StatementResult{outcome.matched, outcome.modified, outcome.upserted_id, {}});
        } catch (const TimeLimitExceeded&) {
            throw;
        } catch (const MongoError& error) {
            errors.add(i, error);
            if (ordered) break;
        }
    }
    BSON_APPEND_INT32(reply, "n", static_cast<int32_t>(n));
    BSON_APPEND_INT32(reply, "nModified", static_cast<int32_t>(modified));
    if (upserted_count > 0) BSON_APPEND_ARRAY(reply, "upserted", &upserted);
    bson_destroy(&upserted);
    errors.append_to(reply);
    append_retried(request, reply);
}

// One delete statement ({q, limit: 0|1, hint}); returns the number deleted.
int64_t run_delete_statement(Catalog& catalog, const std::string& db, const std::string& name,
                             const Document& statement, const Variables* let) {
    Document filter = required_document(statement, "q", "delete.deletes");
    int64_t limit = int_argument(statement, "delete.deletes", "limit", 0);
    if (!statement.get("limit")) {
        throw MongoError(40414,
                         "BSON field 'delete.deletes.limit' is missing but a required field");
    }
    if (limit != 0 && limit != 1) {
        throw MongoError(
            code::FailedToParse,
            "The limit field in delete objects must be 0 or 1. Got " + std::to_string(limit));
    }
    Collection* target = catalog.find(db, name);
    if (Collection* buckets = buckets_accepting_deletes(catalog, target)) {
        Matcher matcher(filter, let, collation_of(statement, "delete.deletes", target));
        return delete_measurements(catalog, *buckets, *bucket_spec_of(*buckets), matcher,
                                   limit == 1);
    }
    Collection* coll = writable_collection(catalog, db, name);
    auto collator = collation_of(statement, "delete.deletes", coll);
    Matcher matcher(filter, let, collator);
    if (const Value* hint = statement.get("hint");
        hint && !(hint->is_document() && hint->doc().empty())) {
        check_hint(coll, *hint);
    }
    if (!coll) return 0;
    int64_t deleted = 0;
    for (RecordId rid : matching_records(*coll, filter, matcher, std::nullopt, limit, collator)) {
        delete_document(catalog, *coll, rid);
        ++deleted;
    }
    return deleted;
}

// https://www.mongodb.com/docs/manual/reference/command/delete/
void cmd_delete(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    check_timeseries_write_outside_transaction(request, name);
    Document body = body_without(request, "deletes");
    bool ordered = bool_argument(body, "delete", "ordered", true);
    std::vector<BsonDoc> statements = request.documents_of("deletes");
    check_batch_size(statements.size());
    auto let = let_of(body, "delete");

    Deadline deadline = deadline_of(request);
    Catalog& catalog = catalog_of(request);
    std::string target;
    StatementLocks locks(
        [&] { return write_target_lock(catalog, request.db, name, true, target); });
    if (target == name) writable_collection(catalog, request.db, name);
    WriteErrors errors;
    int64_t n = 0;
    for (size_t i = 0; i < statements.size(); ++i) {
        if (const StatementResult* done = already_executed(request, i)) {
            n += done->n;
            continue;
        }
        try {
            Document statement = Document::from_bson(statements[i]);
            check_retryable(request, int_argument(statement, "delete.deletes", "limit", 1) == 0,
                            "limit=0");
            before_statement(request);
            int64_t deleted = 0;
            retry_while_claimed(request, deadline, locks, [&] {
                deleted = run_delete_statement(catalog, request.db, name, statement,
                                               let ? &*let : nullptr);
            });
            n += deleted;
            record_statement(request, i, StatementResult{deleted, 0, std::nullopt, {}});
        } catch (const TimeLimitExceeded&) {
            throw;
        } catch (const MongoError& error) {
            errors.add(i, error);
            if (ordered) break;
        }
    }
    BSON_APPEND_INT32(reply, "n", static_cast<int32_t>(n));
    errors.append_to(reply);
    append_retried(request, reply);
}

struct FindAndModifyArgs {
    Document query;
    std::optional<Document> sort;
    std::optional<Document> fields;
    bool remove = false;
    bool return_new = false;
    bool upsert = false;
    bool bypass = false;
    std::optional<Value> update;
    std::optional<Array> array_filters;
};

// Option combinations mongod rejects, with its messages (FailedToParse).
FindAndModifyArgs find_and_modify_args(const Document& body) {
    const std::string cmd = "findAndModify";
    FindAndModifyArgs args;
    if (auto query = document_argument(body, cmd, "query")) args.query = std::move(*query);
    args.sort = document_argument(body, cmd, "sort");
    args.fields = document_argument(body, cmd, "fields");
    args.remove = bool_argument(body, cmd, "remove", false);
    args.return_new = bool_argument(body, cmd, "new", false);
    args.upsert = bool_argument(body, cmd, "upsert", false);
    args.bypass = bool_argument(body, cmd, "bypassDocumentValidation", false);
    if (const Value* update = body.get("update"); update && !update->is_null())
        args.update = *update;
    args.array_filters = array_filters_of(body, cmd);
    if (args.remove && args.update) {
        throw MongoError(code::FailedToParse, "Cannot specify both an update and remove=true");
    }
    if (!args.remove && !args.update) {
        throw MongoError(code::FailedToParse, "Either an update or remove=true must be specified");
    }
    if (args.remove && args.upsert) {
        throw MongoError(code::FailedToParse, "Cannot specify both upsert=true and remove=true ");
    }
    if (args.remove && args.return_new) {
        throw MongoError(code::FailedToParse,
                         "Cannot specify both new=true and remove=true; 'remove' always returns "
                         "the deleted document");
    }
    return args;
}

void append_value_field(bson_t* reply, const std::optional<Document>& doc,
                        const std::optional<Document>& fields) {
    if (!doc) {
        BSON_APPEND_NULL(reply, "value");
    } else if (fields && !fields->empty()) {
        append_document(reply, "value", Projection(*fields).apply(*doc));
    } else {
        append_document(reply, "value", *doc);
    }
}

// https://www.mongodb.com/docs/manual/reference/command/findAndModify/
void cmd_find_and_modify(const CommandRequest& request, bson_t* reply) {
    std::string name = target_of(request);
    Document body = body_of(request);
    FindAndModifyArgs args = find_and_modify_args(body);
    auto let = let_of(body, "findAndModify");
    std::optional<Update> update;
    if (args.update) {
        update.emplace(*args.update, args.array_filters ? &*args.array_filters : nullptr,
                       let ? &*let : nullptr);
    }
    if (args.fields && !args.fields->empty()) Projection validated(*args.fields);
    if (const StatementResult* done = already_executed(request, 0)) {
        for (const auto& field : done->reply.fields())
            append_value(reply, field.name.c_str(), field.value);
        return;
    }
    before_statement(request);

    Deadline deadline = deadline_of(request);
    Catalog& catalog = catalog_of(request);
    StatementLocks locks([&] { return update_lock(catalog, request.db, name, args.upsert); });
    Document last_error;
    std::optional<Document> value;
    retry_while_claimed(request, deadline, locks, [&] {
        Collection* coll = writable_collection(catalog, request.db, name);
        auto collator = collation_of(body, "findAndModify", coll);
        Matcher matcher(args.query, let ? &*let : nullptr, collator);
        if (const Value* hint = body.get("hint");
            hint && !(hint->is_document() && hint->doc().empty())) {
            check_hint(coll, *hint);
        }
        std::vector<RecordId> found;
        if (coll) found = matching_records(*coll, args.query, matcher, args.sort, 1, collator);
        last_error = Document();
        value.reset();
        if (!found.empty()) {
            Document before = to_document(coll->find_record(found[0])->doc);
            last_error.push_back("n", Value::int32(1));
            if (args.remove) {
                delete_document(catalog, *coll, found[0]);
                value = std::move(before);
            } else {
                last_error.push_back("updatedExisting", Value::boolean(true));
                Document after = before;
                MatchDetails details;
                matcher.matches(before, &details);
                DeltaLog log;
                if (update->apply(after, false, &details, &log)) {
                    update_document(catalog, *coll, found[0], after, update->is_replacement(),
                                    Validator(*coll, args.bypass), &log);
                    after = to_document(coll->find_record(found[0])->doc);
                }
                value = args.return_new ? std::move(after) : std::move(before);
            }
        } else if (args.upsert) {
            PreparedDoc prepared =
                prepare_insert(upsert_document(matcher, *update, catalog.server().profile()));
            Value id = prepared.id;
            Document inserted = prepared.parsed ? *prepared.parsed : to_document(prepared.bytes);
            Collection& target = catalog.find_or_create(request.db, name);
            insert_document(catalog, target, std::move(prepared), Validator(target, args.bypass));
            last_error.push_back("n", Value::int32(1));
            last_error.push_back("updatedExisting", Value::boolean(false));
            last_error.push_back("upserted", id);
            if (args.return_new) value = std::move(inserted);
        } else {
            last_error.push_back("n", Value::int32(0));
            if (!args.remove) last_error.push_back("updatedExisting", Value::boolean(false));
        }
    });
    bson_t answer = BSON_INITIALIZER;
    append_document(&answer, "lastErrorObject", last_error);
    append_value_field(&answer, value, args.fields);
    Document recorded = Document::from_bson(answer);
    bson_concat(reply, &answer);
    bson_destroy(&answer);
    record_statement(request, 0, StatementResult{0, 0, std::nullopt, std::move(recorded)});
}

}  // namespace

void register_crud_commands(CommandRegistry& registry) {
    registry.add("insert", cmd_insert);
    registry.add("update", cmd_update);
    registry.add("delete", cmd_delete);
    registry.add("findAndModify", cmd_find_and_modify);
    registry.add("findandmodify", cmd_find_and_modify);
    registry.add("find", cmd_find);
    registry.add("count", cmd_count);
    registry.add("distinct", cmd_distinct);
    register_aggregate_command(registry);
}

}  // namespace tmd
