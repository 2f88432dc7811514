// Source reads of replication (the current document of an ambiguous update, conflict and
// stale-state resolution) by collection incarnation (listCollections info.uuid), not by name:
// an event replayed after its collection was renamed reads that collection under its new name,
// and never another collection that took the old name since.
#pragma once

#include <mongoc/mongoc.h>

#include <optional>
#include <string>

#include "bson/document.h"
#include "checkpoint/checkpoint.h"
#include "replicate/change_event.h"

namespace tributary::replicate {

struct SourceDocument {
    std::optional<bson::Document> document;  // nullopt: not on the source (deleted, or below)
    // The incarnation is no longer on the source (dropped, renamed to another database, which
    // makes a new one) or unknown: the document's fate is its drop or rename still to be
    // replayed; no other collection's document stands in for it.
    bool collection_gone = false;
};

class SourceLookup {
  public:
    // The incarnation a namespace names comes from `checkpoint` (Checkpoint::incarnation_of).
    explicit SourceLookup(checkpoint::Checkpoint& checkpoint) : checkpoint_(checkpoint) {}

    // The document `id_filter` ({_id: ...}) of the collection that `ns` names after the events
    // read so far, read under the name that collection has on the source now.
    SourceDocument find(mongoc_client_t* source, const Namespace& ns, const bson_t* id_filter);

  private:
    // The incarnation `ns` names; when unknown (a 4.4 source reports none: a collection created
    // since the copy without an event naming its uuid), the one under that name now, staged.
    std::string incarnation(mongoc_client_t* source, const Namespace& ns);

    checkpoint::Checkpoint& checkpoint_;
};

}  // namespace tributary::replicate
