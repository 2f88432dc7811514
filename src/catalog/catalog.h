// Collections, views and indexes of a deployment: enumerate them on the source, create them on
// the destination with their options, and compare the two sides (for sources without DDL events).
#pragma once

#include <mongoc/mongoc.h>

#include <optional>
#include <string>
#include <vector>

#include "bson/document.h"
#include "catalog/namespace_filter.h"

namespace tributary::catalog {

// One listCollections entry with its indexes.
struct CollectionInfo {
    std::string db;
    std::string name;
    std::string type;        // "collection", "view" or "timeseries"
    bson::Document options;  // listCollections "options" (capped, validator, viewOn, ...)
    std::vector<bson::Document> indexes;  // listIndexes specs (empty for views)
    std::string uuid;  // listCollections info.uuid, 16 bytes: the incarnation (empty for views)

    std::string ns() const { return db + "." + name; }
    bool is_view() const { return type == "view"; }
    bool is_capped() const;
};

// Whether a listing reads each collection's indexes (one listIndexes per collection) or leaves
// CollectionInfo::indexes empty for the caller to read when it needs them (list_indexes).
enum class IndexListing { kWithIndexes, kWithoutIndexes };

// Databases of the source the filter selects, sorted.
std::vector<std::string> list_databases(mongoc_client_t* client, const NamespaceFilter& filter);
// Collections and views of `db` the filter selects, each with its indexes (unless
// kWithoutIndexes: then a collection dropped right after listCollections may be listed); views
// last, so a copy creates collections before the views defined on them.
// With `names`, only those collections: listCollections filtered by name, so the cost is that
// of the names asked for, not of the database.
std::vector<CollectionInfo> list_collections(
    mongoc_client_t* client, const std::string& db, const NamespaceFilter& filter,
    const std::optional<std::vector<std::string>>& names = std::nullopt,
    IndexListing listing = IndexListing::kWithIndexes);
// Every selected collection of every selected database.
std::vector<CollectionInfo> list_all(mongoc_client_t* client, const NamespaceFilter& filter,
                                     IndexListing listing = IndexListing::kWithIndexes);

// The uuid of collection `db.name` (CollectionInfo::uuid), empty when it does not exist.
std::string collection_uuid(mongoc_client_t* client, const std::string& db,
                            const std::string& name);

// create {name, ...options}; an existing namespace is left as it is.
void create_collection(mongoc_client_t* client, const CollectionInfo& info);
// How create_indexes builds a spec: as a sync needs it, without the options that fail or delete
// documents (catalog/neutralized_indexes.h), or exactly as the source has it.
enum class IndexForm { kNeutralized, kAsSource };
// createIndexes for every index but _id_ and a clustered one (specs stripped of "ns"); existing
// ones are skipped by the server when identical.
void create_indexes(mongoc_client_t* client, const std::string& db, const std::string& coll,
                    const std::vector<bson::Document>& indexes,
                    IndexForm form = IndexForm::kNeutralized);
// dropIndexes by name; an index already gone is not an error.
void drop_index(mongoc_client_t* client, const std::string& db, const std::string& coll,
                const std::string& name);
// collMod with the given options document ({validator: ..., validationLevel: ...}, ...).
void coll_mod(mongoc_client_t* client, const std::string& db, const std::string& coll,
              const bson_t* options);

// Differences that make the destination's catalog unlike the source's, for selected namespaces.
// An index the destination holds neutralized (without options the source's has, see
// catalog/neutralized_indexes.h) is in line with the source.
struct CatalogDiff {
    std::vector<CollectionInfo> missing_collections;  // created with options and indexes
    struct IndexChange {
        std::string db;
        std::string coll;
        bson::Document spec;  // to create; for drops only "name" matters
    };
    std::vector<IndexChange> missing_indexes;
    std::vector<IndexChange> extra_indexes;
    struct OptionChange {
        std::string db;
        std::string coll;
        bson::Document coll_mod;  // the collMod fields that bring the destination in line
    };
    std::vector<OptionChange> changed_options;
    bool empty() const;
    // Collections to create, indexes to create or drop, and option changes, together.
    size_t size() const {
        return missing_collections.size() + missing_indexes.size() + extra_indexes.size() +
               changed_options.size();
    }
};

CatalogDiff diff(mongoc_client_t* source, mongoc_client_t* destination,
                 const NamespaceFilter& filter);
// The same for database `db` alone, and with `names` for those of its collections alone (both
// sides listed by name): what one catalog event touches.
CatalogDiff diff_database(mongoc_client_t* source, mongoc_client_t* destination,
                          const NamespaceFilter& filter, const std::string& db,
                          const std::optional<std::vector<std::string>>& names = std::nullopt);
// Applies a diff to the destination (create, createIndexes, dropIndexes, collMod).
void apply(mongoc_client_t* destination, const CatalogDiff& changes);

}  // namespace tributary::catalog
