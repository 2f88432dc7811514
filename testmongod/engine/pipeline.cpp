// Pipeline: parses stage documents into Stage objects with mongod's error codes and runs them in
// order. This file holds the framework and the row-wise stages ($match $sort $limit $skip $sample
// $unwind $replaceRoot/$replaceWith) plus $out/$merge validation; the rest live in pipeline_*.cpp.
#include "engine/pipeline.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "engine/matcher.h"
#include "engine/pipeline_internal.h"
#include "engine/random.h"
#include "engine/sort.h"

namespace tmd {
namespace agg {

void fail(int code, const std::string& message) {
    throw MongoError(code, message);
}

Expression parse_expression(const Value& spec, const ParseContext& context) {
    return Expression(spec, context.variables);
}

// ---- nested paths ---------------------------------------------------------------------------

namespace {

std::pair<std::string, std::string> split_first(const std::string& path) {
    size_t dot = path.find('.');
    if (dot == std::string::npos) return {path, ""};
    return {path.substr(0, dot), path.substr(dot + 1)};
}

}  // namespace

const Value* get_nested(const Document& doc, const std::string& path) {
    auto [head, rest] = split_first(path);
    const Value* v = doc.get(head);
    if (!v || rest.empty()) return v;
    return v->is_document() ? get_nested(v->doc(), rest) : nullptr;
}

void set_nested(Document& doc, const std::string& path, Value value) {
    auto [head, rest] = split_first(path);
    if (rest.empty()) {
        doc.set(head, std::move(value));
        return;
    }
    Value* child = doc.get(head);
    if (!child || !child->is_document()) {
        doc.set(head, Value::document(Document()));
        child = doc.get(head);
    }
    set_nested(child->doc(), rest, std::move(value));
}

void remove_nested(Document& doc, const std::string& path) {
    auto [head, rest] = split_first(path);
    if (rest.empty()) {
        doc.remove(head);
        return;
    }
    Value* child = doc.get(head);
    if (child && child->is_document()) remove_nested(child->doc(), rest);
}

// ---- row-wise stages ------------------------------------------------------------------------

namespace {

class MatchStage : public Stage {
  public:
    MatchStage(Document filter, const ParseContext& context)
        : filter_(std::move(filter)), collator_(context.collator) {
        Matcher validate(filter_, context.variables);  // compile errors surface at parse time
    }
    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        Matcher matcher(filter_, &context.variables, collator_);
        std::vector<Document> out;
        for (auto& doc : input) {
            if (matcher.matches(doc)) out.push_back(std::move(doc));
        }
        return out;
    }

  private:
    Document filter_;
    std::shared_ptr<const Collator> collator_;
};

StagePtr parse_match(const Value& spec, const ParseContext& context) {
    if (!spec.is_document()) fail(15959, "the match filter must be an expression in an object");
    return std::make_unique<MatchStage>(spec.doc(), context);
}

class SortStage : public Stage {
  public:
    SortStage(const Document& spec, std::shared_ptr<const Collator> collator)
        : order_(spec, std::move(collator)) {}
    std::vector<Document> apply(std::vector<Document> input, const RunContext&) const override {
        std::stable_sort(input.begin(), input.end(), [this](const Document& a, const Document& b) {
            return order_.compare(a, b) < 0;
        });
        return input;
    }

  private:
    SortOrder order_;
};

StagePtr parse_sort(const Value& spec, const ParseContext& context) {
    if (!spec.is_document()) fail(15973, "the $sort key specification must be an object");
    if (spec.doc().empty()) fail(15976, "$sort stage must have at least one sort key");
    for (const auto& field : spec.doc().fields()) {
        const Value& v = field.value;
        bool direction = v.is_number() && (v.as_double() == 1 || v.as_double() == -1);
        if (!direction && !v.is_document()) {
            fail(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)");
        }
    }
    return std::make_unique<SortStage>(spec.doc(), context.collator);
}

// $limit and $skip: a non-negative integral count.
class SliceStage : public Stage {
  public:
    SliceStage(int64_t skip, int64_t limit) : skip_(skip), limit_(limit) {}
    std::vector<Document> apply(std::vector<Document> input, const RunContext&) const override {
        size_t begin = std::min<size_t>(input.size(), static_cast<size_t>(skip_));
        size_t end = limit_ < 0 ? input.size() : std::min<size_t>(input.size(), begin + limit_);
        return std::vector<Document>(std::make_move_iterator(input.begin() + begin),
                                     std::make_move_iterator(input.begin() + end));
    }

  private:
    int64_t skip_;
    int64_t limit_;  // -1: no limit
};

bool is_integral_number(const Value& v) {
    return v.is_number() && std::isfinite(v.as_double()) &&
           v.as_double() == static_cast<double>(v.as_int64());
}

// mongod 5.0+ parses both counts as non-negative integers (parseIntegerElementToNonNegativeLong):
// failures are 5107201 for $limit and 5107200 for $skip; a $limit of zero is then 15958.
std::string count_problem(const std::string& stage, const Value& spec) {
    std::string element = stage + ": " + spec.to_json();
    if (!spec.is_number()) return "Expected a number in: " + element;
    if (!is_integral_number(spec)) return "Expected an integer in: " + element;
    if (spec.as_int64() < 0) return "Expected a non-negative number in: " + element;
    return "";
}

StagePtr parse_limit(const Value& spec, const ParseContext&) {
    std::string problem = count_problem("$limit", spec);
    if (!problem.empty()) fail(5107201, "invalid argument to $limit stage: " + problem);
    if (spec.as_int64() == 0) fail(15958, "the limit must be positive");
    return std::make_unique<SliceStage>(0, spec.as_int64());
}

StagePtr parse_skip(const Value& spec, const ParseContext&) {
    std::string problem = count_problem("$skip", spec);
    if (!problem.empty()) fail(5107200, "invalid argument to $skip stage: " + problem);
    return std::make_unique<SliceStage>(spec.as_int64(), -1);
}

class SampleStage : public Stage {
  public:
    explicit SampleStage(int64_t size) : size_(size) {}
    std::vector<Document> apply(std::vector<Document> input, const RunContext&) const override {
        std::shuffle(input.begin(), input.end(), thread_random());
        if (static_cast<int64_t>(input.size()) > size_) input.resize(static_cast<size_t>(size_));
        return input;
    }

  private:
    int64_t size_;
};

StagePtr parse_sample(const Value& spec, const ParseContext&) {
    if (!spec.is_document()) fail(28745, "the $sample stage specification must be an object");
    const Value* size = nullptr;
    for (const auto& field : spec.doc().fields()) {
        if (field.name != "size") fail(28748, "unrecognized option to $sample: " + field.name);
        size = &field.value;
    }
    if (!size) fail(28749, "$sample stage must specify a size");
    if (!size->is_number()) fail(28746, "size argument to $sample must be a number");
    if (size->as_double() < 0) fail(28747, "size argument to $sample must not be negative");
    return std::make_unique<SampleStage>(size->as_int64());
}

class UnwindStage : public Stage {
  public:
    UnwindStage(std::string path, std::string index_field, bool preserve)
        : path_(std::move(path)), index_field_(std::move(index_field)), preserve_(preserve) {}

    std::vector<Document> apply(std::vector<Document> input, const RunContext&) const override {
        std::vector<Document> out;
        for (auto& doc : input)
            unwind(std::move(doc), out);
        return out;
    }

  private:
    void emit(Document doc, Value element, Value index, std::vector<Document>& out) const {
        if (!is_missing(element)) set_nested(doc, path_, std::move(element));
        if (!index_field_.empty()) set_nested(doc, index_field_, std::move(index));
        out.push_back(std::move(doc));
    }

    void unwind(Document doc, std::vector<Document>& out) const {
        const Value* found = get_nested(doc, path_);
        Value value = found ? *found : missing_value();
        if (value.is_array() && !value.array().empty()) {
            const Array& elements = value.array();
            for (size_t i = 0; i < elements.size(); ++i) {
                emit(doc, elements[i], Value::int64(static_cast<int64_t>(i)), out);
            }
            return;
        }
        bool nothing = is_missing(value) || value.is_null() || value.is_array();
        if (!nothing) {
            emit(std::move(doc), missing_value(), Value::null(),
                 out);  // a scalar unwinds to itself
        } else if (preserve_) {
            if (value.is_array()) remove_nested(doc, path_);  // an empty array leaves no field
            emit(std::move(doc), missing_value(), Value::null(), out);
        }
    }

    std::string path_;
    std::string index_field_;
    bool preserve_;
};

std::string unwind_path(const Value& path) {
    if (!path.is_string()) {
        fail(15981,
             "expected either a string or an object as specification for $unwind stage, got " +
                 type_name(path));
    }
    if (path.str().empty() || path.str()[0] != '$') {
        fail(28818, "path option to $unwind stage should be prefixed with a '$': " + path.str());
    }
    return path.str().substr(1);
}

StagePtr parse_unwind(const Value& spec, const ParseContext&) {
    if (spec.is_string()) return std::make_unique<UnwindStage>(unwind_path(spec), "", false);
    if (!spec.is_document()) {
        fail(15981,
             "expected either a string or an object as specification for $unwind stage, got " +
                 type_name(spec));
    }
    std::string path, index_field;
    bool preserve = false;
    for (const auto& field : spec.doc().fields()) {
        const Value& v = field.value;
        if (field.name == "path") {
            if (!v.is_string())
                fail(28808, "expected a string as the path for $unwind stage, got " + type_name(v));
            path = unwind_path(v);
        } else if (field.name == "includeArrayIndex") {
            if (!v.is_string() || v.str().empty()) {
                fail(28810,
                     "expected a non-empty string for the includeArrayIndex option to $unwind "
                     "stage");
            }
            if (v.str()[0] == '$') {
                fail(28822,
                     "includeArrayIndex option to $unwind stage should not be prefixed with a "
                     "'$': " +
                         v.str());
            }
            index_field = v.str();
        } else if (field.name == "preserveNullAndEmptyArrays") {
            if (v.type() != BSON_TYPE_BOOL) {
                fail(28809,
                     "expected a boolean for the preserveNullAndEmptyArrays option to $unwind "
                     "stage, got " +
                         type_name(v));
            }
            preserve = v.as_bool();
        } else {
            fail(28811, "unrecognized option to $unwind stage");
        }
    }
    if (path.empty()) fail(28812, "no path specified to $unwind stage");
    return std::make_unique<UnwindStage>(path, index_field, preserve);
}

class ReplaceRootStage : public Stage {
  public:
    ReplaceRootStage(Expression new_root, std::string what)
        : new_root_(std::move(new_root)), what_(std::move(what)) {}
    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        for (auto& doc : input) {
            Value root = new_root_.evaluate(doc, context.variables);
            if (!root.is_document()) {
                fail(40228,
                     "'" + what_ +
                         "' expression must evaluate to an object, but resulting value was: " +
                         expr_text(root) + ". Type of resulting value: '" + type_name(root) +
                         "'. Input document: " + doc.to_json());
            }
            doc = std::move(root.doc());
        }
        return input;
    }

  private:
    static std::string expr_text(const Value& v) { return is_missing(v) ? "MISSING" : v.to_json(); }
    Expression new_root_;
    std::string what_;
};

StagePtr parse_replace_root(const Value& spec, const ParseContext& context) {
    if (!spec.is_document()) {
        fail(40229,
             "expected an object as specification for $replaceRoot stage, got " + type_name(spec));
    }
    const Value* new_root = nullptr;
    for (const auto& field : spec.doc().fields()) {
        if (field.name != "newRoot")
            fail(40415, "BSON field '$replaceRoot." + field.name + "' is an unknown field.");
        new_root = &field.value;
    }
    if (!new_root) fail(40231, "no newRoot specified for the $replaceRoot stage");
    return std::make_unique<ReplaceRootStage>(parse_expression(*new_root, context), "newRoot");
}

StagePtr parse_replace_with(const Value& spec, const ParseContext& context) {
    return std::make_unique<ReplaceRootStage>(parse_expression(spec, context),
                                              "replacement document");
}

// ---- registry and pipeline parsing --------------------------------------------------------

// The Atlas Search stages, which need mongot: mongod without it (community 6.0.7+, 7.0) rejects
// them at parse time. mongod: jstests/aggregation/sources/search_stage_error.js.
void register_atlas_search_stages(StageRegistry& t) {
    for (std::string name : {"$listSearchIndexes", "$search", "$searchMeta", "$vectorSearch"}) {
        t[name] = [name](const Value&, const ParseContext&) -> StagePtr {
            fail(6047401, name + " stage is only allowed on MongoDB Atlas");
        };
    }
}

const StageRegistry& registry() {
    static const StageRegistry table = [] {
        StageRegistry t;
        t["$match"] = parse_match;
        t["$sort"] = parse_sort;
        t["$limit"] = parse_limit;
        t["$skip"] = parse_skip;
        t["$sample"] = parse_sample;
        t["$unwind"] = parse_unwind;
        t["$replaceRoot"] = parse_replace_root;
        t["$replaceWith"] = parse_replace_with;
        register_document_stages(t);
        register_group_stages(t);
        register_join_stages(t);
        register_timeseries_stages(t);
        register_atlas_search_stages(t);
        return t;
    }();
    return table;
}

void validate_write_stage(const std::string& name, const Value& spec) {
    bool valid = name == "$out"
                     ? spec.is_string() || spec.is_document()
                     : spec.is_string() || (spec.is_document() && spec.doc().get("into"));
    if (!valid) {
        fail(name == "$out" ? 16990 : 51182,
             name == "$out"
                 ? "$out only supports a string or object argument, not " + type_name(spec)
                 : "$merge requires an 'into' field: " + spec.to_json());
    }
}

}  // namespace

std::vector<StagePtr> parse_stages(const Array& stages, const ParseContext& context,
                                   const Document** write_stage) {
    std::vector<StagePtr> parsed;
    for (size_t i = 0; i < stages.size(); ++i) {
        const Value& stage = stages[i];
        if (!stage.is_document())
            fail(code::TypeMismatch, "Each element of the 'pipeline' array must be an object");
        if (stage.doc().size() != 1) {
            fail(40323, "A pipeline stage specification object must contain exactly one field.");
        }
        const Field& field = stage.doc().fields().front();
        if (field.name == "$out" || field.name == "$merge") {
            if (!context.nested_in.empty()) {
                fail(context.nested_in == "$facet" ? 40600 : 51047,
                     field.name + " is not allowed to be used within a " + context.nested_in +
                         " stage");
            }
            if (i + 1 != stages.size() || !write_stage) {
                fail(40601, field.name + " can only be the final stage in the pipeline");
            }
            validate_write_stage(field.name, field.value);
            *write_stage = &stage.doc();
            continue;
        }
        auto it = registry().find(field.name);
        if (it == registry().end())
            fail(40324, "Unrecognized pipeline stage name: '" + field.name + "'");
        parsed.push_back(it->second(field.value, context));
    }
    return parsed;
}

SubPipeline::SubPipeline(const Array& stages, const ParseContext& context)
    : stages_(parse_stages(stages, context, nullptr)) {}

std::vector<Document> SubPipeline::run(std::vector<Document> input,
                                       const RunContext& context) const {
    for (const auto& stage : stages_)
        input = stage->apply(std::move(input), context);
    return input;
}

}  // namespace agg

struct Pipeline::Impl {
    Variables variables;
    CollectionReader reader;
    std::vector<agg::StagePtr> stages;
    std::optional<Document> write_stage;
};

Pipeline::Pipeline(const Array& stages, CollectionReader reader, const Variables* let,
                   std::shared_ptr<const Collator> collator)
    : impl_(std::make_unique<Impl>(
          Impl{let ? Variables(*let) : Variables(), std::move(reader), {}, {}})) {
    agg::ParseContext context{&impl_->variables, impl_->reader, "", std::move(collator)};
    const Document* write_stage = nullptr;
    impl_->stages = agg::parse_stages(stages, context, &write_stage);
    if (write_stage) impl_->write_stage = *write_stage;
}

Pipeline Pipeline::for_update(const Array& stages, const Variables* let) {
    static const std::vector<std::string_view> allowed = {"$addFields",
                                                          "$set",
                                                          "$project",
                                                          "$unset",
                                                          "$replaceRoot",
                                                          "$replaceWith",
                                                          "$_internalApplyOplogUpdate"};
    for (const Value& stage : stages) {
        if (!stage.is_document() || stage.doc().size() != 1) continue;  // the parser reports these
        const std::string& name = stage.doc().fields().front().name;
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            agg::fail(code::InvalidOptions, name + " is not allowed to be used within an update");
        }
    }
    return Pipeline(stages, {}, let);
}

bool Pipeline::knows_stage(std::string_view name) {
    return name == "$out" || name == "$merge" || agg::registry().count(name) > 0;
}

Pipeline::~Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;

std::vector<Document> Pipeline::run(std::vector<Document> input) const {
    agg::RunContext context{impl_->variables, impl_->reader};
    for (const auto& stage : impl_->stages)
        input = stage->apply(std::move(input), context);
    return input;
}

const Document* Pipeline::write_stage() const {
    return impl_->write_stage ? &*impl_->write_stage : nullptr;
}

}  // namespace tmd
