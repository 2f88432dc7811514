// Time-series collections (see timeseries.h). Followed: the manual's "Time Series Collections"
// pages and "create" (`timeseries`, `expireAfterSeconds`); mongod's create_collection.cpp
// (_createTimeseries: buckets collection, view, default index), timeseries.idl (options and
// their order), timeseries_options.cpp (validateAndSetBucketingParameters),
// viewless_timeseries_collection_creation_helpers.cpp (generateTimeseriesValidator),
// bucket_catalog (timeseriesBucketMaxCount 1000, timeseriesBucketMaxSize 128000,
// timeseriesBucketMinCount 10) and jstests noPassthrough/timeseries_create.js,
// core/timeseries/timeseries_list_collections.js and change_streams/timeseries.js.
#include "server/timeseries.h"

#include <climits>
#include <tuple>

#include "server/collection_write.h"
#include "server/server_state.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

const std::string kBucketsPrefix = "system.buckets.";
constexpr size_t kBucketMaxCount = 1000;
constexpr size_t kBucketMaxSize = 128000;
constexpr size_t kBucketMinCount = 10;

// Create options a time-series collection refuses (create_collection.cpp).
const char* const kIncompatibleOptions[] = {"capped",    "autoIndexId",     "idIndex",
                                            "validator", "validationLevel", "validationAction",
                                            "viewOn",    "pipeline",        "clusteredIndex"};
// Create options the buckets collection keeps and listCollections shows on the view.
const char* const kKeptOptions[] = {"collation", "storageEngine", "indexOptionDefaults"};

// bucketRoundingSeconds and custom bucketing parameters (6.3's
// featureFlagTimeseriesScalabilityImprovements): the 7.0 profile (wire version 21).
bool has_scalability_improvements(const CommandRequest& request) {
    return request.server->profile().max_wire_version >= 19;
}

int64_t max_span_for(const std::string& granularity) {
    if (granularity == "minutes") return 60 * 60 * 24;
    if (granularity == "hours") return 60 * 60 * 24 * 30;
    return 60 * 60;
}

int64_t rounding_for(const std::string& granularity) {
    if (granularity == "minutes") return 60 * 60;
    if (granularity == "hours") return 60 * 60 * 24;
    return 60;
}

[[noreturn]] void wrong_type(const std::string& field, const Value& value,
                             const std::string& expected) {
    throw MongoError(code::TypeMismatch, "BSON field 'create.timeseries." + field +
                                             "' is the wrong type '" + type_name(value.type()) +
                                             "', expected type '" + expected + "'");
}

std::string string_option(const Field& field) {
    if (!field.value.is_string()) wrong_type(field.name, field.value, "string");
    return field.value.str();
}

// IDL safeInt with validator {gte: 1}.
int64_t seconds_option(const Field& field) {
    const Value& value = field.value;
    if (!value.is_number() || value.as_double() != static_cast<double>(value.as_int64())) {
        throw MongoError(code::TypeMismatch, "BSON field 'create.timeseries." + field.name +
                                                 "' is the wrong type '" + type_name(value.type()) +
                                                 "', expected types '[long, int, decimal, "
                                                 "double]'");
    }
    if (value.as_int64() < 1) {
        throw MongoError(51024, "BSON field '" + field.name +
                                    "' value must be >= 1, actual value '" +
                                    std::to_string(value.as_int64()) + "'");
    }
    return value.as_int64();
}

struct ParsedOptions {
    std::string time_field;
    std::optional<std::string> meta_field;
    std::optional<std::string> granularity;
    std::optional<int64_t> rounding;
    std::optional<int64_t> max_span;
};

ParsedOptions parse_options(const Value& given, bool scalability) {
    if (!given.is_document()) {
        throw MongoError(code::TypeMismatch, "BSON field 'create.timeseries' is the wrong type '" +
                                                 type_name(given.type()) +
                                                 "', expected type 'object'");
    }
    ParsedOptions parsed;
    bool has_time = false;
    for (const auto& field : given.doc().fields()) {
        if (field.name == "timeField") {
            parsed.time_field = string_option(field);
            has_time = true;
        } else if (field.name == "metaField") {
            parsed.meta_field = string_option(field);
        } else if (field.name == "granularity") {
            std::string value = string_option(field);
            if (value != "seconds" && value != "minutes" && value != "hours") {
                throw MongoError(code::BadValue,
                                 "Enumeration value '" + value +
                                     "' for field 'create.timeseries.granularity' is not a "
                                     "valid value.");
            }
            parsed.granularity = value;
        } else if (field.name == "bucketMaxSpanSeconds") {
            parsed.max_span = seconds_option(field);
        } else if (field.name == "bucketRoundingSeconds" && scalability) {
            parsed.rounding = seconds_option(field);
        } else {
            throw MongoError(code::Location40415, "BSON field 'create.timeseries." + field.name +
                                                      "' is an unknown field.");
        }
    }
    if (!has_time) {
        throw MongoError(
            40414, "BSON field 'create.timeseries.timeField' is missing but a required field");
    }
    return parsed;
}

// The field-name rules of the create command: top-level fields, time and meta distinct.
void check_field_names(const ParsedOptions& parsed) {
    if (parsed.time_field.find('.') != std::string::npos) {
        throw MongoError(code::InvalidOptions,
                         "The 'timeField' for a time-series collection must be a top-level field");
    }
    if (!parsed.meta_field) return;
    if (parsed.meta_field->find('.') != std::string::npos) {
        throw MongoError(code::InvalidOptions,
                         "The 'metaField' for a time-series collection must be a top-level field");
    }
    if (*parsed.meta_field == parsed.time_field) {
        throw MongoError(code::InvalidOptions,
                         "The 'metaField' and 'timeField' for a time-series collection must be "
                         "different");
    }
    if (*parsed.meta_field == "_id") {
        throw MongoError(code::InvalidOptions,
                         "The 'metaField' for a time-series collection cannot be '_id'");
    }
}

[[noreturn]] void not_configurable(const char* option, int64_t default_value) {
    throw MongoError(code::InvalidOptions, std::string("Timeseries '") + option +
                                               "' is not configurable to a value other than the "
                                               "default of " +
                                               std::to_string(default_value) +
                                               " for the provided granularity");
}

// timeseries::validateAndSetBucketingParameters, with and without the 6.3 bucketing options.
void set_bucketing(ParsedOptions& parsed, bool scalability) {
    std::string granularity = parsed.granularity.value_or("seconds");
    int64_t default_span = max_span_for(granularity);
    int64_t default_rounding = rounding_for(granularity);
    if (!scalability) {
        if (parsed.max_span && *parsed.max_span != default_span)
            not_configurable("bucketMaxSpanSeconds", default_span);
        parsed.granularity = granularity;
        parsed.max_span = default_span;
        return;
    }
    if (parsed.granularity) {
        if (parsed.max_span && *parsed.max_span != default_span)
            not_configurable("bucketMaxSpanSeconds", default_span);
        if (parsed.rounding && *parsed.rounding != default_rounding)
            not_configurable("bucketRoundingSeconds", default_rounding);
        parsed.max_span = default_span;
        parsed.rounding = default_rounding;
        return;
    }
    if (parsed.max_span.has_value() != parsed.rounding.has_value()) {
        throw MongoError(code::InvalidOptions,
                         "Timeseries 'bucketMaxSpanSeconds' and 'bucketRoundingSeconds' need to be "
                         "set alongside each other");
    }
    if (parsed.max_span != parsed.rounding) {
        throw MongoError(code::InvalidOptions,
                         "Timeseries 'bucketRoundingSeconds' needs to be equal to "
                         "'bucketMaxSpanSeconds'");
    }
    if (!parsed.max_span) {
        parsed.granularity = "seconds";
        parsed.max_span = default_span;
        parsed.rounding = default_rounding;
    }
}

// The options in TimeseriesOptions' IDL order, as listCollections shows them.
Document timeseries_document(const ParsedOptions& parsed) {
    Document options;
    options.push_back("timeField", Value::string(parsed.time_field));
    if (parsed.meta_field) options.push_back("metaField", Value::string(*parsed.meta_field));
    if (parsed.granularity) options.push_back("granularity", Value::string(*parsed.granularity));
    if (parsed.rounding)
        options.push_back("bucketRoundingSeconds",
                          Value::int32(static_cast<int32_t>(*parsed.rounding)));
    options.push_back("bucketMaxSpanSeconds", Value::int32(static_cast<int32_t>(*parsed.max_span)));
    return options;
}

// expireAfterSeconds of a clustered or time-series collection (index_key_validate.cpp
// validateExpireAfterSeconds): a number from 0 to INT_MAX, stored as a long.
Value expire_after_seconds(const Value& given) {
    if (!given.is_number()) {
        throw MongoError(code::TypeMismatch,
                         "BSON field 'create.expireAfterSeconds' is the wrong type '" +
                             type_name(given.type()) + "', expected type 'long'");
    }
    if (given.as_double() < 0) {
        throw MongoError(code::InvalidOptions,
                         "TTL index 'expireAfterSeconds' option cannot be less than 0");
    }
    if (given.as_double() > INT_MAX) {
        throw MongoError(code::InvalidOptions,
                         "TTL index 'expireAfterSeconds' option must be within an acceptable "
                         "range, try a lower number");
    }
    return Value::int64(given.as_int64());
}

Document date_property() {
    Document date;
    date.push_back("bsonType", Value::string("date"));
    return date;
}

Document bound_schema(const std::string& time_field) {
    Document properties;
    properties.push_back(time_field, Value::document(date_property()));
    Document schema;
    schema.push_back("bsonType", Value::string("object"));
    schema.push_back("required", Value::array({Value::string(time_field)}));
    schema.push_back("properties", Value::document(std::move(properties)));
    return schema;
}

// generateTimeseriesValidator: the bucket schema; `compressed_format` (6.1+: the latest bucket
// version) adds control.count and forbids other control fields.
Document bucket_validator(const std::string& time_field, bool compressed_format) {
    Document control_properties = Document::from_json(R"({"version": {"bsonType": "number"}})");
    control_properties.push_back("min", Value::document(bound_schema(time_field)));
    control_properties.push_back("max", Value::document(bound_schema(time_field)));
    control_properties.push_back("closed",
                                 Value::document(Document::from_json(R"({"bsonType": "bool"})")));
    if (compressed_format) {
        control_properties.push_back(
            "count",
            Value::document(Document::from_json(R"({"bsonType": "number", "minimum": 1})")));
    }
    Document control =
        Document::from_json(R"({"bsonType": "object", "required": ["version", "min", "max"]})");
    control.push_back("properties", Value::document(std::move(control_properties)));
    if (compressed_format) control.push_back("additionalProperties", Value::boolean(false));

    Document properties = Document::from_json(R"({"_id": {"bsonType": "objectId"}})");
    properties.push_back("control", Value::document(std::move(control)));
    properties.push_back("data", Value::document(Document::from_json(R"({"bsonType": "object"})")));
    properties.push_back("meta", Value::document({}));
    Document schema =
        Document::from_json(R"({"bsonType": "object", "required": ["_id", "control", "data"]})");
    schema.push_back("properties", Value::document(std::move(properties)));
    schema.push_back("additionalProperties", Value::boolean(false));
    Document validator;
    validator.push_back("$jsonSchema", Value::document(std::move(schema)));
    return validator;
}

Document buckets_options(const CommandRequest& request, const Document& body,
                         const ParsedOptions& parsed) {
    Document options;
    options.push_back("validator", Value::document(bucket_validator(
                                       parsed.time_field, has_scalability_improvements(request))));
    options.push_back("clusteredIndex", Value::boolean(true));
    options.push_back("timeseries", Value::document(timeseries_document(parsed)));
    if (const Value* expire = body.get("expireAfterSeconds")) {
        options.push_back("expireAfterSeconds", expire_after_seconds(*expire));
    }
    for (const char* kept : kKeptOptions) {
        if (const Value* value = body.get(kept)) options.push_back(kept, *value);
    }
    return options;
}

Document unpack_stage(const ParsedOptions& parsed) {
    Document spec;
    spec.push_back("timeField", Value::string(parsed.time_field));
    if (parsed.meta_field) spec.push_back("metaField", Value::string(*parsed.meta_field));
    spec.push_back("bucketMaxSpanSeconds", Value::int32(static_cast<int32_t>(*parsed.max_span)));
    Document stage;
    stage.push_back("$_internalUnpackBucket", Value::document(std::move(spec)));
    return stage;
}

// The view <coll> on system.buckets.<coll> (generateViewPipeline), with the collation given.
Document view_options(const Document& body, const ParsedOptions& parsed, const std::string& name) {
    Document options;
    options.push_back("viewOn", Value::string(kBucketsPrefix + name));
    options.push_back("pipeline", Value::array({Value::document(unpack_stage(parsed))}));
    if (const Value* collation = body.get("collation")) options.push_back("collation", *collation);
    return options;
}

// createDefaultTimeseriesIndex (6.3+, with a metaField): {meta: 1, control.min.<time>: 1,
// control.max.<time>: 1}, named "<meta>_1_<time>_1".
void add_default_index(Catalog& catalog, Collection& buckets, const ParsedOptions& parsed) {
    Document key;
    key.push_back("meta", Value::int32(1));
    key.push_back("control.min." + parsed.time_field, Value::int32(1));
    key.push_back("control.max." + parsed.time_field, Value::int32(1));
    Document spec;
    spec.push_back("v", Value::int32(2));
    spec.push_back("name", Value::string(*parsed.meta_field + "_1_" + parsed.time_field + "_1"));
    spec.push_back("key", Value::document(std::move(key)));
    buckets.add_index(Index(spec));
    catalog.log(ChangeKind::CreateIndexes, buckets, indexes_details(spec));
}

void check_compatible_options(const CommandRequest& request, const Document& body) {
    for (const char* option : kIncompatibleOptions) {
        if (body.get(option)) {
            throw MongoError(code::InvalidOptions, request.db + "." + body.fields()[0].value.str() +
                                                       ": 'timeseries' is not allowed with '" +
                                                       option + "'");
        }
    }
}

void check_namespace_free(Catalog& catalog, const std::string& db, const std::string& name) {
    for (const std::string& taken : {name, kBucketsPrefix + name}) {
        if (catalog.find(db, taken)) {
            throw MongoError(code::NamespaceExists,
                             "A collection or view already exists. NS: " + db + "." + taken);
        }
    }
}

// A bucket the measurement may join: same meta value, not closed, its time range holds the
// time, room for one more (count, and size once it holds the minimum count).
bool admits(const Document& bucket, const BucketSpec& spec, const Value* meta, int64_t time_ms,
            size_t bucket_bytes, size_t measurement_bytes) {
    const Value* bucket_meta = bucket.get("meta");
    if ((meta == nullptr) != (bucket_meta == nullptr)) return false;
    if (meta && compare_values(*bucket_meta, normalized_meta(*meta)) != 0) return false;
    const Value* control = bucket.get("control");
    if (!control || !control->is_document()) return false;
    const Value* closed = control->doc().get("closed");
    if (closed && closed->truthy()) return false;
    auto start = bucket_min_ms(bucket, spec);
    if (!start || time_ms < *start || time_ms >= *start + spec.max_span_seconds * 1000)
        return false;
    size_t count = bucket_count(bucket, spec);
    if (count >= kBucketMaxCount) return false;
    return bucket_bytes + measurement_bytes <= kBucketMaxSize || count < kBucketMinCount;
}

// A bucket _id: an ObjectId whose timestamp is the bucket's start.
bson_oid_t bucket_id(int64_t start_ms) {
    bson_oid_t oid;
    bson_oid_init(&oid, nullptr);
    auto seconds = static_cast<uint32_t>(start_ms / 1000);
    for (int i = 0; i < 4; ++i)
        oid.bytes[i] = static_cast<uint8_t>(seconds >> (8 * (3 - i)));
    return oid;
}

// One buckets index key field (and the next, for a control.min/max pair) in measurement terms;
// returns how many bucket fields it consumed (0: not translatable).
size_t translate_key_field(const std::vector<Field>& key, size_t i, const BucketSpec& spec,
                           Document& out) {
    const std::string& name = key[i].name;
    if (name == "meta" || name.rfind("meta.", 0) == 0) {
        if (!spec.meta_field) return 0;
        out.push_back(*spec.meta_field + name.substr(4), key[i].value);
        return 1;
    }
    for (auto [first, second, direction] : {std::tuple{"control.min.", "control.max.", 1},
                                            std::tuple{"control.max.", "control.min.", -1}}) {
        std::string prefix = first;
        if (name.rfind(prefix, 0) != 0 || i + 1 >= key.size()) continue;
        std::string field = name.substr(prefix.size());
        if (key[i + 1].name != std::string(second) + field) return 0;
        out.push_back(field, Value::int32(direction));
        return 2;
    }
    return 0;
}

std::optional<Document> measurement_key(const Document& bucket_key, const BucketSpec& spec) {
    Document key;
    const auto& fields = bucket_key.fields();
    for (size_t i = 0; i < fields.size();) {
        size_t used = translate_key_field(fields, i, spec, key);
        if (used == 0) return std::nullopt;
        i += used;
    }
    return key;
}

}  // namespace

std::vector<Document> timeseries_index_specs(const Collection& buckets, const BucketSpec& spec) {
    std::vector<Document> specs;
    for (const Index& index : buckets.indexes()) {
        if (index.is_id_index()) continue;
        auto key = measurement_key(index.key_pattern(), spec);
        if (!key) continue;
        Document translated = index.spec();
        translated.set("key", Value::document(std::move(*key)));
        specs.push_back(std::move(translated));
    }
    return specs;
}

void create_timeseries(const CommandRequest& request, Catalog& catalog, const std::string& name) {
    Document body = body_of(request);
    bool scalability = has_scalability_improvements(request);
    ParsedOptions parsed = parse_options(*body.get("timeseries"), scalability);
    check_field_names(parsed);
    set_bucketing(parsed, scalability);
    check_compatible_options(request, body);
    Document options = buckets_options(request, body, parsed);
    check_namespace_free(catalog, request.db, name);
    Collection& buckets = catalog.create(request.db, kBucketsPrefix + name, std::move(options));
    if (scalability && parsed.meta_field) add_default_index(catalog, buckets, parsed);
    catalog.create(request.db, name, view_options(body, parsed, name));
}

Collection* buckets_of(Catalog& catalog, const Collection& coll) {
    if (!coll.is_view()) return nullptr;
    const Value* view_on = coll.options().get("viewOn");
    if (!view_on->is_string() || view_on->str() != kBucketsPrefix + coll.name()) return nullptr;
    Collection* buckets = catalog.find(coll.db(), view_on->str());
    return buckets && bucket_spec_of(*buckets) ? buckets : nullptr;
}

std::optional<BucketSpec> bucket_spec_of(const Collection& buckets) {
    const Value* options = buckets.options().get("timeseries");
    if (buckets.is_view() || !options || !options->is_document()) return std::nullopt;
    const Document& ts = options->doc();
    BucketSpec spec;
    spec.time_field = ts.get("timeField")->str();
    if (const Value* meta = ts.get("metaField")) spec.meta_field = meta->str();
    spec.max_span_seconds = ts.get("bucketMaxSpanSeconds")->as_int64();
    const Value* rounding = ts.get("bucketRoundingSeconds");
    const Value* granularity = ts.get("granularity");
    spec.rounding_seconds = rounding      ? rounding->as_int64()
                            : granularity ? rounding_for(granularity->str())
                                          : rounding_for("seconds");
    return spec;
}

std::optional<Document> timeseries_list_entry(Catalog& catalog, const Collection& coll) {
    Collection* buckets = buckets_of(catalog, coll);
    if (!buckets) return std::nullopt;
    Document options;
    for (const char* shown : {"timeseries", "expireAfterSeconds", "collation", "storageEngine",
                              "indexOptionDefaults"}) {
        if (const Value* value = buckets->options().get(shown)) options.push_back(shown, *value);
    }
    Document entry;
    entry.push_back("name", Value::string(coll.name()));
    entry.push_back("type", Value::string("timeseries"));
    entry.push_back("options", Value::document(std::move(options)));
    entry.push_back("info", Value::document(Document::from_json(R"({"readOnly": false})")));
    return entry;
}

void insert_measurement(Catalog& catalog, Collection& buckets, const BucketSpec& spec,
                        const Document& measurement, const Validator& validator) {
    const Value* time = measurement.get(spec.time_field);
    if (!time || time->type() != BSON_TYPE_DATE_TIME) {
        throw MongoError(code::BadValue, "'" + spec.time_field +
                                             "' must be present and contain a valid BSON UTC "
                                             "datetime value");
    }
    int64_t time_ms = std::get<int64_t>(time->payload());
    const Value* meta = spec.meta_field ? measurement.get(*spec.meta_field) : nullptr;
    size_t measurement_bytes = measurement.to_bytes().size();
    const auto& records = buckets.records();
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
        Document bucket = to_document(it->second.doc);
        if (!admits(bucket, spec, meta, time_ms, it->second.doc->size(), measurement_bytes))
            continue;
        add_measurement(bucket, measurement, spec);
        update_document(catalog, buckets, it->first, std::move(bucket), false, validator);
        return;
    }
    Document bucket = new_bucket(measurement, spec, bucket_id(bucket_start_ms(time_ms, spec)));
    insert_document(catalog, buckets, prepare_insert(std::move(bucket)), validator);
}

Collection* buckets_accepting_deletes(Catalog& catalog, const Collection* target) {
    if (!target || catalog.server().profile().max_wire_version < 21) return nullptr;
    return buckets_of(catalog, *target);
}

int64_t delete_measurements(Catalog& catalog, Collection& buckets, const BucketSpec& spec,
                            const Matcher& matcher, bool just_one) {
    std::vector<RecordId> rids;
    for (const auto& [rid, record] : buckets.records())
        rids.push_back(rid);
    Validator validator(buckets, false);
    int64_t deleted = 0;
    for (RecordId rid : rids) {
        Document bucket = to_document(buckets.find_record(rid)->doc);
        std::vector<Document> kept;
        int64_t before = deleted;
        for (Document& measurement : unpack_bucket(bucket, spec)) {
            bool done = just_one && deleted > 0;
            if (!done && matcher.matches(measurement)) {
                ++deleted;
            } else {
                kept.push_back(std::move(measurement));
            }
        }
        if (deleted == before) continue;
        if (kept.empty()) {
            delete_document(catalog, buckets, rid);
        } else {
            update_document(catalog, buckets, rid, rebuilt_bucket(bucket, kept, spec), true,
                            validator);
        }
        if (just_one) break;
    }
    return deleted;
}

std::vector<RecordId> expired_buckets(const Collection& buckets, int64_t now_ms) {
    auto spec = bucket_spec_of(buckets);
    const Value* expire = buckets.options().get("expireAfterSeconds");
    if (!spec || !expire || !expire->is_number()) return {};
    int64_t cutoff_ms = now_ms - expire->as_int64() * 1000;
    std::vector<RecordId> doomed;
    for (const auto& [rid, record] : buckets.records()) {
        auto start = bucket_min_ms(to_document(record.doc), *spec);
        if (start && *start + spec->max_span_seconds * 1000 < cutoff_ms) doomed.push_back(rid);
    }
    return doomed;
}

}  // namespace tmd
