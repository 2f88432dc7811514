// Change streams: the aggregate command's $changeStream path (see change_stream.h). Parses and
// validates the stage as mongod does (document_source_change_stream.cpp), then serves events from
// the oplog through a tailable-await cursor whose postBatchResumeToken tracks its position.
// https://www.mongodb.com/docs/manual/changeStreams/
#include "server/change_stream.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <set>
#include <shared_mutex>

#include "engine/error.h"
#include "engine/pipeline.h"
#include "server/catalog.h"
#include "server/change_event.h"
#include "server/resume_token.h"
#include "server/server_state.h"

namespace tmd {
namespace {

constexpr int kInvalidResumeToken = 260;
constexpr int kNoMatchingDocument = 47;
constexpr size_t kEntriesPerRead = 1024;

enum class Scope { Collection, Database, Cluster };
enum class ImageMode { Off, UpdateLookup, WhenAvailable, Required };

struct StreamSpec {
    Scope scope = Scope::Collection;
    std::string db;
    std::string coll;
    std::optional<ResumeToken> resume_after;
    std::optional<ResumeToken> start_after;
    std::optional<ClusterTime> start_at;
    ImageMode full_document = ImageMode::Off;
    ImageMode before_change = ImageMode::Off;
    bool show_expanded_events = false;
    bool show_raw_update_description = false;
    bool show_system_events = false;
    bool all_changes_for_cluster = false;
    Array stages;  // the stages after $changeStream
};

// ---- Parsing the command and the $changeStream stage. ----

// IDL's type error for a $changeStream field.
[[noreturn]] void wrong_type(const std::string& field, const Value& value, const char* expected) {
    throw MongoError(code::TypeMismatch, "BSON field '$changeStream." + field +
                                             "' is the wrong type '" + type_name(value) +
                                             "', expected type '" + expected + "'");
}

ImageMode parse_full_document(const Value& value, const VersionProfile& profile) {
    if (!value.is_string()) wrong_type("fullDocument", value, "string");
    const std::string& mode = value.str();
    if (mode == "default") return ImageMode::Off;
    if (mode == "updateLookup") return ImageMode::UpdateLookup;
    if (profile.expanded_events && mode == "whenAvailable") return ImageMode::WhenAvailable;
    if (profile.expanded_events && mode == "required") return ImageMode::Required;
    if (!profile.expanded_events) {
        // 4.4 validated the string itself (document_source_change_stream.cpp, 40575).
        throw MongoError(40575,
                         "unrecognized value for the 'fullDocument' option to the "
                         "$changeStream stage. Expected \"default\" or \"updateLookup\", "
                         "got \"" +
                             mode + "\"");
    }
    throw MongoError(code::BadValue, "Enumeration value '" + mode +
                                         "' for field '$changeStream.fullDocument' is not a "
                                         "valid value.");
}

ImageMode parse_before_change(const Value& value) {
    if (!value.is_string()) wrong_type("fullDocumentBeforeChange", value, "string");
    const std::string& mode = value.str();
    if (mode == "off") return ImageMode::Off;
    if (mode == "whenAvailable") return ImageMode::WhenAvailable;
    if (mode == "required") return ImageMode::Required;
    throw MongoError(code::BadValue, "Enumeration value '" + mode +
                                         "' for field '$changeStream.fullDocumentBeforeChange' "
                                         "is not a valid value.");
}

bool parse_bool(const std::string& field, const Value& value) {
    if (value.type() != BSON_TYPE_BOOL) wrong_type(field, value, "bool");
    return value.as_bool();
}

ResumeToken parse_token(const std::string& field, const Value& value) {
    if (!value.is_document()) wrong_type(field, value, "object");
    return ResumeToken::from_value(value);
}

void parse_stage_options(const Document& options, const VersionProfile& profile, StreamSpec& spec) {
    for (const auto& [name, value] : options.fields()) {
        if (name == "resumeAfter") {
            spec.resume_after = parse_token(name, value);
        } else if (name == "startAfter") {
            spec.start_after = parse_token(name, value);
        } else if (name == "startAtOperationTime") {
            if (value.type() != BSON_TYPE_TIMESTAMP) wrong_type(name, value, "timestamp");
            const auto& ts = std::get<Timestamp>(value.payload());
            spec.start_at = ClusterTime{ts.t, ts.i};
        } else if (name == "fullDocument") {
            spec.full_document = parse_full_document(value, profile);
        } else if (name == "allChangesForCluster") {
            spec.all_changes_for_cluster = parse_bool(name, value);
        } else if (name == "fullDocumentBeforeChange" && profile.expanded_events) {
            spec.before_change = parse_before_change(value);
        } else if (name == "showExpandedEvents" && profile.expanded_events) {
            spec.show_expanded_events = parse_bool(name, value);
        } else if (name == "showRawUpdateDescription" && profile.expanded_events) {
            spec.show_raw_update_description = parse_bool(name, value);
        } else if (name == "showSystemEvents" && profile.expanded_events) {
            spec.show_system_events = parse_bool(name, value);
        } else if (name == "showMigrationEvents" || name == "allowToRunOnConfigDB" ||
                   name == "allowToRunOnSystemNS") {
            parse_bool(name, value);  // internal options of a single replica set: no effect
        } else {
            // 4.4 did not know fullDocumentBeforeChange, showExpandedEvents or
            // showRawUpdateDescription either.
            throw MongoError(code::Location40415,
                             "BSON field '$changeStream." + name + "' is an unknown field.");
        }
    }
}

// Stages MongoDB allows after $changeStream ("Modify Change Stream Output").
const std::set<std::string> kAllowedStages = {"$match", "$project",     "$addFields",   "$set",
                                              "$unset", "$replaceRoot", "$replaceWith", "$redact"};
// Stages mongod knows but refuses in a change stream (IllegalOperation); any other name is an
// unrecognized stage (40324).
const std::set<std::string> kOtherKnownStages = {"$group",
                                                 "$sort",
                                                 "$limit",
                                                 "$skip",
                                                 "$lookup",
                                                 "$unwind",
                                                 "$out",
                                                 "$merge",
                                                 "$facet",
                                                 "$count",
                                                 "$sample",
                                                 "$bucket",
                                                 "$bucketAuto",
                                                 "$sortByCount",
                                                 "$graphLookup",
                                                 "$unionWith",
                                                 "$geoNear",
                                                 "$indexStats",
                                                 "$collStats",
                                                 "$currentOp",
                                                 "$densify",
                                                 "$fill",
                                                 "$setWindowFields",
                                                 "$documents",
                                                 "$listSessions",
                                                 "$search",
                                                 "$searchMeta",
                                                 "$planCacheStats",
                                                 "$listLocalSessions",
                                                 "$changeStreamSplitLargeEvent"};

std::string stage_name(const Value& stage) {
    if (!stage.is_document() || stage.doc().size() != 1) {
        throw MongoError(40323,
                         "A pipeline stage specification object must contain exactly one field.");
    }
    return stage.doc().fields().front().name;
}

void validate_following_stages(const Array& stages) {
    for (const Value& stage : stages) {
        std::string name = stage_name(stage);
        if (name == "$changeStream") {
            throw MongoError(40602,
                             "$changeStream is only valid as the first stage in a pipeline.");
        }
        if (kAllowedStages.count(name)) continue;
        if (kOtherKnownStages.count(name)) {
            // Pipeline::validateCommon: "<stage> is not permitted in a $changeStream pipeline".
            throw MongoError(code::IllegalOperation,
                             name + " is not permitted in a $changeStream pipeline");
        }
        throw MongoError(code::Location40324, "Unrecognized pipeline stage name: '" + name + "'");
    }
}

// assertIsLegalSpecification: where a stream may be opened and which resume options combine.
void validate_namespace(const StreamSpec& spec, bool collectionless) {
    if (spec.all_changes_for_cluster && (spec.db != "admin" || !collectionless)) {
        std::string ns = spec.db + "." + (collectionless ? "$cmd.aggregate" : spec.coll);
        throw MongoError(code::InvalidOptions,
                         "A $changeStream with 'allChangesForCluster:true' may only be opened on "
                         "the 'admin' database, and with no collection name; found " +
                             ns);
    }
    bool internal_db = spec.db == "local" || spec.db == "config" ||
                       (spec.db == "admin" && !spec.all_changes_for_cluster);
    if (internal_db) {
        throw MongoError(
            code::InvalidNamespace,
            "$changeStream may not be opened on the internal " + spec.db + " database");
    }
    if (!collectionless && spec.coll.rfind("system.", 0) == 0) {
        throw MongoError(code::InvalidNamespace,
                         "$changeStream may not be opened on the internal " + spec.db + "." +
                             spec.coll + " collection");
    }
}

void validate_resume_options(const StreamSpec& spec) {
    if (spec.resume_after && spec.start_after) {
        throw MongoError(
            50865, "Do not specify both 'resumeAfter' and 'startAfter' in a $changeStream stage");
    }
    if (spec.start_at && (spec.resume_after || spec.start_after)) {
        throw MongoError(40674,
                         "Only one type of resume option is allowed, but multiple were found");
    }
    if (spec.resume_after && spec.resume_after->from_invalidate) {
        throw MongoError(kInvalidResumeToken,
                         "Attempting to resume a change stream using 'resumeAfter' is not allowed "
                         "from an invalidate notification");
    }
}

StreamSpec parse_spec(const CommandRequest& request, const Document& body) {
    const VersionProfile& profile = request.server->profile();
    const Value& pipeline = *body.get("pipeline");
    const Array& stages = pipeline.array();
    const Value& stage = stages.front().doc().fields().front().value;
    if (!stage.is_document()) {
        throw MongoError(50808, "$changeStream stage expects a document as argument");
    }
    StreamSpec spec;
    spec.db = request.db;
    parse_stage_options(stage.doc(), profile, spec);
    spec.stages.assign(stages.begin() + 1, stages.end());
    validate_following_stages(spec.stages);

    const Value& target = body.fields().front().value;
    bool collectionless = !target.is_string();
    if (collectionless && !(target.is_number() && target.as_double() == 1)) {
        throw MongoError(code::FailedToParse,
                         "Invalid command format: the 'aggregate' field must specify a collection "
                         "name or 1");
    }
    if (!collectionless) spec.coll = target.str();
    spec.scope = !collectionless                ? Scope::Collection
                 : spec.all_changes_for_cluster ? Scope::Cluster
                                                : Scope::Database;
    validate_namespace(spec, collectionless);
    validate_resume_options(spec);
    return spec;
}

// ---- Which entries a stream sees. ----

bool is_system_collection(const std::string& coll) {
    return coll.rfind("system.", 0) == 0;
}

// Whether a database or cluster stream reports events on `coll`: not on system collections,
// except, with showSystemEvents (6.0+), system.buckets.*, system.resharding.*, system.js and
// system.views (DocumentSourceChangeStream::kRegexAllCollectionsShowSystemEvents).
bool reports_collection(const StreamSpec& spec, const std::string& coll) {
    if (!is_system_collection(coll)) return true;
    if (!spec.show_system_events) return false;
    return coll.rfind("system.buckets.", 0) == 0 || coll.rfind("system.resharding.", 0) == 0 ||
           coll == "system.js" || coll == "system.views";
}

struct Namespace {
    std::string db;
    std::string coll;
};

std::optional<Namespace> renamed_to(const OplogEntry& entry) {
    if (entry.kind != ChangeKind::Rename || !entry.details) return std::nullopt;
    bson_t details = view_of(entry.details);
    bson_iter_t db, coll;
    if (!bson_iter_init(&db, &details) || !bson_iter_find_descendant(&db, "to.db", &db) ||
        !bson_iter_init(&coll, &details) || !bson_iter_find_descendant(&coll, "to.coll", &coll)) {
        return std::nullopt;
    }
    return Namespace{bson_iter_utf8(&db, nullptr), bson_iter_utf8(&coll, nullptr)};
}

bool in_scope(const StreamSpec& spec, const OplogEntry& entry) {
    auto target = renamed_to(entry);
    switch (spec.scope) {
        case Scope::Collection:
            if (entry.kind == ChangeKind::DropDatabase) return entry.db == spec.db;
            return (entry.db == spec.db && entry.coll == spec.coll) ||
                   (target && target->db == spec.db && target->coll == spec.coll);
        case Scope::Database:
            return (entry.db == spec.db && reports_collection(spec, entry.coll)) ||
                   (target && target->db == spec.db && reports_collection(spec, target->coll));
        case Scope::Cluster:
            return entry.db != "admin" && entry.db != "config" && entry.db != "local" &&
                   reports_collection(spec, entry.coll);
    }
    return false;
}

// Events that end a stream (DocumentSourceChangeStreamCheckInvalidate): for a collection, its
// drop, rename or its database's drop; for a database, its drop. Cluster streams never end.
bool invalidates(const StreamSpec& spec, ChangeKind kind) {
    switch (spec.scope) {
        case Scope::Collection:
            return kind == ChangeKind::Drop || kind == ChangeKind::Rename ||
                   kind == ChangeKind::DropDatabase;
        case Scope::Database:
            return kind == ChangeKind::DropDatabase;
        case Scope::Cluster:
            return false;
    }
    return false;
}

// ---- The cursor. ----

class ChangeStreamCursor : public Cursor {
  public:
    ChangeStreamCursor(ServerState& server, StreamSpec spec, EventFormat format,
                       ResumeToken position)
        : server_(server),
          spec_(std::move(spec)),
          format_(format),
          position_(position),
          stages_(spec_.stages.empty() ? std::nullopt : std::optional<Pipeline>(spec_.stages)) {}

    bool next_batch(int64_t batch_size, int64_t await_ms, bson_t* batch) override;

    void append_cursor_fields(bson_t* cursor) override {
        bson_t token;
        BSON_APPEND_DOCUMENT_BEGIN(cursor, "postBatchResumeToken", &token);
        BSON_APPEND_UTF8(&token, "_data", position_.to_hex().c_str());
        bson_append_document_end(cursor, &token);
    }
    bool await_data() const override { return true; }
    bool is_change_stream() const override { return true; }

  private:
    struct Batch {
        bson_t* array;
        int64_t limit;
        int64_t count = 0;
        size_t bytes = 0;
        bool full() const { return (limit > 0 && count >= limit) || bytes >= kMaxBatchBytes; }
        void append(const bson_t* event) {
            std::string key = std::to_string(count++);
            bson_append_document(array, key.c_str(), static_cast<int>(key.size()), event);
            bytes += event->len;
        }
    };
    enum class Scan { Caught, Full, Invalidated };

    // Appends the events of entries after position_ until the batch is full, the oplog is
    // exhausted or the stream is invalidated. Sets *scanned to the newest entry time looked at.
    Scan scan(Batch& batch, ClusterTime* scanned);
    // Returns Full, or whether the entry's events left position_ past it (Caught) or ended the
    // stream (Invalidated).
    Scan deliver(const OplogEntry& entry, Batch& batch);
    // Builds one event, runs the stream's stages and appends it; false when filtered out.
    bool emit(bson_t* event, const ResumeToken& token, Batch& batch);
    void add_images(const OplogEntry& entry, bson_t* event);
    bool pre_and_post_images_enabled(const OplogEntry& entry);
    StoredDoc current_document(const OplogEntry& entry);

    ServerState& server_;
    StreamSpec spec_;
    EventFormat format_;
    ResumeToken position_;  // everything up to here was delivered: the postBatchResumeToken
    std::optional<Pipeline> stages_;
    int batches_ = 0;  // batches served; all but the first are getMores
};

bool ChangeStreamCursor::next_batch(int64_t batch_size, int64_t await_ms, bson_t* batch_array) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(await_ms);
    Batch batch{batch_array, batch_size};
    ++batches_;
    while (true) {
        ClusterTime scanned = time_before(position_.time);
        Scan result = scan(batch, &scanned);
        if (result == Scan::Invalidated) return true;
        if (batch.count > 0 || result == Scan::Full) return false;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        server_.oplog().wait_for_newer(scanned, deadline);
    }
}

ChangeStreamCursor::Scan ChangeStreamCursor::scan(Batch& batch, ClusterTime* scanned) {
    while (true) {
        bool history_lost = false;
        auto entries =
            server_.oplog().read_after(time_before(position_.time), kEntriesPerRead, &history_lost);
        if (history_lost && batches_ > 1) {
            // A getMore whose stream fell behind: mongod's oplog scan loses its position in the
            // capped oplog (CollectionScan, CappedPositionLost); resuming from there is 286.
            throw MongoError(code::CappedPositionLost,
                             "CollectionScan died due to failure to restore tailable cursor "
                             "position. Last seen record id: RecordId(" +
                                 std::to_string(position_.time.t) + ")");
        }
        if (history_lost) {
            throw MongoError(code::ChangeStreamHistoryLost,
                             "Resume of change stream was not possible, as the resume point may "
                             "no longer be in the oplog.");
        }
        for (const OplogEntry& entry : entries) {
            Scan result = deliver(entry, batch);
            if (result != Scan::Caught) return result;
            *scanned = entry.time;
        }
        if (entries.size() < kEntriesPerRead) return Scan::Caught;
    }
}

ChangeStreamCursor::Scan ChangeStreamCursor::deliver(const OplogEntry& entry, Batch& batch) {
    bool delivered = false;
    bool visible =
        in_scope(spec_, entry) && (spec_.show_expanded_events || !is_expanded_event(entry.kind));
    ResumeToken token = event_token(entry, format_);
    if (visible && position_ < token) {
        if (batch.full()) return Scan::Full;
        bson_t event = BSON_INITIALIZER;
        append_change_event(entry, format_, &event);
        add_images(entry, &event);
        delivered = emit(&event, token, batch);
        position_ = token;
    }
    if (visible && invalidates(spec_, entry.kind)) {
        ResumeToken invalidate = ResumeToken::event(entry.time, format_.token_version, true);
        if (position_ < invalidate) {
            if (batch.full()) return Scan::Full;
            bson_t event = BSON_INITIALIZER;
            append_invalidate_event(entry, format_, &event);
            emit(&event, invalidate, batch);
            position_ = invalidate;
            return Scan::Invalidated;
        }
    }
    // An entry without a delivered event moves the high-water mark past it; within a
    // transaction only past its own operation, as the transaction's later operations share its
    // cluster time.
    auto past =
        entry.lsid ? token
                   : ResumeToken::high_water_mark_at(time_after(entry.time), format_.token_version);
    if (!delivered && position_ < past) position_ = past;
    return Scan::Caught;
}

// Runs the stream's own stages over one event (taking ownership of it); the event's _id must
// come out unchanged, as mongod checks (PlanExecutorPipeline::_validateChangeStreamsResumeToken).
bool ChangeStreamCursor::emit(bson_t* event, const ResumeToken& token, Batch& batch) {
    if (!stages_) {
        batch.append(event);
        bson_destroy(event);
        return true;
    }
    std::vector<Document> input;
    input.push_back(Document::from_bson(*event));
    bson_destroy(event);
    std::vector<Document> output = stages_->run(std::move(input));
    if (output.empty()) return false;
    Value expected = Value::document(token.to_document());
    const Value* id = output.front().get("_id");
    if (!id || !id->is_document() || !values_equal(*id, expected)) {
        Document found;
        if (id) found.push_back("_id", *id);
        throw MongoError(code::ChangeStreamFatalError,
                         "Encountered an event whose _id field, which contains the resume token, "
                         "was modified by the pipeline. Modifying the _id field of an event makes "
                         "it impossible to resume the stream from that point. Only "
                         "transformations that retain the unmodified _id field are allowed. "
                         "Expected: { _id: " +
                             expected.to_json() + " } but found: " + (id ? found.to_json() : "{}"));
    }
    bson_t result = BSON_INITIALIZER;
    output.front().append_to(&result);
    batch.append(&result);
    bson_destroy(&result);
    return true;
}

std::string json_of(const bson_t* event) {
    char* json = bson_as_relaxed_extended_json(event, nullptr);
    std::string text = json ? json : "";
    bson_free(json);
    return text;
}

void append_image(bson_t* event, const char* field, bool available, const StoredDoc& image) {
    if (!available || !image) {
        BSON_APPEND_NULL(event, field);
        return;
    }
    bson_t view = view_of(image);
    BSON_APPEND_DOCUMENT(event, field, &view);
}

// fullDocumentBeforeChange, then fullDocument for updates, appended in the order mongod's
// AddPreImage and AddPostImage stages add them.
void ChangeStreamCursor::add_images(const OplogEntry& entry, bson_t* event) {
    bool has_pre_image = entry.kind == ChangeKind::Update || entry.kind == ChangeKind::Replace ||
                         entry.kind == ChangeKind::Delete;
    if (has_pre_image && spec_.before_change != ImageMode::Off) {
        bool available = entry.pre_image && pre_and_post_images_enabled(entry);
        if (!available && spec_.before_change == ImageMode::Required) {
            throw MongoError(kNoMatchingDocument,
                             "Change stream was configured to require a pre-image for all "
                             "update, delete and replace events, but the pre-image was not found "
                             "for event: " +
                                 json_of(event));
        }
        append_image(event, "fullDocumentBeforeChange", available, entry.pre_image);
    }
    if (entry.kind != ChangeKind::Update || spec_.full_document == ImageMode::Off) return;
    if (spec_.full_document == ImageMode::UpdateLookup) {
        StoredDoc current = current_document(entry);
        append_image(event, "fullDocument", current != nullptr, current);
        return;
    }
    bool available = entry.post_image && pre_and_post_images_enabled(entry);
    if (!available && spec_.full_document == ImageMode::Required) {
        throw MongoError(kNoMatchingDocument,
                         "Change stream was configured to require a post-image for all update "
                         "events, but the post-image was not found for event: " +
                             json_of(event));
    }
    append_image(event, "fullDocument", available, entry.post_image);
}

// The collection option changeStreamPreAndPostImages: {enabled: true} (6.0+), read from the
// catalog when the event is built.
bool ChangeStreamCursor::pre_and_post_images_enabled(const OplogEntry& entry) {
    Catalog& catalog = server_.catalog();
    std::shared_lock lock(catalog.mutex());
    Collection* coll = catalog.find(entry.db, entry.coll);
    if (!coll) return false;
    const Value* option = coll->options().get("changeStreamPreAndPostImages");
    const Value* enabled = option && option->is_document() ? option->doc().get("enabled") : nullptr;
    return enabled && enabled->truthy();
}

// updateLookup: the document with the event's _id as it is now, or none if it is gone.
StoredDoc ChangeStreamCursor::current_document(const OplogEntry& entry) {
    if (!entry.document_key) return nullptr;
    bson_t key = view_of(entry.document_key);
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, &key, "_id")) return nullptr;
    Value id = Value::from_iter(iter);
    CollectionLock lock(server_.catalog(), entry.db, entry.coll, CollectionLock::Mode::Read);
    Collection* coll = lock.collection();
    if (!coll || coll->is_view()) return nullptr;
    auto found = coll->id_index().find(id);
    if (found == coll->id_index().end()) return nullptr;
    const Record* record = coll->find_record(found->second);
    return record ? record->doc : nullptr;
}

// ---- Opening the stream. ----

EventFormat format_for(const VersionProfile& profile, const StreamSpec& spec) {
    EventFormat format;
    format.token_version = static_cast<uint8_t>(resume_token_version_for(profile.version));
    format.wall_time = profile.expanded_events;
    format.truncated_arrays = profile.expanded_events;
    format.show_expanded_events = spec.show_expanded_events;
    format.disambiguated_paths = profile.disambiguated_paths && spec.show_expanded_events;
    format.raw_update_description = spec.show_raw_update_description;
    return format;
}

// resumeAfter/startAfter an event: that event must still be in the oplog and belong to this
// stream (DocumentSourceChangeStreamEnsureResumeTokenPresent).
void check_resume_point(ServerState& server, const StreamSpec& spec, const ResumeToken& token) {
    bool history_lost = false;
    // The entries of one cluster time are a transaction's operations in txnOpIndex order.
    auto entries =
        server.oplog().read_after(time_before(token.time), token.txn_op_index + 1, &history_lost);
    if (history_lost) {
        throw MongoError(code::ChangeStreamHistoryLost,
                         "Resume of change stream was not possible, as the resume point may no "
                         "longer be in the oplog.");
    }
    if (token.high_water_mark) return;
    if (entries.size() != token.txn_op_index + 1 || entries.back().time != token.time ||
        !in_scope(spec, entries.back())) {
        throw MongoError(code::ChangeStreamFatalError,
                         "cannot resume stream; the resume token was not found. " +
                             token.to_document().to_json());
    }
}

ResumeToken start_position(ServerState& server, const StreamSpec& spec, uint8_t version) {
    if (auto token = spec.resume_after ? spec.resume_after : spec.start_after) {
        check_resume_point(server, spec, *token);
        return *token;
    }
    if (spec.start_at) {
        check_resume_point(server, spec, ResumeToken::high_water_mark_at(*spec.start_at, version));
        return ResumeToken::high_water_mark_at(*spec.start_at, version);
    }
    // A new stream starts just after the latest write (getStartTimeForNewStream).
    return ResumeToken::high_water_mark_at(time_after(server.oplog().now()), version);
}

void reject_views(ServerState& server, const StreamSpec& spec) {
    if (spec.scope != Scope::Collection) return;
    Catalog& catalog = server.catalog();
    std::shared_lock lock(catalog.mutex());
    Collection* coll = catalog.find(spec.db, spec.coll);
    if (coll && coll->is_view()) {
        throw MongoError(code::CommandNotSupportedOnView,
                         "$changeStream is not supported on views.");
    }
}

int64_t batch_size_of(const Document& body) {
    const Value* cursor = body.get("cursor");
    if (!cursor || !cursor->is_document()) return 0;
    const Value* size = cursor->doc().get("batchSize");
    return size && size->is_number() ? size->as_int64() : 0;
}

// Where $changeStream appears in the pipeline: 0 first, -1 nowhere, else a later position.
int change_stream_position(const Document& body) {
    const Value* pipeline = body.get("pipeline");
    if (!pipeline || !pipeline->is_array()) return -1;
    const Array& stages = pipeline->array();
    for (size_t i = 0; i < stages.size(); ++i) {
        if (stages[i].is_document() && !stages[i].doc().empty() &&
            stages[i].doc().fields().front().name == "$changeStream") {
            return static_cast<int>(i);
        }
    }
    return -1;
}

}  // namespace

bool run_change_stream_aggregate(const CommandRequest& request, bson_t* reply) {
    Document body = Document::from_bson(*request.body);
    int position = change_stream_position(body);
    if (position < 0) return false;
    if (position > 0) {
        throw MongoError(40602, "$changeStream is only valid as the first stage in a pipeline.");
    }
    ServerState& server = *request.server;
    StreamSpec spec = parse_spec(request, body);
    reject_views(server, spec);
    EventFormat format = format_for(server.profile(), spec);
    ResumeToken start = start_position(server, spec, format.token_version);
    std::string ns =
        spec.scope == Scope::Collection ? spec.db + "." + spec.coll : spec.db + ".$cmd.aggregate";
    auto cursor = std::make_unique<ChangeStreamCursor>(server, std::move(spec), format, start);
    server.cursors().reply_first_batch(std::move(cursor), ns, batch_size_of(body), false,
                                       request.body, reply);
    return true;
}

}  // namespace tmd
