// Change events (see change_event.h): event documents per operationType, following mongod's
// ChangeStreamDefaultEventTransformation (change_stream_event_transform.cpp), and the update
// description read from the entry's $v:2 delta as change_stream_document_diff_parser.cpp does.
#include "server/change_event.h"

#include <cstring>

#include "engine/update_delta.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

// ---- From the delta to updateDescription (change_stream_document_diff_parser.cpp). ----

struct PathPart {
    std::string name;
    bool is_index;
};

// FieldRef::isNumericPathComponentStrict: digits without a leading zero.
bool is_numeric_name(const std::string& name) {
    return !name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
           (name.size() == 1 || name[0] != '0');
}

class DescriptionBuilder {
  public:
    DescriptionBuilder(const EventFormat& format, const Document& post)
        : format_(format), post_(post) {}

    // Updates and inserts are updatedFields, deletes removedFields, then the sub-deltas.
    void walk_document(const Document& delta) {
        for (const char* section : {"u", "i"}) {
            const Value* fields = delta.get(section);
            if (!fields) continue;
            for (const auto& [name, value] : fields->doc().fields()) {
                with_part(name, false, [&] { updated_.push_back(report_path(), value); });
            }
        }
        if (const Value* deletes = delta.get("d")) {
            for (const auto& field : deletes->doc().fields()) {
                with_part(field.name, false,
                          [&] { removed_.push_back(Value::string(report_path())); });
            }
        }
        for (const auto& [name, sub] : delta.fields()) {
            if (name.size() < 2 || name[0] != 's') continue;
            with_part(name.substr(1), false, [&] { walk(sub.doc()); });
        }
    }

    Document finish() {
        Document description;
        description.push_back("updatedFields", Value::document(std::move(updated_)));
        description.push_back("removedFields", Value::array(std::move(removed_)));
        if (format_.truncated_arrays) {
            description.push_back("truncatedArrays", Value::array(std::move(truncated_)));
        }
        if (format_.disambiguated_paths) {
            description.push_back("disambiguatedPaths", Value::document(std::move(ambiguous_)));
        }
        return description;
    }

  private:
    void walk(const Document& delta) {
        if (is_array_delta(delta)) {
            walk_array(delta);
        } else {
            walk_document(delta);
        }
    }

    void walk_array(const Document& delta) {
        if (const Value* length = delta.get("l")) {
            if (!format_.truncated_arrays) {
                // Before $v:2 deltas (4.4) a shrunk array was logged as a $set of the whole array.
                const Value* array = value_at_path();
                updated_.push_back(report_path(), array ? *array : Value::null());
                return;
            }
            Document entry;
            entry.push_back("field", Value::string(report_path()));
            entry.push_back("newSize", Value::int32(static_cast<int32_t>(length->as_int64())));
            truncated_.push_back(Value::document(std::move(entry)));
        }
        for (const auto& [name, change] : delta.fields()) {
            if (name == "a" || name == "l") continue;
            with_part(name.substr(1), true, [&] {
                if (name[0] == 'u') {
                    updated_.push_back(report_path(), change);
                } else {
                    walk(change.doc());
                }
            });
        }
    }

    template <typename F>
    void with_part(const std::string& name, bool is_index, F&& f) {
        path_.push_back({name, is_index});
        f();
        path_.pop_back();
    }

    // The post image's value at the current path.
    const Value* value_at_path() const {
        const Value* value = nullptr;
        const Document* doc = &post_;
        for (const PathPart& part : path_) {
            if (value && value->is_array()) {
                size_t index = std::stoul(part.name);
                value = index < value->array().size() ? &value->array()[index] : nullptr;
            } else {
                value = doc ? doc->get(part.name) : nullptr;
            }
            if (!value) return nullptr;
            doc = value->is_document() ? &value->doc() : nullptr;
        }
        return value;
    }

    // The dotted path of the current position. It is recorded in disambiguatedPaths once a field
    // name in it contains a dot, or is numeric past the first component, so that the dotted form
    // alone is ambiguous; array indexes alone are not ambiguous.
    std::string report_path() {
        std::string dotted;
        bool ambiguous = false;
        Array parts;
        for (size_t i = 0; i < path_.size(); ++i) {
            const PathPart& part = path_[i];
            if (i > 0) dotted += '.';
            dotted += part.name;
            if (part.is_index) {
                parts.push_back(Value::int32(std::stoi(part.name)));
            } else {
                ambiguous |= (i > 0 && is_numeric_name(part.name)) ||
                             part.name.find('.') != std::string::npos;
                parts.push_back(Value::string(part.name));
            }
        }
        if (ambiguous && format_.disambiguated_paths) {
            ambiguous_.set(dotted, Value::array(std::move(parts)));
        }
        return dotted;
    }

    const EventFormat& format_;
    const Document& post_;
    std::vector<PathPart> path_;
    Document updated_;
    Array removed_;
    Array truncated_;
    Document ambiguous_;
};

// ---- Event fields, written straight to BSON: events are built for every write a stream sees. ----

void append_stored(bson_t* out, const char* key, const StoredDoc& doc) {
    if (!doc) {
        BSON_APPEND_NULL(out, key);
        return;
    }
    bson_t view = view_of(doc);
    BSON_APPEND_DOCUMENT(out, key, &view);
}

Document details_of(const OplogEntry& entry) {
    return entry.details ? to_document(entry.details) : Document();
}

void append_namespace(bson_t* out, const OplogEntry& entry) {
    bson_t ns;
    BSON_APPEND_DOCUMENT_BEGIN(out, "ns", &ns);
    BSON_APPEND_UTF8(&ns, "db", entry.db.c_str());
    if (!entry.coll.empty()) BSON_APPEND_UTF8(&ns, "coll", entry.coll.c_str());
    bson_append_document_end(out, &ns);
}

Value rename_target(const OplogEntry& entry) {
    Document details = details_of(entry);
    const Value* to = details.get("to");
    return to ? *to : Value::null();
}

// operationDescription (5.3+, with showExpandedEvents): the oplog command's arguments.
Document operation_description(const OplogEntry& entry) {
    Document details = details_of(entry);
    Document description;
    switch (entry.kind) {
        case ChangeKind::Rename:  // {to: {db, coll}, dropTarget: <UUID of the dropped target>?}
            description.push_back("to", rename_target(entry));
            if (const Value* dropped = details.get("dropTarget")) {
                description.push_back("dropTarget", *dropped);
            }
            break;
        case ChangeKind::Create: {
            const Value* options = details.get("collectionOptions");
            if (options && options->is_document()) description = options->doc();
            if (!description.get("viewOn")) {
                // The create oplog entry carries the _id index it built.
                description.push_back("idIndex",
                                      Value::document(Document::from_json(
                                          R"({"v": 2, "key": {"_id": 1}, "name": "_id_"})")));
            }
            break;
        }
        case ChangeKind::Modify:
            description = std::move(details);
            description.remove("collMod");
            break;
        default:  // createIndexes, dropIndexes: {indexes: [...]}
            description = std::move(details);
            break;
    }
    return description;
}

bool has_operation_description(ChangeKind kind) {
    return !is_document_change(kind) && kind != ChangeKind::Drop &&
           kind != ChangeKind::DropDatabase;
}

void append_head(bson_t* out, const ResumeToken& token, const char* type, const OplogEntry& entry,
                 const EventFormat& format) {
    bson_t id;
    BSON_APPEND_DOCUMENT_BEGIN(out, "_id", &id);
    BSON_APPEND_UTF8(&id, "_data", token.to_hex().c_str());
    bson_append_document_end(out, &id);
    BSON_APPEND_UTF8(out, "operationType", type);
    BSON_APPEND_TIMESTAMP(out, "clusterTime", entry.time.t, entry.time.i);
    bool has_uuid = entry.uuid && entry.kind != ChangeKind::DropDatabase;
    if (format.show_expanded_events && has_uuid && std::strcmp(type, "invalidate") != 0) {
        BSON_APPEND_BINARY(out, "collectionUUID", BSON_SUBTYPE_UUID, entry.uuid->data(),
                           static_cast<uint32_t>(entry.uuid->size()));
    }
    if (format.wall_time) BSON_APPEND_DATE_TIME(out, "wallTime", entry.wall_time_ms);
}

// showRawUpdateDescription (6.0+): the oplog entry's own {$v: 2, diff}.
Document raw_update_description(const StoredDoc& delta) {
    Document raw;
    raw.push_back("$v", Value::int32(2));
    raw.push_back("diff", Value::document(delta ? to_document(delta) : Document()));
    return raw;
}

}  // namespace

std::string_view operation_type(ChangeKind kind) {
    switch (kind) {
        case ChangeKind::Insert:
            return "insert";
        case ChangeKind::Update:
            return "update";
        case ChangeKind::Replace:
            return "replace";
        case ChangeKind::Delete:
            return "delete";
        case ChangeKind::Create:
            return "create";
        case ChangeKind::Drop:
            return "drop";
        case ChangeKind::Rename:
            return "rename";
        case ChangeKind::DropDatabase:
            return "dropDatabase";
        case ChangeKind::CreateIndexes:
            return "createIndexes";
        case ChangeKind::DropIndexes:
            return "dropIndexes";
        case ChangeKind::Modify:
            return "modify";
    }
    return "unknown";
}

bool is_expanded_event(ChangeKind kind) {
    return kind == ChangeKind::Create || kind == ChangeKind::CreateIndexes ||
           kind == ChangeKind::DropIndexes || kind == ChangeKind::Modify;
}

bool is_document_change(ChangeKind kind) {
    return kind == ChangeKind::Insert || kind == ChangeKind::Update ||
           kind == ChangeKind::Replace || kind == ChangeKind::Delete;
}

// A transaction's events share the commit's cluster time; txnOpIndex orders them (mongod:
// ResumeTokenData::txnOpIndex, the operation's position in the applyOps entry).
ResumeToken event_token(const OplogEntry& entry, const EventFormat& format) {
    ResumeToken token = ResumeToken::event(entry.time, format.token_version);
    token.txn_op_index = entry.txn_op_index;
    return token;
}

void append_change_event(const OplogEntry& entry, const EventFormat& format, bson_t* event) {
    // mongod adds the rename target while decoding the oplog entry, before the _id.
    if (entry.kind == ChangeKind::Rename) rename_target(entry).append_to(event, "to");
    append_head(event, event_token(entry, format), std::string(operation_type(entry.kind)).c_str(),
                entry, format);
    // Events of a committed transaction carry its txnNumber and lsid (manual, "Change Events").
    if (entry.lsid) {
        BSON_APPEND_INT64(event, "txnNumber", entry.txn_number);
        append_stored(event, "lsid", entry.lsid);
    }
    if (entry.kind == ChangeKind::Insert || entry.kind == ChangeKind::Replace) {
        append_stored(event, "fullDocument", entry.post_image);
    }
    append_namespace(event, entry);
    if (is_document_change(entry.kind)) append_stored(event, "documentKey", entry.document_key);
    if (format.show_expanded_events && has_operation_description(entry.kind)) {
        append_document(event, "operationDescription", operation_description(entry));
    }
    if (entry.kind == ChangeKind::Update && format.raw_update_description) {
        append_document(event, "rawUpdateDescription", raw_update_description(entry.delta));
    } else if (entry.kind == ChangeKind::Update) {
        Document delta = entry.delta ? to_document(entry.delta) : Document();
        Document post = entry.post_image ? to_document(entry.post_image) : Document();
        append_document(event, "updateDescription", describe_update(delta, post, format));
    }
}

void append_invalidate_event(const OplogEntry& cause, const EventFormat& format, bson_t* event) {
    append_head(event, ResumeToken::event(cause.time, format.token_version, true), "invalidate",
                cause, format);
}

Document make_change_event(const OplogEntry& entry, const EventFormat& format) {
    bson_t event = BSON_INITIALIZER;
    append_change_event(entry, format, &event);
    Document document = Document::from_bson(event);
    bson_destroy(&event);
    return document;
}

Document make_invalidate_event(const OplogEntry& cause, const EventFormat& format) {
    bson_t event = BSON_INITIALIZER;
    append_invalidate_event(cause, format, &event);
    Document document = Document::from_bson(event);
    bson_destroy(&event);
    return document;
}

Document describe_update(const Document& delta, const Document& post, const EventFormat& format) {
    DescriptionBuilder builder(format, post);
    builder.walk_document(delta);
    return builder.finish();
}

}  // namespace tmd
