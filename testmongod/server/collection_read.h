// Reading collections: candidate selection through the _id index, view resolution, $sample's
// random cursor, and the find/count query path (filter, sort, skip, limit, projection, hint,
// min/max), reading under the catalog lock only what it copies.
#pragma once

#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "engine/collation.h"
#include "engine/expression.h"
#include "engine/matcher.h"
#include "engine/pipeline.h"
#include "server/catalog.h"

namespace tmd {

// The records a filter can match, in the order a scan returns them. A filter whose _id is an
// equality, an $in, or a range ($gt/$gte/$lt/$lte) reads only that part of the _id index (in
// _id order); any other filter scans in natural order. Candidates still need the filter applied.
std::vector<const Record*> candidate_records(const Collection& coll, const Document& filter);

// A view resolved to the collection it reads and the concatenated view pipelines.
struct ResolvedView {
    std::string coll;  // the backing collection's name (may not exist)
    Array pipeline;
};
ResolvedView resolve_view(Catalog& catalog, const std::string& db, const std::string& coll);

// Locking (catalog.h, "Locking"). Reads that may return many documents hold the catalog's and
// their collection's shared locks only while they copy the stored bytes they need (shared immutable
// BSON: a write replaces a record's bytes and never changes them in place), then parse, filter,
// sort and project without it, so a long read does not hold up writers. MongoDB's readers do not
// block writers either (manual, "FAQ: Concurrency": WiredTiger's document-level concurrency; reads
// see a snapshot).

// Long copies also release the shared locks between chunks of records, as mongod's plans yield
// (collection_read.cpp); a collection dropped or renamed meanwhile fails the read with
// QueryPlanKilled (175).

// A collection's or view's documents as copied under the lock: the base collection's stored
// bytes in natural order and the view pipelines still to run over them.
struct StoredView {
    std::vector<StoredDoc> docs;
    Array pipeline;
};
// The caller holds the catalog lock: `lock` when it is a shared lock the copy may yield (the copy
// then takes the collection's shared lock), else nullptr (the exclusive lock).
StoredView stored_view(Catalog& catalog, const std::string& db, const std::string& coll,
                       SharedLock* lock);
// Parses the documents and runs the view pipelines; `reader` serves their $lookup/$unionWith.
std::vector<Document> run_stored_view(StoredView view, const CollectionReader& reader);

// Every document of a collection or view (views run their pipeline), for aggregate inputs, and
// a CollectionReader ($lookup, $unionWith) over the database: both for a caller that holds the
// catalog lock (a write stage, which keeps the unique lock throughout).
std::vector<Document> read_documents(Catalog& catalog, const std::string& db,
                                     const std::string& coll);
CollectionReader reader_for(Catalog& catalog, const std::string& db);
// A CollectionReader for a caller that does not hold the lock: it takes the shared lock only to
// copy the stored documents.
CollectionReader snapshot_reader_for(Catalog& catalog, const std::string& db);

// $sample's pseudo-random cursor (manual, "$sample (aggregation)", "Behavior": used when $sample
// is the first stage, N is less than 5% of the documents and the collection has more than 100):
// `size` distinct documents chosen uniformly at random without reading the others, or nothing
// when those conditions do not hold (the caller then samples from a full scan). The caller
// holds the catalog lock and, unless that is exclusive, the collection's shared lock.
std::optional<std::vector<StoredDoc>> random_cursor_sample(const Collection& coll, int64_t size);

// The collation an operation runs under: its own `collation` document, else the collection's
// default collation, else nullptr (simple). Manual, "Collation": an operation that specifies no
// collation uses the collection's default.
std::shared_ptr<const Collator> collation_of(const Document& spec, const std::string& where,
                                             const Collection* coll);

// The command's `let` variables (Variables::from_let), or nothing when it has none.
std::optional<Variables> let_of(const Document& body, const std::string& command);

// Throws BadValue (2) when a hint (index name, key pattern or {$natural}) names no index.
void check_hint(const Collection* coll, const Value& hint);

struct FindQuery {
    Document filter;
    std::optional<Document> sort;
    std::optional<Document> projection;
    std::optional<Value> hint;
    std::optional<Document> min;
    std::optional<Document> max;
    int64_t skip = 0;
    int64_t limit = 0;                         // 0: no limit
    bool return_key = false;                   // returnKey: each result's key in the plan's index
    const Variables* let = nullptr;            // the command's let variables, for $expr
    std::shared_ptr<const Collator> collator;  // the command's collation; nullptr: simple
};

// Runs a find over a collection or view. Documents returned unchanged are shared, not copied.
// Takes the shared lock itself (the caller must not hold it), only while copying candidates.
// A sort on _id alone ({_id: 1} or {_id: -1}) walks the _id index in that direction, as
// MongoDB's IXSCAN does, and with a filter on _id alone stops once skip + limit documents
// matched, so `find().sort({_id: 1}).limit(1)` reads one document.
std::vector<StoredDoc> run_find(Catalog& catalog, const std::string& db, const std::string& coll,
                                const FindQuery& query);

// Records matching a filter, sorted when sort is given, at most `limit` (0: all). For writes.
// `collator` is the collation the matcher was built with (it orders the sort too).
std::vector<RecordId> matching_records(const Collection& coll, const Document& filter,
                                       const Matcher& matcher, const std::optional<Document>& sort,
                                       size_t limit,
                                       const std::shared_ptr<const Collator>& collator = nullptr);

// A record a write matched, with the document parsed for matching (so an update need not parse
// it again).
struct MatchedRecord {
    RecordId rid;
    Document doc;
};
// matching_records with the parsed documents.
std::vector<MatchedRecord> matching_documents(
    const Collection& coll, const Document& filter, const Matcher& matcher,
    const std::optional<Document>& sort, size_t limit,
    const std::shared_ptr<const Collator>& collator = nullptr);

}  // namespace tmd
