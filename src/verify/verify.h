// Compares the destination with the source, namespace by namespace: the collection set in both
// directions, collection options, index specifications, and the documents by _id range. A range
// is compared by a hash of its documents' exact BSON bytes in _id order on both sides; a range
// whose hashes differ is read again as (_id, document hash) pairs to name the _ids that are
// missing, extra or changed (with the first differing field path). Memory is bounded by one
// range per worker, never by the collection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bson/document.h"
#include "catalog/namespace_filter.h"
#include "mongo/client.h"

namespace tributary::verify {

struct Options {
    int workers = 4;                // ranges compared in parallel (each reads both sides at once)
    int64_t range_docs = 10000;     // documents per range: bounds the memory of a drill-down
    size_t max_differences = 1000;  // differences kept in the report (all are counted)
    // Online mode: document differences (the kept ones) are read again on both sides until
    // they settle or this passes; 0: reported as first seen.
    std::chrono::seconds settle_timeout{0};
    // The source cluster time up to which a running sync has applied the changes (its
    // checkpoint), when readable: a difference whose source document did not change since a
    // read the replicator has passed is persistent at once; without it, rechecks poll until
    // the timeout.
    std::function<std::optional<bson::Timestamp>()> applied_time;
};

// One difference. `kind` is one of: missing-collection, extra-collection, different-options,
// missing-index, extra-index, different-index, missing-document, extra-document,
// changed-document.
struct Difference {
    std::string ns;
    std::string kind;
    bson::Document id;   // {_id: value} for the document kinds, empty otherwise
    std::string detail;  // first differing field path, index name, or the option changes
};

struct CollectionReport {
    std::string ns;
    uint64_t source_count = 0;
    uint64_t destination_count = 0;
    uint64_t differences = 0;
    bool equal() const { return differences == 0; }
};

struct Report {
    std::vector<CollectionReport> collections;
    std::vector<Difference> differences;  // the first Options::max_differences, in _id order
    uint64_t total_differences = 0;
    bool equal() const { return total_differences == 0; }
    // A fixed-width table, one row per namespace followed by its first differences, and a
    // final verdict line.
    std::string table() const;
    // One line of relaxed extended JSON: {equal, totalDifferences, truncated, collections,
    // differences: [{ns, kind, _id, detail}]}.
    std::string json() const;
};

// The path ("a.b.0") of the first field where two documents differ, in field order: a field
// renamed, moved, retyped or changed in value; "" when they are byte-equal.
std::string first_difference(const bson_t* a, const bson_t* b);

Report compare(mongo::ClientPool& source, mongo::ClientPool& destination,
               const catalog::NamespaceFilter& filter, const Options& options = {});

}  // namespace tributary::verify
