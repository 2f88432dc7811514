// Compares the destination with the source, namespace by namespace: document count, an
// order-independent digest of every document's exact BSON bytes, indexes and collection options.
#pragma once

#include <mongoc/mongoc.h>

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/namespace_filter.h"

namespace tributary::verify {

// Order-independent digest of a set of documents: per-document SHA-256 words summed modulo 2^64,
// so equal digests mean (up to hash collisions) the same multiset of byte-identical documents.
struct Digest {
    uint64_t count = 0;
    uint64_t sum_a = 0;
    uint64_t sum_b = 0;
    void add(const bson_t* doc);
    bool operator==(const Digest&) const = default;
};

struct CollectionReport {
    std::string ns;
    bool missing = false;  // absent on the destination
    uint64_t source_count = 0;
    uint64_t destination_count = 0;
    bool documents_equal = true;
    bool indexes_equal = true;
    bool options_equal = true;
    bool equal() const { return !missing && documents_equal && indexes_equal && options_equal; }
};

struct Report {
    std::vector<CollectionReport> collections;
    bool equal() const;
    // A fixed-width summary table, one row per namespace and a final verdict line.
    std::string table() const;
};

Digest digest_collection(mongoc_client_t* client, const std::string& db, const std::string& coll);
Report compare(mongoc_client_t* source, mongoc_client_t* destination,
               const catalog::NamespaceFilter& filter);

}  // namespace tributary::verify
