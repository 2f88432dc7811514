// The $v:2 delta (see update_delta.h), following mongod's src/mongo/db/update/v2_log_builder.cpp
// (operator updates), document_diff_calculator.cpp (image diffs), document_diff_serialization.cpp
// (sizes and section order) and document_diff_applier.cpp (applying a delta).
#include "engine/update_delta.h"

#include <cstring>
#include <map>
#include <set>
#include <variant>

#include "engine/error.h"
#include "engine/path.h"

namespace tmd {
namespace {

// ---- Diffing two images: a tree of document and array diffs with mongod's size accounting. ----

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

DiffPtr diff_documents(const bson_t& pre, const bson_t& post, size_t padding);
DiffPtr diff_arrays(const bson_t& pre, const bson_t& post);

// calculateSubDiffHelper: diffs two documents or two arrays; a sub-diff larger than the post
// value itself is replaced by the whole post value.
std::variant<Value, DiffPtr> diff_values(const bson_iter_t& pre, const bson_iter_t& post) {
    bson_t pre_doc = sub_document(pre), post_doc = sub_document(post);
    DiffPtr child = BSON_ITER_HOLDS_ARRAY(&pre) ? diff_arrays(pre_doc, post_doc)
                                                : diff_documents(pre_doc, post_doc, 0);
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

// A diff is kept only while smaller than the value it describes.
bool keep_diff(const Diff& node, const bson_t& post) {
    return post.len > node.size;
}

// `padding`: what the diff's wrapper will add (the oplog entry's metadata, at the top level).
DiffPtr diff_documents(const bson_t& pre, const bson_t& post, size_t padding) {
    auto node = std::make_unique<Diff>(false);
    node->size += padding;
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
    return keep_diff(*node, post) ? std::move(node) : nullptr;
}

DiffPtr diff_arrays(const bson_t& pre, const bson_t& post) {
    auto node = std::make_unique<Diff>(true);
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
    return keep_diff(*node, post) ? std::move(node) : nullptr;
}

// ---- Serializing an image diff (diff_tree's serialize: d, u, i, then s sections). ----

Document to_document(const Diff& diff);

Value section(const std::vector<std::pair<std::string, Value>>& fields) {
    Document out;
    for (const auto& [name, value] : fields)
        out.push_back(name, value);
    return Value::document(std::move(out));
}

Document to_document(const Diff& diff) {
    Document out;
    if (diff.is_array) {
        out.push_back("a", Value::boolean(true));
        if (diff.resize) out.push_back("l", Value::int32(static_cast<int32_t>(*diff.resize)));
        for (const auto& [index, change] : diff.elements) {
            if (const auto* value = std::get_if<Value>(&change)) {
                out.push_back("u" + std::to_string(index), *value);
            } else {
                out.push_back("s" + std::to_string(index),
                              Value::document(to_document(*std::get<DiffPtr>(change))));
            }
        }
        return out;
    }
    if (!diff.deletes.empty()) {
        Document deletes;
        for (const auto& name : diff.deletes)
            deletes.push_back(name, Value::boolean(false));
        out.push_back("d", Value::document(std::move(deletes)));
    }
    if (!diff.updates.empty()) out.push_back("u", section(diff.updates));
    if (!diff.inserts.empty()) out.push_back("i", section(diff.inserts));
    for (const auto& [name, child] : diff.subdiffs)
        out.push_back("s" + name, Value::document(to_document(*child)));
    return out;
}

// ---- Applying a delta (document_diff_applier.cpp). ----

[[noreturn]] void malformed(const std::string& what) {
    throw MongoError(code::FailedToParse, "Invalid $v:2 delta: " + what);
}

const Document* section_of(const Document& delta, const char* name) {
    const Value* value = delta.get(name);
    if (!value) return nullptr;
    if (!value->is_document()) malformed(std::string("section '") + name + "' is not an object");
    return &value->doc();
}

Value apply_sub_delta(const Value& pre, const Value& sub);

Array apply_array_delta(const Array& pre, const Document& delta) {
    Array out = pre;
    if (const Value* length = delta.get("l")) {
        if (!length->is_number() || length->as_int64() < 0) malformed("'l' is not a length");
        out.resize(static_cast<size_t>(length->as_int64()), Value::null());
    }
    for (const auto& field : delta.fields()) {
        if (field.name == "a" || field.name == "l") continue;
        auto index = array_index_of(std::string_view(field.name).substr(1));
        if (!index || (field.name[0] != 'u' && field.name[0] != 's')) {
            malformed("unknown array entry '" + field.name + "'");
        }
        if (field.name[0] == 'u') {
            if (*index >= out.size()) out.resize(*index + 1, Value::null());
            out[*index] = field.value;
        } else if (*index < out.size()) {
            out[*index] = apply_sub_delta(out[*index], field.value);
        }
    }
    return out;
}

Document apply_document_delta(const Document& pre, const Document& delta) {
    for (const auto& field : delta.fields()) {
        bool known = field.name == "d" || field.name == "u" || field.name == "i" ||
                     (field.name.size() > 1 && field.name[0] == 's');
        if (!known) malformed("unknown section '" + field.name + "'");
    }
    const Document* deletes = section_of(delta, "d");
    const Document* updates = section_of(delta, "u");
    const Document* inserts = section_of(delta, "i");
    Document out;
    for (const auto& field : pre.fields()) {
        if ((deletes && deletes->get(field.name)) || (inserts && inserts->get(field.name)))
            continue;
        if (const Value* updated = updates ? updates->get(field.name) : nullptr) {
            out.push_back(field.name, *updated);
        } else if (const Value* sub = delta.get("s" + field.name)) {
            out.push_back(field.name, apply_sub_delta(field.value, *sub));
        } else {
            out.push_back(field.name, field.value);
        }
    }
    // Updates of fields the document lacks, then inserts, go to the end.
    for (const Document* appended : {updates, inserts}) {
        if (!appended) continue;
        for (const auto& field : appended->fields())
            if (!out.get(field.name)) out.push_back(field.name, field.value);
    }
    return out;
}

// A sub-delta applies to a value of its kind; any other value is left as it is.
Value apply_sub_delta(const Value& pre, const Value& sub) {
    if (!sub.is_document()) malformed("a sub-delta is not an object");
    if (is_array_delta(sub.doc())) {
        return pre.is_array() ? Value::array(apply_array_delta(pre.array(), sub.doc())) : pre;
    }
    return pre.is_document() ? Value::document(apply_document_delta(pre.doc(), sub.doc())) : pre;
}

}  // namespace

// ---- DeltaLog: v2_log_builder's node tree. ----

struct DeltaLog::Node {
    enum class Kind { Update, Insert, Delete, SubDiff, InsertedDocument, Array };
    explicit Node(Kind k, Value v = Value()) : kind(k), value(std::move(v)) {}
    Kind kind;
    Value value;  // Update, Insert
    // Document nodes' children in the order they were logged; array nodes' by index.
    std::vector<std::pair<std::string, std::unique_ptr<Node>>> children;
    std::map<size_t, std::unique_ptr<Node>> elements;

    bool is_internal() const {
        return kind == Kind::SubDiff || kind == Kind::InsertedDocument || kind == Kind::Array;
    }
    Node* child(const std::string& name) {
        if (kind == Kind::Array) {
            auto found = elements.find(*array_index_of(name));
            return found == elements.end() ? nullptr : found->second.get();
        }
        for (auto& [child_name, node] : children)
            if (child_name == name) return node.get();
        return nullptr;
    }
    Node* add(const std::string& name, std::unique_ptr<Node> node) {
        Node* added = node.get();
        if (kind == Kind::Array) {
            elements[*array_index_of(name)] = std::move(node);
        } else {
            children.emplace_back(name, std::move(node));
        }
        return added;
    }
};

namespace {

using Node = DeltaLog::Node;
using Kind = DeltaLog::Node::Kind;

// V2LogBuilder::addNodeAtPath: walks (and creates) the internal nodes down to the leaf's parent;
// a node's kind follows the next component (an array index makes an array node) and whether the
// path is new from there on.
void add_at_path(Node& root, const DeltaPath& path, std::unique_ptr<Node> leaf,
                 std::optional<size_t> first_new) {
    Node* node = &root;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        Node* next = node->child(path[i].name);
        if (!next) {
            bool new_path = first_new && i >= *first_new;
            Kind kind = path[i + 1].array_index ? Kind::Array
                        : new_path              ? Kind::InsertedDocument
                                                : Kind::SubDiff;
            next = node->add(path[i].name, std::make_unique<Node>(kind));
        }
        node = next;
    }
    node->add(path.back().name, std::move(leaf));
}

Value inserted_value(const Node& node) {
    if (node.kind != Kind::InsertedDocument) return node.value;
    Document out;
    for (const auto& [name, child] : node.children)
        out.push_back(name, inserted_value(*child));
    return Value::document(std::move(out));
}

Document serialize(const Node& node) {
    Document out;
    if (node.kind == Kind::Array) {
        out.push_back("a", Value::boolean(true));
        for (const auto& [index, child] : node.elements) {
            std::string at = std::to_string(index);
            if (child->kind == Kind::SubDiff || child->kind == Kind::Array) {
                out.push_back("s" + at, Value::document(serialize(*child)));
            } else if (child->kind != Kind::Delete) {
                out.push_back("u" + at, inserted_value(*child));
            }
        }
        return out;
    }
    auto add_section = [&](const char* name, auto selects, auto value_of) {
        Document section;
        for (const auto& [child_name, child] : node.children)
            if (selects(*child)) section.push_back(child_name, value_of(*child));
        if (!section.empty()) out.push_back(name, Value::document(std::move(section)));
    };
    add_section(
        "d", [](const Node& n) { return n.kind == Kind::Delete; },
        [](const Node&) { return Value::boolean(false); });
    add_section(
        "u", [](const Node& n) { return n.kind == Kind::Update; },
        [](const Node& n) { return n.value; });
    add_section(
        "i",
        [](const Node& n) { return n.kind == Kind::Insert || n.kind == Kind::InsertedDocument; },
        inserted_value);
    for (const auto& [name, child] : node.children) {
        if (child->kind == Kind::SubDiff || child->kind == Kind::Array) {
            out.push_back("s" + name, Value::document(serialize(*child)));
        }
    }
    return out;
}

}  // namespace

DeltaLog::DeltaLog() : root_(std::make_unique<Node>(Kind::SubDiff)) {}
DeltaLog::~DeltaLog() = default;
DeltaLog::DeltaLog(DeltaLog&&) noexcept = default;
DeltaLog& DeltaLog::operator=(DeltaLog&&) noexcept = default;

void DeltaLog::updated(const DeltaPath& path, Value value) {
    add_at_path(*root_, path, std::make_unique<Node>(Kind::Update, std::move(value)), std::nullopt);
}

void DeltaLog::created(const DeltaPath& path, size_t first_new, Value value) {
    add_at_path(*root_, path, std::make_unique<Node>(Kind::Insert, std::move(value)), first_new);
}

void DeltaLog::deleted(const DeltaPath& path) {
    add_at_path(*root_, path, std::make_unique<Node>(Kind::Delete), std::nullopt);
}

bool DeltaLog::empty() const {
    return root_->children.empty();
}

Document DeltaLog::to_document() const {
    return serialize(*root_);
}

std::optional<Document> compute_delta(const bson_t& pre, const bson_t& post) {
    DiffPtr diff = diff_documents(pre, post, kDeltaOplogEntryMetadataSize);
    if (!diff) return std::nullopt;
    Document delta = to_document(*diff);
    if (delta.to_bytes().size() >= post.len) return std::nullopt;
    return delta;
}

bool is_array_delta(const Document& delta) {
    const Value* header = delta.get("a");
    return header && header->type() == BSON_TYPE_BOOL && header->as_bool();
}

Document apply_delta(const Document& pre, const Document& delta) {
    return apply_document_delta(pre, delta);
}

}  // namespace tmd
