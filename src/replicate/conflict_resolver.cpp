// Unique-conflict resolution: sequential replay in event order, pending writes of the blocking
// documents first, and as a last resort "make both documents their current source state",
// which is what the later events would converge to anyway.
//
// Crash safety (also in docs/replication.md): every destination write here either sets a
// document to its current source state, deletes a blocker the source no longer has, or moves a
// blocker aside under a record in the intents collection that is written before the delete and
// removed after the write-back; restore_recorded() finishes an interrupted one. Blockers are
// re-read before any write, so a failed read changes nothing. No crash point loses a document.
#include "replicate/conflict_resolver.h"

#include <spdlog/spdlog.h>

#include <string>

#include "mongo/collection.h"
#include "mongo/error.h"
#include "replicate/applier.h"

namespace tributary::replicate {
namespace {

// Each level of force_write frees one set of blockers; a swap needs two. Deeper chains mean the
// destination has an index the source does not enforce: stop instead of looping.
constexpr int kMaxResolutionDepth = 8;

WriteOp copy_of(const WriteOp& op) {
    return WriteOp{op.kind, op.filter.copy(), op.body.copy(), op.upsert};
}

// {<key path>: value} as a unique index compares it: a missing field indexes as null, and an
// array indexes each element (so any shared element conflicts).
void append_key_condition(bson_t* filter, const char* path, const bson_t* document) {
    bson_iter_t iter;
    bson_iter_t value;
    if (!bson_iter_init(&iter, document) || !bson_iter_find_descendant(&iter, path, &value)) {
        bson_append_null(filter, path, -1);
        return;
    }
    if (!BSON_ITER_HOLDS_ARRAY(&value)) {
        bson_append_value(filter, path, -1, bson_iter_value(&value));
        return;
    }
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_array(&value, &length, &data);
    bson_t elements;
    bson_init_static(&elements, data, length);
    bson_t in;
    bson_append_document_begin(filter, path, -1, &in);
    bson_append_array(&in, "$in", 3, &elements);
    bson_append_document_end(filter, &in);
}

// Filter for documents other than `document` that collide with it in unique index `index`.
bson::Document collision_filter(const bson_t* index, const bson_t* document) {
    bson::Document filter;
    bson_t and_array;
    bson_t clause;
    bson_append_array_begin(filter.get(), "$and", 4, &and_array);
    bson_append_document_begin(&and_array, "0", 1, &clause);
    bson_iter_t key;
    if (auto key_pattern = mongo::get_document(index, "key"); key_pattern) {
        bson_iter_init(&key, key_pattern->view());
        while (bson_iter_next(&key))
            append_key_condition(&clause, bson_iter_key(&key), document);
    }
    bson_append_document_end(&and_array, &clause);
    bson_append_document_begin(&and_array, "1", 1, &clause);
    bson_t not_equal;
    bson_iter_t id;
    bson_append_document_begin(&clause, "_id", 3, &not_equal);
    if (bson_iter_init_find(&id, document, "_id")) {
        bson_append_value(&not_equal, "$ne", 3, bson_iter_value(&id));
    }
    bson_append_document_end(&clause, &not_equal);
    bson_append_document_end(&and_array, &clause);
    // A partial unique index only covers documents matching its filter expression.
    if (auto partial = mongo::get_document(index, "partialFilterExpression")) {
        bson_append_document(&and_array, "2", 1, partial->view());
    }
    bson_append_array_end(filter.get(), &and_array);
    return filter;
}

// The record of a blocker moved aside: {_id: {ns: "db.coll", id: <its _id>}}, written as a
// replace with upsert so that recording twice is harmless.
WriteOp intent_record(const Namespace& ns, const bson_t* id_filter) {
    bson::Document record;
    bson_t key;
    bson_append_document_begin(record.get(), "_id", 3, &key);
    bson_append_utf8(&key, "ns", 2, ns.full().c_str(), -1);
    bson_iter_t id;
    if (bson_iter_init_find(&id, id_filter, "_id")) bson_append_iter(&key, "id", 2, &id);
    bson_append_document_end(record.get(), &key);
    return replace_with_document(record.view());
}

// {_id: <id>} from a record's {ns, id} key.
bson::Document id_of_record(const bson_t* key) {
    bson::Document filter;
    bson_iter_t id;
    if (bson_iter_init_find(&id, key, "id")) bson_append_iter(filter.get(), "_id", 3, &id);
    return filter;
}

bool is_unique_secondary_index(const bson_t* index) {
    return mongo::get_bool(index, "unique").value_or(false) &&
           mongo::get_string(index, "name").value_or("") != "_id_";
}

}  // namespace

void ConflictResolver::apply_in_order(const std::vector<const QueuedWrite*>& writes) {
    writes_ = writes;
    done_.assign(writes.size(), false);
    for (size_t index = 0; index < writes_.size(); ++index) {
        if (!done_[index]) apply_pending(index);
    }
}

void ConflictResolver::apply_pending(size_t index) {
    done_[index] = true;
    const QueuedWrite& write = *writes_[index];
    const WriteOutcome outcome = apply_single(destination_, write.ns, write.op);
    if (outcome == WriteOutcome::kApplied) return;
    if (outcome == WriteOutcome::kStaleState) {
        resolve_from_source(write.ns, write.op.filter.view());
        return;
    }
    std::optional<WriteOp> known = with_known_document(write.ns, write.op);
    if (!known) return;  // gone from the source: its delete event is still to come
    bool moved_blockers = false;
    for (const auto& blocker : find_blockers(write.ns, known->body.view())) {
        for (size_t later = index + 1; later < writes_.size(); ++later) {
            const QueuedWrite& pending = *writes_[later];
            if (!done_[later] && pending.ns == write.ns &&
                bson::byte_equal(pending.op.filter.view(), blocker.view())) {
                apply_pending(later);
                moved_blockers = true;
            }
        }
    }
    if (moved_blockers &&
        apply_single(destination_, write.ns, write.op) == WriteOutcome::kApplied) {
        return;
    }
    force_write(write.ns, *known, 0);
}

std::optional<WriteOp> ConflictResolver::with_known_document(const Namespace& ns,
                                                             const WriteOp& op) {
    if (op.kind == WriteKind::kReplace) return copy_of(op);
    if (op.kind == WriteKind::kInsert) return replace_with_document(op.body.view());
    SourceDocument current = fetch_source(ns, op.filter.view());
    if (!current.document) return std::nullopt;
    return replace_with_document(current.document->view());
}

std::vector<bson::Document> ConflictResolver::find_blockers(const Namespace& ns,
                                                            const bson_t* document) {
    std::vector<bson::Document> blockers;
    mongo::Collection collection(destination_, ns.db, ns.coll);
    bson::Document projection = bson::Document::from_json(R"({"projection": {"_id": 1}})");
    for (const auto& index : collection.list_indexes()) {
        if (!is_unique_secondary_index(index.view())) continue;
        bson::Document filter = collision_filter(index.view(), document);
        mongo::Cursor cursor = collection.find(filter.view(), projection.view());
        while (const bson_t* found = cursor.next())
            blockers.push_back(id_filter(found));
    }
    return blockers;
}

void ConflictResolver::force_write(const Namespace& ns, const WriteOp& op, int depth) {
    if (apply_single(destination_, ns, op) == WriteOutcome::kApplied) return;
    if (depth >= kMaxResolutionDepth) {
        throw mongo::Error(MONGOC_ERROR_SERVER, mongo::codes::kDuplicateKey,
                           "unresolvable unique-key conflict in '" + ns.full() + "' for document " +
                               bson::to_json(op.filter.view()) +
                               ": the destination enforces a unique index the source does not");
    }
    // The document's current source state, read again at every level: while the source keeps
    // moving values, an earlier read may want a value that the source has since given away.
    SourceDocument current = fetch_source(ns, op.filter.view());
    // Gone from the source: its delete (or its collection's drop) is still to come.
    if (!current.document) return;
    const WriteOp known = replace_with_document(current.document->view());
    // Every blocker is re-read before anything is written: a failed read changes nothing.
    std::vector<Blocker> blockers;
    for (auto& id : find_blockers(ns, known.body.view())) {
        SourceDocument state = fetch_source(ns, id.view());
        if (state.collection_gone) return;  // renamed or dropped since the first read
        blockers.push_back(Blocker{std::move(id), std::move(state)});
    }
    spdlog::debug(
        "Unique-key conflict in '{}' for {}: rewriting {} blocking document(s) from the "
        "source",
        ns.coll, bson::to_json(op.filter.view()), blockers.size());
    // A blocker the source no longer has is deleted (so is it on the source); one the source
    // has becomes its current state, which usually frees the value. Neither loses a document.
    std::vector<const Blocker*> cyclic;
    for (const auto& blocker : blockers) {
        const WriteOp rewrite = blocker.current.document
                                    ? replace_with_document(blocker.current.document->view())
                                    : delete_by_id(blocker.id.view());
        if (apply_single(destination_, ns, rewrite) != WriteOutcome::kApplied) {
            cyclic.push_back(&blocker);
        }
    }
    // The blocker's current state needs a value that this document (or another) still holds:
    // a cycle such as a swap. It is moved aside: recorded, deleted, written back after the
    // document; a crash in between leaves the record, and restore_recorded() writes it back.
    for (const Blocker* blocker : cyclic) {
        apply_single(destination_, intents_, intent_record(ns, blocker->id.view()));
        apply_single(destination_, ns, delete_by_id(blocker->id.view()));
    }
    force_write(ns, known, depth + 1);
    for (const Blocker* blocker : cyclic)
        restore(ns, blocker->id.view(), depth + 1);
}

void ConflictResolver::restore(const Namespace& ns, const bson_t* id_filter, int depth) {
    if (auto current = fetch_source(ns, id_filter).document) {
        force_write(ns, replace_with_document(current->view()), depth);
    }
    apply_single(destination_, intents_, delete_by_id(intent_record(ns, id_filter).filter.view()));
}

void ConflictResolver::restore_recorded() {
    mongo::Collection collection(destination_, intents_.db, intents_.coll);
    std::vector<bson::Document> records;
    mongo::Cursor cursor = collection.find(nullptr);
    while (const bson_t* record = cursor.next())
        records.push_back(bson::Document::copy_of(record));
    for (const auto& record : records) {
        const std::string full = mongo::get_string(record.view(), "_id.ns").value_or("");
        const size_t dot = full.find('.');
        std::optional<bson::Document> key = mongo::get_document(record.view(), "_id");
        if (dot == std::string::npos || !key) continue;
        const bson::Document id = id_of_record(key->view());
        spdlog::warn(
            "Restoring {} in '{}' from the source: moved aside by a unique-key conflict when "
            "the previous run stopped",
            bson::to_json(id.view()), full);
        restore(Namespace{full.substr(0, dot), full.substr(dot + 1)}, id.view(), 0);
    }
}

void ConflictResolver::resolve_from_source(const Namespace& ns, const bson_t* id_filter) {
    spdlog::debug(
        "Update of {} in '{}' does not fit the destination's state: rewriting it from "
        "the source",
        bson::to_json(id_filter), ns.full());
    SourceDocument current = fetch_source(ns, id_filter);
    if (current.document) {
        force_write(ns, replace_with_document(current.document->view()), 0);
    } else if (!current.collection_gone) {
        apply_single(destination_, ns, delete_by_id(id_filter));
    }
}

SourceDocument ConflictResolver::fetch_source(const Namespace& ns, const bson_t* id_filter) {
    return lookup_.find(source_, ns, id_filter);
}

}  // namespace tributary::replicate
