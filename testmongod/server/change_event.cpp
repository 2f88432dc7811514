// Change events (see change_event.h): event documents per operationType, following mongod's
// ChangeStreamDefaultEventTransformation (change_stream_event_transform.cpp), and the update
// delta, following doc_diff (document_diff_calculator.cpp, document_diff_serialization.cpp) and
// change_stream_document_diff_parser.cpp.
#include "server/change_event.h"

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <variant>

namespace tmd {
namespace {

// ---- The $v:2 delta: a tree of document and array diffs with mongod's size accounting. ----

// Sizes from diff_tree::ApproxBSONSizeTracker: an empty document diff is 5 bytes, an empty array
// diff 9 ({a: true}); each entry costs its name, type byte and terminator plus its value; the first
// entry of a d/u/i section adds the section's wrapper (8); a sub-diff adds its "s" prefix (1); a
// resize adds {l: <int>} (7).
constexpr size_t kEmptyDocumentDiffSize = 5;
constexpr size_t kEmptyArrayDiffSize = 9;
constexpr size_t kSectionWrapperSize = 8;
constexpr size_t kResizeEntrySize = 7;

struct Diff;
using DiffPtr = std::unique_ptr<Diff>;

struct Diff {
    explicit Diff(bool array) : is_array(array) {
        size = array ? kEmptyArrayDiffSize : kEmptyDocumentDiffSize;
    }
    bool is_array;
    size_t size;
    // Document diffs, in serialization order d, u, i, s.
    std::vector<std::string> deletes;
    std::vector<std::pair<std::string, Value>> updates;
    std::vector<std::pair<std::string, Value>> inserts;
    std::vector<std::pair<std::string, DiffPtr>> subdiffs;
    // Array diffs: new length when the array shrank; changed elements by index.
    std::optional<size_t> resize;
    std::map<size_t, std::variant<Value, DiffPtr>> elements;
    bson_iter_t post{};  // the array's post value, for profiles without truncatedArrays

    void add_entry(size_t name_size, size_t value_size) { size += name_size + 2 + value_size; }
    void open_section(bool first) { size += first ? kSectionWrapperSize : 0; }
    void add_delete(std::string name) {
        add_entry(name.size(), 1);
        open_section(deletes.empty());
        deletes.push_back(std::move(name));
    }
    void add_update(std::string name, Value value, size_t value_size) {
        add_entry(name.size(), value_size);
        open_section(updates.empty());
        updates.emplace_back(std::move(name), std::move(value));
    }
    void add_insert(std::string name, Value value, size_t value_size) {
        add_entry(name.size(), value_size);
        open_section(inserts.empty());
        inserts.emplace_back(std::move(name), std::move(value));
    }
    void add_subdiff(std::string name, DiffPtr child) {
        add_entry(name.size(), child->size);
        size += 1;
        subdiffs.emplace_back(std::move(name), std::move(child));
    }
    void add_element(size_t index, std::variant<Value, DiffPtr> change, size_t value_size) {
        add_entry(1 + std::to_string(index).size(), value_size);
        elements.emplace(index, std::move(change));
    }
    void set_resize(size_t length) {
        resize = length;
        size += kResizeEntrySize;
    }
};

// The size of an element's value in BSON, as BSONElement::valuesize().
size_t value_size(const bson_iter_t& it) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    switch (bson_iter_type(&it)) {
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DATE_TIME:
        case BSON_TYPE_TIMESTAMP:
        case BSON_TYPE_INT64:
            return 8;
        case BSON_TYPE_INT32:
            return 4;
        case BSON_TYPE_BOOL:
            return 1;
        case BSON_TYPE_OID:
            return 12;
        case BSON_TYPE_DECIMAL128:
            return 16;
        case BSON_TYPE_UTF8:
            bson_iter_utf8(&it, &length);
            return 4 + length + 1;
        case BSON_TYPE_SYMBOL:
            bson_iter_symbol(&it, &length);
            return 4 + length + 1;
        case BSON_TYPE_CODE:
            bson_iter_code(&it, &length);
            return 4 + length + 1;
        case BSON_TYPE_DOCUMENT:
            bson_iter_document(&it, &length, &data);
            return length;
        case BSON_TYPE_ARRAY:
            bson_iter_array(&it, &length, &data);
            return length;
        case BSON_TYPE_BINARY: {
            bson_subtype_t subtype;
            bson_iter_binary(&it, &subtype, &length, &data);
            // The deprecated subtype 2 repeats the length inside the payload.
            return 4 + 1 + length + (subtype == BSON_SUBTYPE_BINARY_DEPRECATED ? 4 : 0);
        }
        case BSON_TYPE_REGEX: {
            const char* options = nullptr;
            const char* pattern = bson_iter_regex(&it, &options);
            return std::strlen(pattern) + 1 + std::strlen(options) + 1;
        }
        case BSON_TYPE_DBPOINTER: {
            const char* collection = nullptr;
            const bson_oid_t* oid = nullptr;
            bson_iter_dbpointer(&it, &length, &collection, &oid);
            return 4 + length + 1 + 12;
        }
        case BSON_TYPE_CODEWSCOPE: {
            uint32_t scope_length = 0;
            bson_iter_codewscope(&it, &length, &scope_length, &data);
            return 4 + 4 + length + 1 + scope_length;
        }
        default:
            return 0;  // null, undefined, minKey, maxKey
    }
}

const uint8_t* value_bytes(const bson_iter_t& it) {
    const char* key = bson_iter_key(&it);
    return reinterpret_cast<const uint8_t*>(key) + std::strlen(key) + 1;
}

// BSONElement::binaryEqual: same type, same name, same value bytes.
bool binary_equal(const bson_iter_t& a, const bson_iter_t& b) {
    if (bson_iter_type(&a) != bson_iter_type(&b)) return false;
    if (std::strcmp(bson_iter_key(&a), bson_iter_key(&b)) != 0) return false;
    size_t size = value_size(a);
    return size == value_size(b) && std::memcmp(value_bytes(a), value_bytes(b), size) == 0;
}

bool is_container(const bson_iter_t& it) {
    return BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it);
}

bson_t sub_document(const bson_iter_t& it) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    if (BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_array(&it, &length, &data);
    } else {
        bson_iter_document(&it, &length, &data);
    }
    bson_t sub;
    bson_init_static(&sub, data, length);
    return sub;
}

DiffPtr diff_documents(const bson_t& pre, const bson_t& post, bool ignore_size_limit);
DiffPtr diff_arrays(const bson_t& pre, const bson_t& post, const bson_iter_t& post_iter);

// calculateSubDiffHelper: diffs two documents or two arrays; a sub-diff larger than the post
// value itself is replaced by the whole post value.
std::variant<Value, DiffPtr> diff_values(const bson_iter_t& pre, const bson_iter_t& post) {
    bson_t pre_doc = sub_document(pre), post_doc = sub_document(post);
    DiffPtr child = BSON_ITER_HOLDS_ARRAY(&pre) ? diff_arrays(pre_doc, post_doc, post)
                                                : diff_documents(pre_doc, post_doc, false);
    if (child) return child;
    return Value::from_iter(post);
}

void add_changed_field(Diff& node, const bson_iter_t& pre, const bson_iter_t& post) {
    std::string name = bson_iter_key(&post);
    if (bson_iter_type(&pre) == bson_iter_type(&post) && is_container(pre)) {
        auto change = diff_values(pre, post);
        if (auto* child = std::get_if<DiffPtr>(&change)) {
            node.add_subdiff(std::move(name), std::move(*child));
            return;
        }
    }
    node.add_update(std::move(name), Value::from_iter(post), value_size(post));
}

bool keep_diff(const Diff& node, const bson_t& post, bool ignore_size_limit) {
    return ignore_size_limit || post.len > node.size;
}

DiffPtr diff_documents(const bson_t& pre, const bson_t& post, bool ignore_size_limit) {
    auto node = std::make_unique<Diff>(false);
    bson_iter_t a, b;
    bool more_pre = bson_iter_init(&a, &pre) && bson_iter_next(&a);
    bool more_post = bson_iter_init(&b, &post) && bson_iter_next(&b);
    // Fields of `pre` met out of order; dropped unless they reappear later in `post`. A sorted set,
    // as mongod's std::set<StringData>, which decides the order they are reported in.
    std::set<std::string> displaced;
    while (more_pre && more_post) {
        if (binary_equal(a, b)) {
            more_pre = bson_iter_next(&a);
            more_post = bson_iter_next(&b);
        } else if (std::strcmp(bson_iter_key(&a), bson_iter_key(&b)) == 0) {
            add_changed_field(*node, a, b);
            more_pre = bson_iter_next(&a);
            more_post = bson_iter_next(&b);
        } else {
            displaced.insert(bson_iter_key(&a));
            more_pre = bson_iter_next(&a);
        }
    }
    for (; more_pre; more_pre = bson_iter_next(&a))
        node->add_delete(bson_iter_key(&a));
    for (; more_post; more_post = bson_iter_next(&b)) {
        node->add_insert(bson_iter_key(&b), Value::from_iter(b), value_size(b));
        displaced.erase(bson_iter_key(&b));
    }
    for (const auto& name : displaced)
        node->add_delete(name);
    return keep_diff(*node, post, ignore_size_limit) ? std::move(node) : nullptr;
}

DiffPtr diff_arrays(const bson_t& pre, const bson_t& post, const bson_iter_t& post_iter) {
    auto node = std::make_unique<Diff>(true);
    node->post = post_iter;
    bson_iter_t a, b;
    bool more_pre = bson_iter_init(&a, &pre) && bson_iter_next(&a);
    bool more_post = bson_iter_init(&b, &post) && bson_iter_next(&b);
    size_t index = 0;
    for (; more_pre && more_post; ++index) {
        if (!binary_equal(a, b)) {
            if (bson_iter_type(&a) == bson_iter_type(&b) && is_container(a)) {
                auto change = diff_values(a, b);
                size_t size = std::holds_alternative<DiffPtr>(change)
                                  ? std::get<DiffPtr>(change)->size
                                  : value_size(b);
                node->add_element(index, std::move(change), size);
            } else {
                node->add_element(index, Value::from_iter(b), value_size(b));
            }
        }
        more_pre = bson_iter_next(&a);
        more_post = bson_iter_next(&b);
    }
    for (; more_post; more_post = bson_iter_next(&b), ++index) {
        node->add_element(index, Value::from_iter(b), value_size(b));
    }
    if (more_pre) node->set_resize(index);
    return keep_diff(*node, post, false) ? std::move(node) : nullptr;
}

// ---- From the delta to updateDescription (change_stream_document_diff_parser). ----

struct PathPart {
    std::string name;
    bool is_index;
};

bool is_numeric_name(const std::string& name) {
    return !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
}

class DescriptionBuilder {
  public:
    explicit DescriptionBuilder(const EventFormat& format) : format_(format) {}

    void walk(const Diff& diff) {
        if (diff.is_array) {
            walk_array(diff);
        } else {
            walk_document(diff);
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
    void walk_document(const Diff& diff) {
        for (const auto& name : diff.deletes) {
            with_part(name, false, [&] { removed_.push_back(Value::string(report_path())); });
        }
        auto report_set = [&](const auto& fields) {
            for (const auto& [name, value] : fields) {
                with_part(name, false, [&] { updated_.push_back(report_path(), value); });
            }
        };
        report_set(diff.updates);
        report_set(diff.inserts);
        for (const auto& [name, child] : diff.subdiffs) {
            with_part(name, false, [&] { walk(*child); });
        }
    }

    void walk_array(const Diff& diff) {
        if (diff.resize && !format_.truncated_arrays) {
            // Before $v:2 deltas (4.4) a shrunk array was logged as a $set of the whole array.
            updated_.push_back(report_path(), Value::from_iter(diff.post));
            return;
        }
        if (diff.resize) {
            Document entry;
            entry.push_back("field", Value::string(report_path()));
            entry.push_back("newSize", Value::int32(static_cast<int32_t>(*diff.resize)));
            truncated_.push_back(Value::document(std::move(entry)));
        }
        for (const auto& [index, change] : diff.elements) {
            with_part(std::to_string(index), true, [&] {
                if (const auto* value = std::get_if<Value>(&change)) {
                    updated_.push_back(report_path(), *value);
                } else {
                    walk(*std::get<DiffPtr>(change));
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

    // The dotted path of the current position; recorded in disambiguatedPaths when a field name
    // in it contains a dot or is numeric, so that the dotted form alone is ambiguous.
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
                ambiguous |= part.name.find('.') != std::string::npos || is_numeric_name(part.name);
                parts.push_back(Value::string(part.name));
            }
        }
        if (ambiguous && format_.disambiguated_paths) {
            ambiguous_.set(dotted, Value::array(std::move(parts)));
        }
        return dotted;
    }

    const EventFormat& format_;
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

void append_document(bson_t* out, const char* key, const Document& doc) {
    bson_t child;
    BSON_APPEND_DOCUMENT_BEGIN(out, key, &child);
    doc.append_to(&child);
    bson_append_document_end(out, &child);
}

Document details_of(const OplogEntry& entry) {
    if (!entry.details) return Document();
    return Document::from_bytes(reinterpret_cast<const uint8_t*>(entry.details->data()),
                                entry.details->size());
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
        case ChangeKind::Rename:
            description.push_back("to", rename_target(entry));
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

Document to_document(const bson_t* bson) {
    return Document::from_bson(*bson);
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
    if (entry.kind == ChangeKind::Update) {
        append_document(event, "updateDescription",
                        describe_update(entry.pre_image, entry.post_image, format));
    }
}

void append_invalidate_event(const OplogEntry& cause, const EventFormat& format, bson_t* event) {
    append_head(event, ResumeToken::event(cause.time, format.token_version, true), "invalidate",
                cause, format);
}

Document make_change_event(const OplogEntry& entry, const EventFormat& format) {
    bson_t event = BSON_INITIALIZER;
    append_change_event(entry, format, &event);
    Document document = to_document(&event);
    bson_destroy(&event);
    return document;
}

Document make_invalidate_event(const OplogEntry& cause, const EventFormat& format) {
    bson_t event = BSON_INITIALIZER;
    append_invalidate_event(cause, format, &event);
    Document document = to_document(&event);
    bson_destroy(&event);
    return document;
}

Document describe_update(const StoredDoc& pre, const StoredDoc& post, const EventFormat& format) {
    DescriptionBuilder builder(format);
    if (pre && post) {
        bson_t pre_doc = view_of(pre), post_doc = view_of(post);
        // An update entry always reports a delta, as the $v:2 oplog entry of an update with
        // operators does; the size limit applies to sub-diffs (whole values replace them).
        builder.walk(*diff_documents(pre_doc, post_doc, true));
    }
    return builder.finish();
}

}  // namespace tmd
