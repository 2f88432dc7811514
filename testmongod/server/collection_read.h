// Reading collections: candidate selection through the _id index, view resolution, and the
// find/count query path (filter, sort, skip, limit, projection, hint, min/max).
#pragma once

#include <optional>
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
// _id order, *in_id_order set); any other filter scans in natural order. Candidates still need
// the filter applied.
std::vector<const Record*> candidate_records(const Collection& coll, const Document& filter,
                                             bool* in_id_order = nullptr);

// A view resolved to the collection it reads and the concatenated view pipelines.
struct ResolvedView {
    std::string coll;  // the backing collection's name (may not exist)
    Array pipeline;
};
ResolvedView resolve_view(Catalog& catalog, const std::string& db, const std::string& coll);

// Every document of a collection or view (views run their pipeline), for aggregate inputs.
std::vector<Document> read_documents(Catalog& catalog, const std::string& db,
                                     const std::string& coll);
// A CollectionReader ($lookup, $unionWith) over the database; the caller holds the catalog lock.
CollectionReader reader_for(Catalog& catalog, const std::string& db);

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
    const Variables* let = nullptr;            // the command's let variables, for $expr
    std::shared_ptr<const Collator> collator;  // the command's collation; nullptr: simple
};

// Runs a find over a collection or view. Documents returned unchanged are shared, not copied.
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
