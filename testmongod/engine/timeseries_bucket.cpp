// Time-series buckets (see timeseries_bucket.h) and the $_internalUnpackBucket stage that reads
// them (mongod: document_source_internal_unpack_bucket.cpp, bucket_unpacker.cpp,
// timeseries/bucket_catalog and minmax.cpp).
#include "engine/timeseries_bucket.h"

#include <algorithm>

#include "engine/pipeline_internal.h"

namespace tmd {
namespace {

const Value* column_of(const Document& bucket, const std::string& field) {
    const Value* data = bucket.get("data");
    if (!data || !data->is_document()) return nullptr;
    const Value* column = data->doc().get(field);
    return column && column->is_document() ? column : nullptr;
}

Document& sub_document(Document& doc, const std::string& name) {
    if (!doc.get(name) || !doc.get(name)->is_document()) doc.set(name, Value::document({}));
    return doc.get(name)->doc();
}

// The smaller (want_min) or larger of two values. Embedded documents combine field by field, as
// mongod's timeseries MinMax keeps per-field bounds of objects.
Value bound(const Value& current, const Value& candidate, bool want_min) {
    if (current.is_document() && candidate.is_document()) {
        Document merged = current.doc();
        for (const auto& field : candidate.doc().fields()) {
            const Value* mine = merged.get(field.name);
            merged.set(field.name, mine ? bound(*mine, field.value, want_min) : field.value);
        }
        return Value::document(std::move(merged));
    }
    int order = compare_values(candidate, current);
    return (want_min ? order < 0 : order > 0) ? candidate : current;
}

void widen(Document& control, const std::string& field, const Value& value) {
    for (bool want_min : {true, false}) {
        Document& bounds = sub_document(control, want_min ? "min" : "max");
        const Value* existing = bounds.get(field);
        bounds.set(field, existing ? bound(*existing, value, want_min) : value);
    }
}

bool is_meta(const std::string& name, const BucketSpec& spec) {
    return spec.meta_field && name == *spec.meta_field;
}

void append_row(Document& bucket, const Document& measurement, const BucketSpec& spec, size_t row) {
    Document& control = sub_document(bucket, "control");
    Document& data = sub_document(bucket, "data");
    std::string key = std::to_string(row);
    for (const auto& field : measurement.fields()) {
        if (is_meta(field.name, spec)) continue;
        sub_document(data, field.name).push_back(key, field.value);
        widen(control, field.name, field.value);
    }
}

int64_t time_of(const Document& bounds, const BucketSpec& spec) {
    const Value* time = bounds.get(spec.time_field);
    return time && time->type() == BSON_TYPE_DATE_TIME ? std::get<int64_t>(time->payload()) : 0;
}

std::optional<int64_t> bound_ms(const Document& bucket, const BucketSpec& spec, const char* which) {
    const Value* control = bucket.get("control");
    if (!control || !control->is_document()) return std::nullopt;
    const Value* bounds = control->doc().get(which);
    if (!bounds || !bounds->is_document()) return std::nullopt;
    const Value* time = bounds->doc().get(spec.time_field);
    if (!time || time->type() != BSON_TYPE_DATE_TIME) return std::nullopt;
    return std::get<int64_t>(time->payload());
}

}  // namespace

int64_t bucket_start_ms(int64_t time_ms, const BucketSpec& spec) {
    // timeseries::roundTimestampBySeconds: whole seconds rounded down to the rounding step.
    int64_t seconds = time_ms >= 0 ? time_ms / 1000 : (time_ms - 999) / 1000;
    int64_t step = std::max<int64_t>(spec.rounding_seconds, 1);
    int64_t rem = seconds % step;
    if (rem < 0) rem += step;
    return (seconds - rem) * 1000;
}

Value normalized_meta(const Value& meta) {
    if (meta.is_array()) {
        Array items;
        for (const Value& item : meta.array())
            items.push_back(normalized_meta(item));
        return Value::array(std::move(items));
    }
    if (!meta.is_document()) return meta;
    std::vector<Field> fields = meta.doc().fields();
    std::stable_sort(fields.begin(), fields.end(),
                     [](const Field& a, const Field& b) { return a.name < b.name; });
    Document sorted;
    for (auto& field : fields)
        sorted.push_back(field.name, normalized_meta(field.value));
    return Value::document(std::move(sorted));
}

Document new_bucket(const Document& measurement, const BucketSpec& spec, const bson_oid_t& id) {
    Document control;
    control.push_back("version", Value::int32(1));
    Document bucket;
    bucket.push_back("_id", Value::oid(id));
    bucket.push_back("control", Value::document(std::move(control)));
    if (spec.meta_field) {
        if (const Value* meta = measurement.get(*spec.meta_field)) {
            bucket.push_back("meta", normalized_meta(*meta));
        }
    }
    bucket.push_back("data", Value::document({}));
    append_row(bucket, measurement, spec, 0);
    // control.min of the time field is the bucket's start, not the first measurement's time.
    Document& min = sub_document(sub_document(bucket, "control"), "min");
    min.set(spec.time_field, Value::date(bucket_start_ms(time_of(min, spec), spec)));
    return bucket;
}

Document rebuilt_bucket(const Document& bucket, const std::vector<Document>& measurements,
                        const BucketSpec& spec) {
    const Value* id = bucket.get("_id");
    Document rebuilt = new_bucket(measurements.front(), spec, std::get<bson_oid_t>(id->payload()));
    for (size_t i = 1; i < measurements.size(); ++i)
        add_measurement(rebuilt, measurements[i], spec);
    Document& min = sub_document(sub_document(rebuilt, "control"), "min");
    min.set(spec.time_field, Value::date(bucket_start_ms(time_of(min, spec), spec)));
    return rebuilt;
}

void add_measurement(Document& bucket, const Document& measurement, const BucketSpec& spec) {
    append_row(bucket, measurement, spec, bucket_count(bucket, spec));
}

size_t bucket_count(const Document& bucket, const BucketSpec& spec) {
    const Value* times = column_of(bucket, spec.time_field);
    return times ? times->doc().size() : 0;
}

std::optional<int64_t> bucket_min_ms(const Document& bucket, const BucketSpec& spec) {
    return bound_ms(bucket, spec, "min");
}

std::optional<int64_t> bucket_max_ms(const Document& bucket, const BucketSpec& spec) {
    return bound_ms(bucket, spec, "max");
}

std::vector<Document> unpack_bucket(const Document& bucket, const BucketSpec& spec) {
    std::vector<Document> measurements;
    const Value* times = column_of(bucket, spec.time_field);
    if (!times) return measurements;
    const Value* meta = spec.meta_field ? bucket.get("meta") : nullptr;
    const Document& data = bucket.get("data")->doc();
    for (const auto& row : times->doc().fields()) {
        Document measurement;
        measurement.push_back(spec.time_field, row.value);
        if (meta) measurement.push_back(*spec.meta_field, *meta);
        for (const auto& column : data.fields()) {
            if (column.name == spec.time_field || !column.value.is_document()) continue;
            if (const Value* value = column.value.doc().get(row.name)) {
                measurement.push_back(column.name, *value);
            }
        }
        measurements.push_back(std::move(measurement));
    }
    return measurements;
}

namespace agg {
namespace {

class UnpackBucketStage : public Stage {
  public:
    explicit UnpackBucketStage(BucketSpec spec) : spec_(std::move(spec)) {}
    std::vector<Document> apply(std::vector<Document> input, const RunContext&) const override {
        std::vector<Document> output;
        for (const Document& bucket : input) {
            for (Document& measurement : unpack_bucket(bucket, spec_))
                output.push_back(std::move(measurement));
        }
        return output;
    }

  private:
    BucketSpec spec_;
};

// The view pipeline's spec {timeField, metaField?, bucketMaxSpanSeconds}, checked with the codes
// of DocumentSourceInternalUnpackBucket::createFromBsonInternal. The include/exclude projections
// mongod's optimiser adds are not provided.
StagePtr parse_unpack_bucket(const Value& spec, const ParseContext&) {
    if (!spec.is_document()) {
        fail(5346500,
             "$_internalUnpackBucket specification must be an object, got: " + type_name(spec));
    }
    BucketSpec bucket;
    bool has_time = false, has_span = false;
    for (const auto& field : spec.doc().fields()) {
        const Value& value = field.value;
        if (field.name == "timeField") {
            if (!value.is_string()) fail(5346504, "timeField field must be a string");
            bucket.time_field = value.str();
            has_time = true;
        } else if (field.name == "metaField") {
            if (!value.is_string())
                fail(5346505, "metaField field must be a string, got: " + type_name(value));
            if (value.str().find('.') != std::string::npos)
                fail(5545700, "metaField field must be a single-element field path");
            bucket.meta_field = value.str();
        } else if (field.name == "bucketMaxSpanSeconds") {
            if (value.type() != BSON_TYPE_INT32)
                fail(5509900, "bucketMaxSpanSeconds field must be an integer");
            if (value.as_int32() <= 0)
                fail(5509901, "bucketMaxSpanSeconds field must be greater than zero");
            bucket.max_span_seconds = value.as_int32();
            has_span = true;
        } else {
            fail(5346506, "unrecognized parameter to $_internalUnpackBucket: " + field.name);
        }
    }
    if (!has_time) fail(5346508, "The $_internalUnpackBucket stage requires a timeField parameter");
    if (!has_span) {
        fail(5509902, "The $_internalUnpackBucket stage requires a bucketMaxSpanSeconds parameter");
    }
    return std::make_unique<UnpackBucketStage>(std::move(bucket));
}

}  // namespace

void register_timeseries_stages(StageRegistry& registry) {
    registry["$_internalUnpackBucket"] = parse_unpack_bucket;
}

}  // namespace agg
}  // namespace tmd
