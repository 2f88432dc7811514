// DDL barriers. Creations and index/option changes are applied by reconciling the namespace with
// the source's *current* catalog (idempotent, and identical for 4.4 sources that lack those
// events); drops and renames are applied as the events say, since the source no longer shows
// what was there.
#include "replicate/catalog_events.h"

#include <spdlog/spdlog.h>

#include "catalog/catalog.h"
#include "mongo/collection.h"
#include "mongo/error.h"

namespace tributary::replicate {

void CatalogSync::apply_event(mongoc_client_t* source, mongoc_client_t* destination,
                              const ChangeEvent& event) {
    const Namespace& ns = event.ns();
    switch (event.type()) {
        case OperationType::kDrop:
            if (!applies(ns, event.cluster_time())) return;
            spdlog::info("Dropped collection '{}' on secondary database.", ns.full());
            mongo::Collection(destination, ns.db, ns.coll).drop();
            forget_incarnation(ns);
            return;
        case OperationType::kRename:
            apply_rename(source, destination, event);
            return;
        case OperationType::kDropDatabase:
            if (filter_.database_selected(ns.db))
                drop_database(destination, ns.db, event.cluster_time());
            return;
        case OperationType::kInvalidate:
            return;  // the caller reopens the stream after the invalidating event
        default:
            // create, createIndexes, dropIndexes, modify, and types this version does not know.
            if (!ns.coll.empty() && filter_.matches(ns.db, ns.coll)) {
                if (event.type() == OperationType::kCreate && applies(ns, event.cluster_time())) {
                    checkpoint_.stage_incarnation(ns.full(), event.collection_uuid());
                }
                const size_t changes = reconcile_namespace(source, destination, ns);
                spdlog::info(
                    "Applied '{}' on collection '{}' to secondary database ({} change(s)).",
                    event.type_name(), ns.full(), changes);
            } else if (ns.coll.empty() && filter_.database_selected(ns.db)) {
                reconcile_database(source, destination, ns.db, std::nullopt);
            }
    }
}

void CatalogSync::apply_rename(mongoc_client_t* source, mongoc_client_t* destination,
                               const ChangeEvent& event) {
    const Namespace& from = event.ns();
    const Namespace to = event.to().value_or(Namespace{});
    const bool from_applies = applies(from, event.cluster_time());
    const bool to_applies = applies(to, event.cluster_time());
    if (from_applies && to_applies) {
        if (!rename_on_destination(destination, from, to)) {
            // The destination never held what the source renamed: a rename into the synced
            // namespaces, replayed after the source renamed it on (or a 4.4 collection created
            // without an event). Its documents are under `to` now, or under a later name whose
            // rename, replayed next, finds nothing here either and copies it there.
            copy_target_of_rename(from, to, event.cluster_time());
            return;
        }
        // A rename keeps the incarnation (6.0+ events name it; 4.4: the one `from` named).
        const std::string uuid = event.collection_uuid().empty()
                                     ? checkpoint_.incarnation_of(from.full())
                                     : event.collection_uuid();
        checkpoint_.stage_incarnation(to.full(), uuid);
        forget_incarnation(from);
        // Index and option changes replayed before the rename were reconciled under the old
        // name, which the source no longer shows when they are replayed late (a restart,
        // catch-up): they could not be applied there, and the rename carried the destination's
        // older catalog entry to the new name. The new name is reconciled now.
        const size_t changes = reconcile_namespace(source, destination, to);
        spdlog::info("Renamed collection '{}' to '{}' on secondary database ({} change(s)).",
                     from.full(), to.full(), changes);
    } else if (from_applies) {
        // The target is not synced, or its copy was made after the rename and already holds
        // what was renamed: only the source name goes away.
        mongo::Collection(destination, from.db, from.coll).drop();
        forget_incarnation(from);
        spdlog::info("Collection '{}' renamed to '{}': dropped '{}' on secondary database.",
                     from.full(), to.full(), from.full());
    } else if (filter_.matches(to.db, to.coll) && !filter_.matches(from.db, from.coll)) {
        spdlog::info("Collection '{}' was renamed into the synced namespaces as '{}': copying it.",
                     from.full(), to.full());
        copy_renamed_in(to, event.cluster_time());
    } else if (to_applies) {
        // The source name's copy was listed after the rename (or found the name already gone):
        // what was renamed is not on the destination, and the target's former content is gone
        // from the source.
        copy_target_of_rename(from, to, event.cluster_time());
    }
}

void CatalogSync::copy_target_of_rename(const Namespace& from, const Namespace& to,
                                        bson::Timestamp renamed_at) {
    spdlog::info(
        "Collection '{}' was renamed to '{}', but secondary database does not hold what was "
        "renamed: copying '{}'.",
        from.full(), to.full(), to.full());
    copy_renamed_in(to, renamed_at);
}

bool CatalogSync::rename_on_destination(mongoc_client_t* destination, const Namespace& from,
                                        const Namespace& to) {
    bson::Document command;
    BSON_APPEND_UTF8(command.get(), "renameCollection", from.full().c_str());
    BSON_APPEND_UTF8(command.get(), "to", to.full().c_str());
    // The source's rename succeeded, so whatever the destination holds under the target name is
    // stale (dropTarget on the source, or a leftover).
    BSON_APPEND_BOOL(command.get(), "dropTarget", true);
    try {
        mongo::run_command(destination, "admin", command.view());
        return true;
    } catch (const mongo::Error& error) {
        if (error.code() != mongo::codes::kNamespaceNotFound) throw;
        return false;
    }
}

void CatalogSync::copy_renamed_in(const Namespace& to, bson::Timestamp renamed_at) {
    if (!copy_renamed_in_) {
        spdlog::warn(
            "The documents of collection '{}' were never copied: run sync with --reset-state "
            "--existing drop to copy them.",
            to.full());
        return;
    }
    // A barrier like any DDL: what was applied before it is in place; the copy is listed after
    // the rename, so the events on the new name up to the copy's listing are skipped.
    if (!copy_renamed_in_(to.db, to.coll, renamed_at)) {
        throw StoppedDuringCatalogEvent("stopped while copying '" + to.full() + "'");
    }
}

bool CatalogSync::applies(const Namespace& ns, bson::Timestamp time) const {
    return filter_.matches(ns.db, ns.coll) && !checkpoint_.copied_after(ns.full(), time);
}

void CatalogSync::forget_incarnation(const Namespace& ns) {
    checkpoint_.stage_incarnation(ns.full(), "");
}

void CatalogSync::drop_database(mongoc_client_t* destination, const std::string& db,
                                bson::Timestamp time) {
    // Only the synced collections (the destination database may hold collections of its own)
    // copied before the drop.
    for (const auto& entry : mongo::list_collections(destination, db)) {
        std::string name = mongo::get_string(entry.view(), "name").value_or("");
        if (!applies(Namespace{db, name}, time)) continue;
        mongo::Collection(destination, db, name).drop();
        forget_incarnation(Namespace{db, name});
    }
    spdlog::info("Dropped database '{}' on secondary database.", db);
}

size_t CatalogSync::reconcile_namespace(mongoc_client_t* source, mongoc_client_t* destination,
                                        const Namespace& ns) const {
    return reconcile_database(source, destination, ns.db, std::vector<std::string>{ns.coll});
}

size_t CatalogSync::reconcile_database(mongoc_client_t* source, mongoc_client_t* destination,
                                       const std::string& db,
                                       const std::optional<std::vector<std::string>>& names) const {
    catalog::CatalogDiff changes = catalog::diff_database(source, destination, filter_, db, names);
    catalog::apply(destination, changes);
    return changes.size();
}

size_t CatalogSync::reconcile_touched(mongoc_client_t* source, mongoc_client_t* destination,
                                      const ChangeEvent& event) const {
    const Namespace& ns = event.ns();
    if (ns.db.empty()) return 0;
    if (ns.coll.empty()) return reconcile_database(source, destination, ns.db, std::nullopt);
    size_t changes = reconcile_namespace(source, destination, ns);
    if (auto to = event.to()) changes += reconcile_namespace(source, destination, *to);
    return changes;
}

size_t CatalogSync::reconcile(mongoc_client_t* source, mongoc_client_t* destination) const {
    catalog::CatalogDiff changes = catalog::diff(source, destination, filter_);
    const size_t count = changes.size();
    if (count > 0) {
        spdlog::info("Catalog of the source changed: applying {} change(s) to secondary database.",
                     count);
        catalog::apply(destination, changes);
    }
    return count;
}

}  // namespace tributary::replicate
