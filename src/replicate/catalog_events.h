// Catalog changes during replication: DDL events (drop, rename, dropDatabase, create,
// createIndexes, dropIndexes, modify) applied as barriers, and the source/destination catalog
// comparison that stands in for the DDL events old sources (4.4) do not emit.
#pragma once

#include <mongoc/mongoc.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog/namespace_filter.h"
#include "checkpoint/checkpoint.h"
#include "replicate/change_event.h"

namespace tributary::replicate {

// Copies the source's `db.coll`, renamed at `renamed_at` into the synced namespaces from outside
// them (tributary-core's copy::InitialCopy::copy_renamed_in); false when stopped first.
using RenamedInCopy =
    std::function<bool(const std::string& db, const std::string& coll, bson::Timestamp renamed_at)>;

// A catalog event could not be applied because the run was asked to stop (its token is not saved:
// the next run applies it again).
class StoppedDuringCatalogEvent : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class CatalogSync {
  public:
    // `checkpoint` says which destination namespaces hold copies newer than an event, and
    // learns which source incarnation each namespace names after the events applied. Without
    // `copy_renamed_in`, a rename into the synced namespaces is only logged.
    CatalogSync(const catalog::NamespaceFilter& filter, checkpoint::Checkpoint& checkpoint,
                RenamedInCopy copy_renamed_in = {})
        : filter_(filter), checkpoint_(checkpoint), copy_renamed_in_(std::move(copy_renamed_in)) {}

    // Applies one catalog event to the destination. All writes before it must already be
    // applied (the caller drains its batch first). Events on unselected namespaces are ignored,
    // and so is every part of a drop or rename naming a namespace whose copy was listed after
    // the event (the copy is of a later incarnation, or already reflects the event). The
    // incarnations the event moves or ends are staged in the checkpoint
    // (Checkpoint::stage_incarnation), to be saved with the event's resume token.
    void apply_event(mongoc_client_t* source, mongoc_client_t* destination,
                     const ChangeEvent& event);

    // Brings collections, options and indexes of every selected namespace in line with the
    // source (listCollections/listIndexes on both sides); returns the number of changes made.
    size_t reconcile(mongoc_client_t* source, mongoc_client_t* destination) const;
    // The same for the namespaces `event` names alone (its database when it names no
    // collection): for sources without DDL events, the index and option changes made before a
    // drop, rename or dropDatabase, at the cost of what the event touches.
    size_t reconcile_touched(mongoc_client_t* source, mongoc_client_t* destination,
                             const ChangeEvent& event) const;

  private:
    void apply_rename(mongoc_client_t* source, mongoc_client_t* destination,
                      const ChangeEvent& event);
    // renameCollection from -> to (dropTarget) on the destination; false when it lacks `from`.
    static bool rename_on_destination(mongoc_client_t* destination, const Namespace& from,
                                      const Namespace& to);
    void drop_database(mongoc_client_t* destination, const std::string& db, bson::Timestamp time);
    // `to` is copied as the source has it now: the destination cannot make it from what it holds
    // (a rename from outside the synced namespaces, or of a name whose copy is newer than the
    // rename or that the destination never held).
    void copy_renamed_in(const Namespace& to, bson::Timestamp renamed_at);
    void copy_target_of_rename(const Namespace& from, const Namespace& to,
                               bson::Timestamp renamed_at);
    // `ns` no longer names the incarnation it did (dropped, renamed away).
    void forget_incarnation(const Namespace& ns);
    // Reconciles one namespace from the source's current catalog (create, indexes, collMod);
    // returns the number of changes made.
    size_t reconcile_namespace(mongoc_client_t* source, mongoc_client_t* destination,
                               const Namespace& ns) const;
    // Reconciles database `db`, or its collections `names` alone (listed by name).
    size_t reconcile_database(mongoc_client_t* source, mongoc_client_t* destination,
                              const std::string& db,
                              const std::optional<std::vector<std::string>>& names) const;

    // `ns` is synced and its destination copy is older than `time` (the event may touch it).
    bool applies(const Namespace& ns, bson::Timestamp time) const;

    const catalog::NamespaceFilter& filter_;
    checkpoint::Checkpoint& checkpoint_;
    RenamedInCopy copy_renamed_in_;
};

}  // namespace tributary::replicate
