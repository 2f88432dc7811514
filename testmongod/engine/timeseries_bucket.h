// Time-series buckets (manual, "Time Series Collections" and "Time Series Internals"; mongod's
// src/mongo/db/timeseries/ and bucket_unpacker.cpp): the uncompressed (control.version 1) bucket
// documents a system.buckets.<coll> collection stores, and the measurements they hold.
//
// A bucket is {_id: ObjectId, control: {version: 1, min: {...}, max: {...}}, [meta], data:
// {<field>: {"0": v0, "1": v1, ...}, ...}}: one column per measurement field other than the
// metaField, row keys "0", "1", ... in insertion order, control.min/max the smallest and largest
// value of each column (control.min of the time field rounded down to bucketRoundingSeconds).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/value.h"

namespace tmd {

struct BucketSpec {
    std::string time_field;
    std::optional<std::string> meta_field;
    int64_t max_span_seconds = 3600;
    int64_t rounding_seconds = 60;
};

// The bucket's time range start for a measurement time: rounded down to rounding_seconds.
int64_t bucket_start_ms(int64_t time_ms, const BucketSpec& spec);

// The metaField value as a bucket stores it: embedded documents with their fields sorted by name
// (mongod's timeseries::metadata::normalize), so that field order does not split buckets.
Value normalized_meta(const Value& meta);

// A new bucket holding one measurement. `id` is the bucket's _id (its timestamp is the bucket's
// start, see bucket_id_for).
Document new_bucket(const Document& measurement, const BucketSpec& spec, const bson_oid_t& id);
// The bucket `bucket` becomes when it keeps only `measurements` (not empty, as unpack_bucket gave
// them): same _id, columns and control.min/max rebuilt from them, control.min of the time field
// rounded down to the bucket's rounding.
Document rebuilt_bucket(const Document& bucket, const std::vector<Document>& measurements,
                        const BucketSpec& spec);
// Appends a measurement to a bucket (a new row in each column, control.min/max widened).
void add_measurement(Document& bucket, const Document& measurement, const BucketSpec& spec);
// The measurements of a bucket, each {time, [meta], other fields in column order}, as mongod's
// BucketUnpacker materialises them.
std::vector<Document> unpack_bucket(const Document& bucket, const BucketSpec& spec);

// The number of measurements a bucket holds (rows of the time column).
size_t bucket_count(const Document& bucket, const BucketSpec& spec);
// The measurement time of a bucket's control.min / control.max (ms), or nullopt if malformed.
std::optional<int64_t> bucket_min_ms(const Document& bucket, const BucketSpec& spec);
std::optional<int64_t> bucket_max_ms(const Document& bucket, const BucketSpec& spec);

}  // namespace tmd
