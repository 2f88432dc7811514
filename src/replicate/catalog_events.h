// Catalog changes during replication: DDL events (drop, rename, dropDatabase, create,
// createIndexes, dropIndexes, modify) applied as barriers, and the source/destination catalog
// comparison that stands in for the DDL events old sources (4.4) do not emit.
#pragma once

#include <mongoc/mongoc.h>

#include <optional>
#include <string>
#include <vector>

#include "catalog/namespace_filter.h"
#include "checkpoint/checkpoint.h"
#include "replicate/change_event.h"

namespace tributary::replicate {

class CatalogSync {
  public:
    // `checkpoint` says which destination namespaces hold copies newer than an event.
    CatalogSync(const catalog::NamespaceFilter& filter, const checkpoint::Checkpoint& checkpoint)
        : filter_(filter), checkpoint_(checkpoint) {}

    // Applies one catalog event to the destination. All writes before it must already be
    // applied (the caller drains its batch first). Events on unselected namespaces are ignored,
    // and so is every part of a drop or rename naming a namespace whose copy was listed after
    // the event (the copy is of a later incarnation, or already reflects the event).
    void apply_event(mongoc_client_t* source, mongoc_client_t* destination,
                     const ChangeEvent& event) const;

    // Brings collections, options and indexes of every selected namespace in line with the
    // source (listCollections/listIndexes on both sides); returns the number of changes made.
    size_t reconcile(mongoc_client_t* source, mongoc_client_t* destination) const;
    // The same for the namespaces `event` names alone (its database when it names no
    // collection): for sources without DDL events, the index and option changes made before a
    // drop, rename or dropDatabase, at the cost of what the event touches.
    size_t reconcile_touched(mongoc_client_t* source, mongoc_client_t* destination,
                             const ChangeEvent& event) const;

  private:
    void apply_rename(mongoc_client_t* destination, const ChangeEvent& event) const;
    void drop_database(mongoc_client_t* destination, const std::string& db,
                       bson::Timestamp time) const;
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
    const checkpoint::Checkpoint& checkpoint_;
};

}  // namespace tributary::replicate
