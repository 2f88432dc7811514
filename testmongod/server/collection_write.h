// The write path shared by insert/update/delete/findAndModify and $out/$merge: document checks
// (size, _id, validator), storage changes, and the matching oplog entries, all done while the
// caller holds the catalog's unique lock.
#pragma once

#include <optional>

#include "engine/matcher.h"
#include "server/catalog.h"

namespace tmd {

class DeltaLog;

constexpr size_t kMaxUserDocumentBytes = 16 * 1024 * 1024;  // BSONObjMaxUserSize

// A document ready to store: its bytes (with _id first) and _id.
struct PreparedDoc {
    StoredDoc bytes;
    Value id;
    std::optional<Document> parsed;  // set when preparing needed to parse it
};

// Checks and normalises a document for insert as mongod does: size limit, _id generated (an
// ObjectId) when absent and moved first, storage rules. Stored bytes are shared, not re-encoded,
// when the document already has _id first and needs no change.
PreparedDoc prepare_insert(const bson_t& doc);
PreparedDoc prepare_insert(Document doc);

// A collection's validator as create/collMod set it.
class Validator {
  public:
    Validator(const Collection& coll, bool bypass);
    // Throws DocumentValidationFailure (121) with errInfo when validation rejects `doc`.
    // `previous`: the document an update replaces (moderate level skips invalid originals).
    void check(const Document& doc, const Value& id, const Document* previous = nullptr) const;
    bool active() const { return matcher_.has_value(); }

  private:
    std::optional<Matcher> matcher_;
    bool warn_ = false;
    bool moderate_ = false;
};

// Stores a prepared document and appends the Insert oplog entry. Returns the entry's time.
ClusterTime insert_document(Catalog& catalog, Collection& coll, PreparedDoc doc,
                            const Validator& validator);
// Replaces a stored document (update or replacement) and appends its Update/Replace entry.
// `log`: an operator update's $v:2 delta; without one the delta is computed from the two images
// as mongod does for pipeline updates, and a delta not smaller than the document makes the entry
// a Replace. Throws ImmutableField (66) when _id changed, 10334 when it grew past 16 MiB.
ClusterTime update_document(Catalog& catalog, Collection& coll, RecordId rid, Document updated,
                            bool replacement, const Validator& validator,
                            const DeltaLog* log = nullptr);
// Stores already checked new bytes for a record and appends its Update/Replace entry (the last
// step of update_document). `parsed`: the new document when the caller has it parsed (see
// Collection::replace). Throws DuplicateKey (11000) for a secondary unique index, unchanged.
ClusterTime store_update(Catalog& catalog, Collection& coll, RecordId rid, StoredDoc bytes,
                         const Document* parsed, bool replacement, const DeltaLog* log = nullptr);
// Removes a document and appends its Delete entry.
ClusterTime delete_document(Catalog& catalog, Collection& coll, RecordId rid);

// Puts _id first (generating an ObjectId when absent), as mongod stores documents.
void ensure_id_first(Document& doc);

}  // namespace tmd
