// Document-level writes with mongod's checks and one oplog entry per changed document, appended
// under the catalog lock so that change streams see writes in commit order.
#include "server/collection_write.h"

#include <algorithm>
#include <cstring>

#include "engine/update.h"
#include "engine/update_delta.h"
#include "server/server_state.h"
#include "server/storage_util.h"
#include "server/transaction.h"

namespace tmd {
namespace {

// mongod: "object to insert too large. size in bytes: N, max size: 16777216" (BadValue).
void check_insert_size(size_t size) {
    if (size > kMaxUserDocumentBytes) {
        throw MongoError(code::BadValue,
                         "object to insert too large. size in bytes: " + std::to_string(size) +
                             ", max size: " + std::to_string(kMaxUserDocumentBytes));
    }
}

bool id_type_needs_checks(bson_type_t type) {
    return type == BSON_TYPE_ARRAY || type == BSON_TYPE_REGEX || type == BSON_TYPE_UNDEFINED ||
           type == BSON_TYPE_DOCUMENT;
}

ClusterTime append_entry(Catalog& catalog, const Collection& coll, ChangeKind kind, const Value& id,
                         StoredDoc pre, StoredDoc post, StoredDoc delta = nullptr) {
    OplogEntry entry;
    entry.kind = kind;
    entry.db = coll.db();
    entry.coll = coll.name();
    entry.uuid = coll.uuid();
    entry.document_key = document_key_of(id);
    entry.pre_image = std::move(pre);
    entry.post_image = std::move(post);
    entry.delta = std::move(delta);
    return catalog.record(std::move(entry), &coll);
}

// The delta an update's oplog entry carries: the operator update's own log (UpdateTreeExecutor),
// else the diff of the images (PipelineExecutor), none when that is not smaller than the document.
StoredDoc update_delta(const StoredDoc& pre, const StoredDoc& post, const DeltaLog* log) {
    if (log && !log->empty()) return to_stored(log->to_document());
    bson_t pre_view = view_of(pre), post_view = view_of(post);
    std::optional<Document> delta = compute_delta(pre_view, post_view);
    return delta ? to_stored(*delta) : nullptr;
}

}  // namespace

void ensure_id_first(Document& doc) {
    auto& fields = doc.fields();
    for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name != "_id") continue;
        if (i > 0) std::rotate(fields.begin(), fields.begin() + i, fields.begin() + i + 1);
        return;
    }
    bson_oid_t oid;
    bson_oid_init(&oid, nullptr);
    fields.insert(fields.begin(), Field{"_id", Value::oid(oid)});
}

PreparedDoc prepare_insert(const bson_t& doc) {
    check_insert_size(doc.len);
    bson_iter_t iter;
    if (!bson_iter_init(&iter, &doc))
        throw MongoError(code::InvalidLength, "invalid BSON document");
    bool id_first = false, plain = true, first = true;
    std::optional<Value> id;
    while (bson_iter_next(&iter)) {
        const char* key = bson_iter_key(&iter);
        if (key[0] == '$') plain = false;
        if (std::strcmp(key, "_id") == 0 && !id) {
            id_first = first;
            if (id_type_needs_checks(bson_iter_type(&iter))) plain = false;
            id = Value::from_iter(iter);
        }
        first = false;
    }
    if (!id_first || !plain) return prepare_insert(Document::from_bson(doc));
    auto bytes = std::make_shared<const std::string>(
        reinterpret_cast<const char*>(bson_get_data(&doc)), doc.len);
    return PreparedDoc{std::move(bytes), std::move(*id), std::nullopt};
}

PreparedDoc prepare_insert(Document doc) {
    ensure_id_first(doc);
    validate_for_storage(doc);
    auto bytes = to_stored(doc);
    check_insert_size(bytes->size());
    Value id = doc.fields().front().value;
    return PreparedDoc{std::move(bytes), std::move(id), std::move(doc)};
}

Validator::Validator(const Collection& coll, bool bypass) {
    const Value* validator = coll.options().get("validator");
    const Value* level = coll.options().get("validationLevel");
    const Value* action = coll.options().get("validationAction");
    if (bypass || !validator || !validator->is_document() || validator->doc().empty()) return;
    if (level && level->is_string() && level->str() == "off") return;
    warn_ = action && action->is_string() && action->str() == "warn";
    moderate_ = level && level->is_string() && level->str() == "moderate";
    matcher_.emplace(validator->doc());
    const Document& spec = validator->doc();
    if (spec.size() == 1 && spec.fields().front().name == "$jsonSchema")
        schema_.emplace(spec.fields().front().value);
}

namespace {

// errInfo.details (mongod's doc_validation_error.cpp): for a $jsonSchema validator the schema
// rules the document breaks; for other validators a summary.
Document validation_details(const std::optional<JsonSchema>& schema, const Document& doc) {
    Document details;
    if (!schema) {
        details.push_back("operatorName", Value::string("$and"));
        details.push_back("reason", Value::string("validator did not match the document"));
        return details;
    }
    details.push_back("operatorName", Value::string("$jsonSchema"));
    if (const Value* title = schema->schema().get("title")) details.push_back("title", *title);
    details.push_back("schemaRulesNotSatisfied", Value::array(schema->unsatisfied_rules(doc)));
    return details;
}

}  // namespace

// https://www.mongodb.com/docs/manual/core/schema-validation/handle-invalid-documents/ —
// "warn" only logs; "moderate" does not check updates to documents that were already invalid.
void Validator::check(const Document& doc, const Value& id, const Document* previous) const {
    if (!matcher_ || matcher_->matches(doc)) return;
    if (moderate_ && previous && !matcher_->matches(*previous)) return;
    if (warn_) {  // mongod logs "Document would fail validation" and accepts the write
        log_line(LogLevel::Warning, "Document would fail validation: _id " + id.to_json());
        return;
    }
    Document err_info;
    err_info.push_back("failingDocumentId", id);
    err_info.push_back("details", Value::document(validation_details(schema_, doc)));
    Document info;
    info.push_back("errInfo", Value::document(std::move(err_info)));
    throw DetailedError(code::DocumentValidationFailure, "Document failed validation",
                        std::move(info));
}

ClusterTime insert_document(Catalog& catalog, Collection& coll, PreparedDoc doc,
                            const Validator& validator) {
    if (validator.active() || (coll.needs_parsed_docs() && !doc.parsed)) {
        if (!doc.parsed) doc.parsed = to_document(doc.bytes);
        validator.check(*doc.parsed, doc.id);
    }
    check_not_claimed(catalog, coll, doc.id);
    check_unique_keys_not_claimed(catalog, coll, doc.bytes, doc.parsed ? &*doc.parsed : nullptr);
    StoredDoc bytes = doc.bytes;
    coll.insert(doc.bytes, doc.id, doc.parsed ? &*doc.parsed : nullptr);
    ClusterTime time = append_entry(catalog, coll, ChangeKind::Insert, doc.id, nullptr, bytes);
    coll.enforce_capped_limits();
    return time;
}

ClusterTime update_document(Catalog& catalog, Collection& coll, RecordId rid, Document updated,
                            bool replacement, const Validator& validator, const DeltaLog* log) {
    const Record& record = *coll.find_record(rid);
    const Value* new_id = updated.get("_id");
    if (!new_id) {
        updated.fields().insert(updated.fields().begin(), Field{"_id", record.id});
    } else if (!values_equal(*new_id, record.id) || new_id->type() != record.id.type()) {
        throw MongoError(code::ImmutableField,
                         "After applying the update, the (immutable) field '_id' was found to "
                         "have been altered to _id: " +
                             new_id->to_json());
    }
    ensure_id_first(updated);
    validate_for_storage(updated);
    // Before 5.0 a replacement could not hold '$'-prefixed names below the top level either.
    if (replacement && !catalog.server().profile().top_level_dollar_fields) {
        validate_nested_names_before_50(updated);
    }
    StoredDoc bytes = to_stored(updated);
    if (bytes->size() > kMaxUserDocumentBytes) {
        throw MongoError(code::Location10334, "BSONObj size: " + std::to_string(bytes->size()) +
                                                  " (0x0) is invalid. Size must be between 0 and "
                                                  "16793600(16MB)");
    }
    if (validator.active()) {
        Document previous = to_document(record.doc);
        validator.check(updated, record.id, &previous);
    }
    return store_update(catalog, coll, rid, std::move(bytes), &updated, replacement, log);
}

ClusterTime store_update(Catalog& catalog, Collection& coll, RecordId rid, StoredDoc bytes,
                         const Document* parsed, bool replacement, const DeltaLog* log) {
    const Record& record = *coll.find_record(rid);
    check_not_claimed(catalog, coll, record.id);
    check_unique_keys_not_claimed(catalog, coll, record.doc);
    check_unique_keys_not_claimed(catalog, coll, bytes, parsed);
    StoredDoc before = record.doc;
    Value id = record.id;
    StoredDoc delta = replacement ? nullptr : update_delta(before, bytes, log);
    ChangeKind kind = delta ? ChangeKind::Update : ChangeKind::Replace;
    coll.replace(rid, bytes, parsed);
    return append_entry(catalog, coll, kind, id, std::move(before), std::move(bytes),
                        std::move(delta));
}

ClusterTime delete_document(Catalog& catalog, Collection& coll, RecordId rid) {
    const Record& record = *coll.find_record(rid);
    check_not_claimed(catalog, coll, record.id);
    check_unique_keys_not_claimed(catalog, coll, record.doc);
    StoredDoc before = record.doc;
    Value id = record.id;
    coll.remove(rid);
    return append_entry(catalog, coll, ChangeKind::Delete, id, std::move(before), nullptr);
}

}  // namespace tmd
