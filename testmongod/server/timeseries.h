// Time-series collections (5.0+; manual, "Time Series Collections", "create" command
// `timeseries`, "Set up Automatic Removal for Time Series Collections (TTL)"), as mongod 7.0
// builds them: a clustered `system.buckets.<coll>` collection of buckets
// (engine/timeseries_bucket.h) and a view `<coll>` over it whose pipeline is
// $_internalUnpackBucket. listCollections shows the view as type "timeseries" with the buckets'
// options; inserts into the view go into buckets; reads through the view return measurements;
// drop drops both; the TTL monitor removes buckets whose measurements all expired.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/matcher.h"
#include "engine/timeseries_bucket.h"
#include "server/catalog.h"
#include "server/command.h"

namespace tmd {

class Validator;

// create with `timeseries` (the caller checked the command's fields): validates the options as
// mongod does, then creates the buckets collection, its default index (7.0, with a metaField)
// and the view, each with its oplog entry. Throws NamespaceExists (48) and the option errors.
void create_timeseries(const CommandRequest& request, Catalog& catalog, const std::string& name);

// The buckets collection behind a time-series view `coll` of db, or nullptr when `coll` is not
// one (caller holds the catalog lock).
Collection* buckets_of(Catalog& catalog, const Collection& coll);
// The bucket layout of a buckets collection (its `timeseries` option), or nullopt.
std::optional<BucketSpec> bucket_spec_of(const Collection& buckets);

// listCollections' entry for a time-series view: {name, type: "timeseries", options (the
// buckets collection's timeseries, expireAfterSeconds, collation, storageEngine,
// indexOptionDefaults), info: {readOnly: false}}; nullopt for other collections.
std::optional<Document> timeseries_list_entry(Catalog& catalog, const Collection& coll);

// listIndexes of a time-series view: the buckets collection's indexes in the measurements' terms
// (mongod's createTimeseriesIndexFromBucketsIndex): `meta[.x]` as the metaField, a
// control.min.<f>/control.max.<f> pair as <f>: 1 (max first: -1); the clustered _id and indexes
// that do not translate are left out.
std::vector<Document> timeseries_index_specs(const Collection& buckets, const BucketSpec& spec);

// Stores one measurement into the buckets collection: into the newest bucket with its meta
// value whose time range, count (1000) and size (125 kB) admit it, else a new bucket. Throws
// BadValue (2) when the time field is missing or not a date.
void insert_measurement(Catalog& catalog, Collection& buckets, const BucketSpec& spec,
                        const Document& measurement, const Validator& validator);

// The buckets collection a delete on `target` removes measurements from: a time-series view on
// the 7.0 profile (manual, "Time Series Collection Limitations", Deletes: 7.0 deletes take any
// filter and limit; 5.1 to 6.3 allowed only metaField filters without limit, not provided here,
// so the 6.0 profile refuses them as writes to a view); nullptr otherwise.
Collection* buckets_accepting_deletes(Catalog& catalog, const Collection* target);
// Deletes the measurements `matcher` matches (the first one only with `just_one`): a bucket left
// empty is deleted, another is rewritten with the measurements it keeps. Returns how many
// measurements went.
int64_t delete_measurements(Catalog& catalog, Collection& buckets, const BucketSpec& spec,
                            const Matcher& matcher, bool just_one);

// The TTL monitor's pass over a buckets collection with expireAfterSeconds: the buckets whose
// every measurement is older than now - expireAfterSeconds (their start plus
// bucketMaxSpanSeconds is before it, as mongod's ttl.cpp bounds the clustered _id).
std::vector<RecordId> expired_buckets(const Collection& buckets, int64_t now_ms);

}  // namespace tmd
