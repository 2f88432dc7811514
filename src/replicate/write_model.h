// Translation of change events into idempotent destination writes: replaying an event that the
// copy already reflects must converge to the source's state, never fail or duplicate.
#pragma once

#include <bson/bson.h>

#include <vector>

#include "bson/document.h"
#include "replicate/change_event.h"

namespace tributary::replicate {

enum class WriteKind { kInsert, kReplace, kUpdate, kDelete };

// One write against one document of the destination, filtered by _id.
struct WriteOp {
    WriteKind kind = WriteKind::kReplace;
    bson::Document filter;  // {_id: <value>}
    // the document (kInsert), replacement (kReplace) or update operators (kUpdate); empty for
    // kDelete
    bson::Document body;
    bool upsert = false;
};

struct Translation {
    std::vector<WriteOp> ops;  // applied in this order
    // The update description cannot be applied faithfully (see is_ambiguous) and the event carries
    // no full document: the caller must look up the current document on the source and replace with
    // it (replace_with_document).
    bool needs_current_document = false;
};

// insert -> insert (the applier replaces with upsert when the _id exists); update -> $set/$unset
// (truncations first), no upsert; replace -> replace with upsert; delete -> deleteOne by _id
// (absent is fine). Must only be called for data events (ChangeEvent::is_data_event()).
Translation translate(const ChangeEvent& event);

// Replace-with-upsert by _id of `document` (a source document read by the caller).
WriteOp replace_with_document(const bson_t* document);
// Insert of `document`; applied as replace_with_document when its _id exists already.
WriteOp insert_of(const bson_t* document);
// deleteOne by the _id of `document` (a document or an {_id: ...} filter).
WriteOp delete_by_id(const bson_t* document);

// True when applying updatedFields/removedFields as $set/$unset could write a different document
// than the source's: a path component starting with '$' or empty, a field name inside a value
// that contains '.' or starts with '$', or a path listed in disambiguatedPaths whose components
// include an array index or a field name with '.' or '$'.
bool is_ambiguous(const UpdateDescription& update);

}  // namespace tributary::replicate
