// Indexes that would fail or delete documents while a sync runs. During the copy and catch-up
// the destination holds a mix of older and newer document states, so a unique index can see
// transient duplicates, and a TTL index would delete documents the source still holds (whose
// refreshing writes come later). tributary therefore creates every index without `unique`,
// `prepareUnique` and `expireAfterSeconds` (as mongosync and Percona ClusterSync do, see
// percona-clustersync-mongodb pcsm/catalog), makes them unique once replication has caught up,
// and restores TTL at cutover (`tributary finalize`).
#pragma once

#include <mongoc/mongoc.h>

#include <string>
#include <vector>

#include "bson/document.h"
#include "catalog/namespace_filter.h"
#include "mongo/error.h"

namespace tributary::catalog {

// `spec` without the options a sync leaves out: unique, prepareUnique, expireAfterSeconds.
bson::Document neutralized_spec(const bson_t* spec);
// The source's `spec` without the neutralized options `destination` lacks: what the destination
// must equal for the index to count as in line with the source during a sync.
bson::Document expected_during_sync(const bson_t* source, const bson_t* destination);

// A destination index that lacks options of the source's index of the same name.
struct NeutralizedIndex {
    std::string db;
    std::string coll;
    bson::Document source_spec;
    bool uniqueness = false;  // the source's is unique or prepareUnique, the destination's not
    bool ttl = false;         // the source's has expireAfterSeconds, the destination's not
    std::string name() const;
    std::string ns() const { return db + "." + coll; }
};

// Every such index of the selected namespaces (listIndexes on both sides).
std::vector<NeutralizedIndex> find_neutralized(mongoc_client_t* source,
                                               mongoc_client_t* destination,
                                               const NamespaceFilter& filter);

// The errors of an index that cannot become unique: DuplicateKey (createIndexes, collMod on
// some versions) or CannotConvertIndexToUnique (collMod unique on 6.0+).
bool is_duplicate_key_error(const mongo::Error& error);

// Gives the destination's index the source's uniqueness, and with `with_ttl` its
// expireAfterSeconds: collMod where the destination supports it (prepareUnique then unique on
// 6.0+, expireAfterSeconds on 5.1+), else a rebuild (drop, create as the source has it). Throws
// mongo::Error with kDuplicateKey or kCannotConvertIndexToUnique when the documents hold
// duplicate keys; the index is then left in place, non-unique.
void restore(mongoc_client_t* destination, int32_t destination_wire_version,
             const NeutralizedIndex& index, bool with_ttl);

}  // namespace tributary::catalog
