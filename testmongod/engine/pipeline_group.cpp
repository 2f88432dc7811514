// Grouping stages: $group (accumulators by _id), $bucket, $bucketAuto, $sortByCount and $count.
// Groups are emitted in first-seen order (mongod leaves the order unspecified); $bucket,
// $bucketAuto and $sortByCount sort their output as documented.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "engine/accumulator.h"
#include "engine/granularity.h"
#include "engine/pipeline_internal.h"

namespace tmd::agg {
namespace {

// One output field of a group: {name: {$acc: <expression>}}.
struct AccumulatorSpec {
    std::string field;
    std::string op;
    Expression argument;
};

std::vector<AccumulatorSpec> parse_accumulators(const Document& spec, const ParseContext& context,
                                                const std::vector<std::string_view>& reserved) {
    std::vector<AccumulatorSpec> out;
    for (const auto& field : spec.fields()) {
        if (std::find(reserved.begin(), reserved.end(), field.name) != reserved.end()) continue;
        if (field.name.find('.') != std::string::npos) {
            fail(40235, "The field name '" + field.name + "' cannot contain '.'");
        }
        if (!field.name.empty() && field.name[0] == '$') {
            fail(40236, "The field name '" + field.name + "' cannot be an operator name");
        }
        if (!field.value.is_document())
            fail(40234, "The field '" + field.name + "' must be an accumulator object");
        if (field.value.doc().size() != 1)
            fail(40238, "The field '" + field.name + "' must specify one accumulator");
        const Field& acc = field.value.doc().fields().front();
        if (!is_accumulator(acc.name)) fail(15952, "unknown group operator '" + acc.name + "'");
        if (acc.name == "$count") {
            if (!acc.value.is_document() || !acc.value.doc().empty()) {
                fail(code::TypeMismatch, "$count takes no arguments, i.e. $count:{}");
            }
            out.push_back({field.name, "$sum", Expression(Value::int32(1))});
            continue;
        }
        if (acc.value.is_array()) {
            fail(40237, "The " + acc.name + " accumulator is a unary operator");
        }
        out.push_back({field.name, acc.name, parse_expression(acc.value, context)});
    }
    return out;
}

struct ValueLess {
    bool operator()(const Value& a, const Value& b) const { return compare_values(a, b) < 0; }
};

// Groups documents by a key, feeding each group's accumulators; output {_id: key, fields...}.
class Grouper {
  public:
    explicit Grouper(const std::vector<AccumulatorSpec>& specs) : specs_(specs) {}

    void add(const Value& key, const Document& doc, const Variables& variables) {
        auto [it, inserted] = index_.emplace(key, groups_.size());
        if (inserted) {
            groups_.push_back({key, {}});
            for (const auto& spec : specs_)
                groups_.back().accumulators.push_back(make_accumulator(spec.op));
        }
        Group& group = groups_[it->second];
        for (size_t i = 0; i < specs_.size(); ++i) {
            group.accumulators[i]->add(specs_[i].argument.evaluate(doc, variables));
        }
    }

    std::vector<Document> results() const {
        std::vector<Document> out;
        for (const auto& group : groups_) {
            Document doc;
            doc.push_back("_id", group.key);
            for (size_t i = 0; i < specs_.size(); ++i)
                doc.push_back(specs_[i].field, group.accumulators[i]->result());
            out.push_back(std::move(doc));
        }
        return out;
    }

  private:
    struct Group {
        Value key;
        std::vector<std::unique_ptr<Accumulator>> accumulators;
    };
    const std::vector<AccumulatorSpec>& specs_;
    std::map<Value, size_t, ValueLess> index_;
    std::vector<Group> groups_;
};

Value missing_as_null(Value v) {
    return is_missing(v) ? Value::null() : v;
}

class GroupStage : public Stage {
  public:
    GroupStage(Expression id, std::vector<AccumulatorSpec> accumulators)
        : id_(std::move(id)), accumulators_(std::move(accumulators)) {}
    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        Grouper grouper(accumulators_);
        for (const auto& doc : input) {
            grouper.add(missing_as_null(id_.evaluate(doc, context.variables)), doc,
                        context.variables);
        }
        return grouper.results();
    }

  private:
    Expression id_;
    std::vector<AccumulatorSpec> accumulators_;
};

StagePtr parse_group(const Value& spec, const ParseContext& context) {
    if (!spec.is_document()) fail(15947, "a group's fields must be specified in an object");
    const Value* id = spec.doc().get("_id");
    if (!id) fail(15955, "a group specification must include an _id");
    return std::make_unique<GroupStage>(parse_expression(*id, context),
                                        parse_accumulators(spec.doc(), context, {"_id"}));
}

void sort_by_id(std::vector<Document>& docs) {
    std::stable_sort(docs.begin(), docs.end(), [](const Document& a, const Document& b) {
        return compare_values(*a.get("_id"), *b.get("_id")) < 0;
    });
}

// groupBy of $bucket/$bucketAuto: a $-prefixed path or an operator expression.
Expression parse_group_by(const Value& spec, int code, const std::string& stage,
                          const ParseContext& context) {
    bool path = spec.is_string() && !spec.str().empty() && spec.str()[0] == '$';
    bool expression =
        spec.is_document() && !spec.doc().empty() && spec.doc().fields().front().name[0] == '$';
    if (!path && !expression) {
        // mongod's wording differs slightly between the two stages.
        std::string what = stage == "$bucketAuto" ? "an expression object" : "an expression";
        fail(code, "The " + stage + " 'groupBy' field must be defined as a $-prefixed path or " +
                       what + ", but found: " + spec.to_json() + ".");
    }
    return parse_expression(spec, context);
}

std::vector<AccumulatorSpec> parse_output(const Value* output, int code, const std::string& stage,
                                          const ParseContext& context) {
    if (!output) {
        Document count;
        count.push_back("count", Value::document(Document::from_json(R"({"$sum": 1})")));
        return parse_accumulators(count, context, {});
    }
    if (!output->is_document()) {
        fail(code, "The " + stage + " 'output' field must be an object, but found type: " +
                       type_name(*output) + ".");
    }
    return parse_accumulators(output->doc(), context, {});
}

class BucketStage : public Stage {
  public:
    BucketStage(Expression group_by, Array boundaries, std::optional<Value> fallback,
                std::vector<AccumulatorSpec> output)
        : group_by_(std::move(group_by)),
          boundaries_(std::move(boundaries)),
          fallback_(std::move(fallback)),
          output_(std::move(output)) {}

    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        Grouper grouper(output_);
        for (const auto& doc : input)
            grouper.add(bucket_of(doc, context.variables), doc, context.variables);
        auto out = grouper.results();
        sort_by_id(out);
        return out;
    }

  private:
    Value bucket_of(const Document& doc, const Variables& variables) const {
        Value v = missing_as_null(group_by_.evaluate(doc, variables));
        for (size_t i = 0; i + 1 < boundaries_.size(); ++i) {
            if (compare_values(v, boundaries_[i]) >= 0 &&
                compare_values(v, boundaries_[i + 1]) < 0) {
                return boundaries_[i];
            }
        }
        if (!fallback_) {
            fail(40066,
                 "$switch could not find a matching branch for an input, and no default was "
                 "specified.");
        }
        return *fallback_;
    }

    Expression group_by_;
    Array boundaries_;
    std::optional<Value> fallback_;
    std::vector<AccumulatorSpec> output_;
};

void validate_boundaries(const Array& boundaries) {
    if (boundaries.size() < 2) {
        fail(40192, "The $bucket 'boundaries' field must have at least 2 values, but found " +
                        std::to_string(boundaries.size()) + " value(s).");
    }
    for (size_t i = 1; i < boundaries.size(); ++i) {
        const Value& a = boundaries[i - 1];
        const Value& b = boundaries[i];
        if (canonical_type_rank(a.type()) != canonical_type_rank(b.type())) {
            fail(40193,
                 "All values in the the 'boundaries' option to $bucket must have the same type. "
                 "Found "
                 "conflicting types " +
                     type_name(a) + " and " + type_name(b) + ".");
        }
        if (compare_values(a, b) >= 0) {
            fail(40194,
                 "The 'boundaries' option to $bucket must be sorted in ascending order, but "
                 "elements " +
                     std::to_string(i - 1) + " and " + std::to_string(i) +
                     " are not in ascending order (" + a.to_json() + " is not less than " +
                     b.to_json() + ").");
        }
    }
}

StagePtr parse_bucket(const Value& spec, const ParseContext& context) {
    if (!spec.is_document())
        fail(40201, "Argument to $bucket stage must be an object, but found type: " +
                        type_name(spec) + ".");
    const Document& doc = spec.doc();
    for (const auto& field : doc.fields()) {
        static const std::vector<std::string_view> known = {"groupBy", "boundaries", "default",
                                                            "output"};
        if (std::find(known.begin(), known.end(), field.name) == known.end()) {
            fail(40197, "Unrecognized option to $bucket: " + field.name + ".");
        }
    }
    const Value* group_by = doc.get("groupBy");
    const Value* boundaries = doc.get("boundaries");
    if (!group_by || !boundaries)
        fail(40198, "$bucket requires 'groupBy' and 'boundaries' to be specified.");
    if (!boundaries->is_array()) {
        fail(40200, "The $bucket 'boundaries' field must be an array, but found type: " +
                        type_name(*boundaries) + ".");
    }
    validate_boundaries(boundaries->array());
    std::optional<Value> fallback;
    if (const Value* d = doc.get("default")) {
        const Array& b = boundaries->array();
        bool outside = canonical_type_rank(d->type()) != canonical_type_rank(b.front().type()) ||
                       compare_values(*d, b.front()) < 0 || compare_values(*d, b.back()) >= 0;
        if (!outside) {
            fail(40199,
                 "The $bucket 'default' field must be less than the lowest boundary or greater "
                 "than or "
                 "equal to the highest boundary.");
        }
        fallback = *d;
    }
    return std::make_unique<BucketStage>(
        parse_group_by(*group_by, 40202, "$bucket", context), boundaries->array(), fallback,
        parse_output(doc.get("output"), 40196, "$bucket", context));
}

// $bucketAuto: sorts by groupBy and cuts into `buckets` groups of about equal size, never
// splitting equal values; each bucket's max is the next bucket's min (the last: its own max).
// $bucketAuto, following mongod's DocumentSourceBucketAuto::populateBuckets: documents sorted by
// groupBy fill buckets of round(n / buckets) documents, a bucket absorbs the following documents
// with its last value (or, with a granularity, below its rounded-up boundary), the last bucket
// takes the rest, and each bucket's max is the next bucket's min.
class BucketAutoStage : public Stage {
  public:
    BucketAutoStage(Expression group_by, int64_t buckets, std::vector<AccumulatorSpec> output,
                    std::optional<GranularityRounder> rounder)
        : group_by_(std::move(group_by)),
          buckets_(buckets),
          output_(std::move(output)),
          rounder_(std::move(rounder)) {}

    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        Keyed keyed;
        for (const auto& doc : input) {
            keyed.emplace_back(missing_as_null(group_by_.evaluate(doc, context.variables)), &doc);
        }
        std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
            return compare_values(a.first, b.first) < 0;
        });
        std::vector<Bucket> buckets = cut(keyed);
        if (rounder_ && !buckets.empty()) {
            buckets.front().min = rounder_->round_down(buckets.front().min);
            buckets.back().max = rounder_->round_up(buckets.back().max);
        }
        std::vector<Document> out;
        for (const auto& bucket : buckets)
            out.push_back(summarize(keyed, bucket, context.variables));
        return out;
    }

  private:
    using Keyed = std::vector<std::pair<Value, const Document*>>;
    struct Bucket {
        Value min, max;
        size_t begin, end;
    };

    std::vector<Bucket> cut(const Keyed& keyed) const {
        std::vector<Bucket> buckets;
        size_t per_bucket = std::max<size_t>(
            1, static_cast<size_t>(std::llround(double(keyed.size()) / double(buckets_))));
        size_t next = 0;
        for (int64_t i = 0; i < buckets_ && next < keyed.size(); ++i) {
            Bucket bucket{keyed[next].first, keyed[next].first, next, keyed.size()};
            if (i + 1 < buckets_) {
                bucket.end = std::min(keyed.size(), next + per_bucket);
                absorb_following(keyed, bucket);
            } else {
                bucket.max = keyed.back().first;
            }
            append(buckets, std::move(bucket));
            next = buckets.back().end;
        }
        return buckets;
    }

    void absorb_following(const Keyed& keyed, Bucket& bucket) const {
        bucket.max = keyed[bucket.end - 1].first;
        if (!rounder_) {
            while (bucket.end < keyed.size() && values_equal(keyed[bucket.end].first, bucket.max)) {
                ++bucket.end;
            }
            return;
        }
        Value boundary = rounder_->round_up(bucket.max);
        while (bucket.end < keyed.size() && compare_values(boundary, keyed[bucket.end].first) > 0) {
            ++bucket.end;
        }
        bucket.max = bucket.end < keyed.size() ? boundary : keyed[bucket.end - 1].first;
    }

    // mongod's addBucket: boundaries chain, so each min is inclusive and each max exclusive.
    void append(std::vector<Bucket>& buckets, Bucket bucket) const {
        if (!buckets.empty()) {
            Bucket& previous = buckets.back();
            if (!rounder_) {
                previous.max = bucket.min;
            } else {
                if (previous.max.is_number() && previous.max.as_double() == 0) {
                    previous.max = rounder_->round_down(bucket.min);
                }
                bucket.min = previous.max;
            }
        }
        buckets.push_back(std::move(bucket));
    }

    Document summarize(const Keyed& keyed, const Bucket& bucket, const Variables& variables) const {
        Grouper grouper(output_);
        for (size_t i = bucket.begin; i < bucket.end; ++i) {
            grouper.add(Value::null(), *keyed[i].second, variables);
        }
        Document doc = grouper.results().front();
        Document id;
        id.push_back("min", bucket.min);
        id.push_back("max", bucket.max);
        doc.set("_id", Value::document(std::move(id)));
        return doc;
    }

    Expression group_by_;
    int64_t buckets_;
    std::vector<AccumulatorSpec> output_;
    std::optional<GranularityRounder> rounder_;
};

StagePtr parse_bucket_auto(const Value& spec, const ParseContext& context) {
    if (!spec.is_document()) {
        fail(40240, "The argument to $bucketAuto must be an object, but found type: " +
                        type_name(spec) + ".");
    }
    const Document& doc = spec.doc();
    for (const auto& field : doc.fields()) {
        if (field.name != "groupBy" && field.name != "buckets" && field.name != "output" &&
            field.name != "granularity") {
            fail(40245, "Unrecognized option to $bucketAuto: " + field.name + ".");
        }
    }
    const Value* group_by = doc.get("groupBy");
    const Value* buckets = doc.get("buckets");
    if (!group_by || !buckets)
        fail(40246, "$bucketAuto requires 'groupBy' and 'buckets' to be specified");
    if (!buckets->is_number()) {
        fail(40241, "The $bucketAuto 'buckets' field must be a numeric value, but found type: " +
                        type_name(*buckets));
    }
    if (buckets->as_double() != static_cast<double>(buckets->as_int64()) ||
        buckets->as_int64() > INT32_MAX || buckets->as_int64() < INT32_MIN) {
        fail(40242,
             "The $bucketAuto 'buckets' field must be representable as a 32-bit integer, but "
             "found " +
                 buckets->to_json());
    }
    if (buckets->as_int64() <= 0) {
        fail(40243, "The $bucketAuto 'buckets' field must be greater than 0, but found: " +
                        buckets->to_json());
    }
    std::optional<GranularityRounder> rounder;
    if (const Value* granularity = doc.get("granularity")) {
        if (!granularity->is_string()) {
            fail(40261, "The $bucketAuto 'granularity' field must be a string, but found type: " +
                            type_name(*granularity));
        }
        rounder.emplace(granularity->str());
    }
    return std::make_unique<BucketAutoStage>(
        parse_group_by(*group_by, 40239, "$bucketAuto", context), buckets->as_int64(),
        parse_output(doc.get("output"), 40244, "$bucketAuto", context), std::move(rounder));
}

class SortByCountStage : public Stage {
  public:
    explicit SortByCountStage(Expression key)
        : key_(std::move(key)), counter_{{"count", "$sum", Expression(Value::int32(1))}} {}
    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        Grouper grouper(counter_);
        for (const auto& doc : input)
            grouper.add(missing_as_null(key_.evaluate(doc, context.variables)), doc,
                        context.variables);
        auto out = grouper.results();
        std::stable_sort(out.begin(), out.end(), [](const Document& a, const Document& b) {
            return compare_values(*a.get("count"), *b.get("count")) > 0;
        });
        return out;
    }

  private:
    Expression key_;
    std::vector<AccumulatorSpec> counter_;
};

StagePtr parse_sort_by_count(const Value& spec, const ParseContext& context) {
    if (spec.is_string()) {
        if (spec.str().empty() || spec.str()[0] != '$') {
            fail(40148,
                 "the sortByCount field must be defined as a $-prefixed path or an expression "
                 "inside an object");
        }
    } else if (spec.is_document()) {
        if (spec.doc().empty() || spec.doc().fields().front().name[0] != '$') {
            fail(40147,
                 "the sortByCount field must be defined as a $-prefixed path or an expression "
                 "inside an object");
        }
    } else {
        fail(40149, "the sortByCount field must be specified as a string or as an object");
    }
    return std::make_unique<SortByCountStage>(parse_expression(spec, context));
}

class CountStage : public Stage {
  public:
    explicit CountStage(std::string field) : field_(std::move(field)) {}
    std::vector<Document> apply(std::vector<Document> input, const RunContext&) const override {
        if (input.empty()) return {};
        Document doc;
        doc.push_back(field_, input.size() <= INT32_MAX
                                  ? Value::int32(static_cast<int32_t>(input.size()))
                                  : Value::int64(static_cast<int64_t>(input.size())));
        return {std::move(doc)};
    }

  private:
    std::string field_;
};

StagePtr parse_count(const Value& spec, const ParseContext&) {
    if (!spec.is_string()) fail(40156, "the count field must be a non-empty string");
    const std::string& name = spec.str();
    if (name.empty()) fail(40157, "the count field must be a non-empty string");
    if (name[0] == '$') fail(40158, "the count field cannot be a $-prefixed path");
    if (name.find('.') != std::string::npos) fail(40160, "the count field cannot contain '.'");
    return std::make_unique<CountStage>(name);
}

}  // namespace

void register_group_stages(StageRegistry& registry) {
    registry["$group"] = parse_group;
    registry["$bucket"] = parse_bucket;
    registry["$bucketAuto"] = parse_bucket_auto;
    registry["$sortByCount"] = parse_sort_by_count;
    registry["$count"] = parse_count;
}

}  // namespace tmd::agg
