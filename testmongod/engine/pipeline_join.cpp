// Stages that read other collections or run sub-pipelines: $lookup (equality form, pipeline form
// with let, or both), $unionWith and $facet. Other collections come from the CollectionReader.
#include <algorithm>
#include <optional>

#include "engine/pipeline_internal.h"

namespace tmd::agg {
namespace {

std::vector<Document> read_collection(const RunContext& context, const std::string& coll) {
    return context.reader ? context.reader(coll) : std::vector<Document>{};
}

// The values a path offers to an equality match: the value itself, and for arrays each element
// (query semantics); missing counts as null.
void collect_match_values(const Value& v, Array& out) {
    out.push_back(is_missing(v) ? Value::null() : v);
    if (v.is_array()) {
        for (const Value& element : v.array())
            out.push_back(element);
    }
}

class LookupStage : public Stage {
  public:
    struct Spec {
        std::string from, local_field, foreign_field, as;
        std::vector<std::pair<std::string, Expression>> let;
        std::optional<SubPipeline> pipeline;
    };

    explicit LookupStage(Spec spec) : spec_(std::move(spec)) {}

    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        std::vector<Document> foreign = read_collection(context, spec_.from);
        for (auto& doc : input) {
            std::vector<Document> matches =
                spec_.local_field.empty() ? foreign : equal_matches(doc, foreign);
            if (spec_.pipeline) {
                Variables scope(&context.variables);
                for (const auto& [name, expression] : spec_.let) {
                    Value v = expression.evaluate(doc, context.variables);
                    scope.define(name, is_missing(v) ? Value::null() : v);
                }
                matches =
                    spec_.pipeline->run(std::move(matches), RunContext{scope, context.reader});
            }
            Array joined;
            for (auto& match : matches)
                joined.push_back(Value::document(std::move(match)));
            set_nested(doc, spec_.as, Value::array(std::move(joined)));
        }
        return input;
    }

  private:
    // Foreign documents whose foreignField equals the localField value or one of its elements.
    std::vector<Document> equal_matches(const Document& doc,
                                        const std::vector<Document>& foreign) const {
        Value local = get_path(doc, spec_.local_field);
        Array wanted;
        if (local.is_array() && !local.array().empty()) {
            wanted = local.array();
        } else {
            wanted.push_back(is_missing(local) ? Value::null() : local);
        }
        std::vector<Document> out;
        for (const auto& candidate : foreign) {
            Array offered;
            collect_match_values(get_path(candidate, spec_.foreign_field), offered);
            bool hit = std::any_of(wanted.begin(), wanted.end(), [&](const Value& w) {
                return std::any_of(offered.begin(), offered.end(),
                                   [&](const Value& o) { return values_equal(w, o); });
            });
            if (hit) out.push_back(candidate);
        }
        return out;
    }

    Spec spec_;
};

std::string string_arg(const Field& field, const std::string& stage) {
    if (!field.value.is_string()) {
        fail(4570, "arguments to " + stage + " must be strings, " + field.name + ": " +
                       field.value.to_json() + " is type " + type_name(field.value));
    }
    return field.value.str();
}

// `from` is a collection name or {db, coll} naming a collection of the same database.
std::string collection_arg(const Value& v, const std::string& stage) {
    if (v.is_string()) return v.str();
    if (v.is_document() && v.doc().get("coll") && v.doc().get("coll")->is_string())
        return v.doc().get("coll")->str();
    fail(
        code::FailedToParse,
        stage + " 'from' field must be a string or an object with 'db' and 'coll': " + v.to_json());
}

StagePtr parse_lookup(const Value& spec, const ParseContext& context) {
    if (!spec.is_document())
        fail(code::FailedToParse, "the $lookup specification must be an Object");
    LookupStage::Spec parsed;
    const Value* pipeline = nullptr;
    const Value* let = nullptr;
    for (const auto& field : spec.doc().fields()) {
        if (field.name == "from") {
            parsed.from = collection_arg(field.value, "$lookup");
        } else if (field.name == "localField") {
            parsed.local_field = string_arg(field, "$lookup");
        } else if (field.name == "foreignField") {
            parsed.foreign_field = string_arg(field, "$lookup");
        } else if (field.name == "as") {
            parsed.as = string_arg(field, "$lookup");
        } else if (field.name == "pipeline") {
            if (!field.value.is_array())
                fail(code::FailedToParse, "$lookup argument 'pipeline' must be an array");
            pipeline = &field.value;
        } else if (field.name == "let") {
            if (!field.value.is_document())
                fail(code::FailedToParse, "$lookup argument 'let' must be an object");
            let = &field.value;
        } else {
            fail(code::FailedToParse, "unknown argument to $lookup: " + field.name);
        }
    }
    if (parsed.as.empty()) fail(code::FailedToParse, "must specify 'as' field for a $lookup");
    if (parsed.from.empty()) fail(code::FailedToParse, "must specify 'from' field for a $lookup");
    if (parsed.local_field.empty() != parsed.foreign_field.empty() ||
        (!pipeline && parsed.local_field.empty())) {
        fail(code::FailedToParse,
             "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be "
             "specified");
    }
    if (let && !pipeline)
        fail(code::FailedToParse, "$lookup with 'let' must also specify 'pipeline'");
    if (pipeline) {
        Variables scope(context.variables);
        if (let) {
            for (const auto& field : let->doc().fields()) {
                validate_variable_name(field.name);
                parsed.let.emplace_back(field.name, parse_expression(field.value, context));
                scope.define(field.name, Value::null());
            }
        }
        parsed.pipeline.emplace(pipeline->array(),
                                ParseContext{&scope, context.reader, "$lookup", context.collator});
    }
    return std::make_unique<LookupStage>(std::move(parsed));
}

class UnionWithStage : public Stage {
  public:
    UnionWithStage(std::string coll, std::optional<SubPipeline> pipeline)
        : coll_(std::move(coll)), pipeline_(std::move(pipeline)) {}
    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        std::vector<Document> other = read_collection(context, coll_);
        if (pipeline_) other = pipeline_->run(std::move(other), context);
        for (auto& doc : other)
            input.push_back(std::move(doc));
        return input;
    }

  private:
    std::string coll_;
    std::optional<SubPipeline> pipeline_;
};

StagePtr parse_union_with(const Value& spec, const ParseContext& context) {
    if (spec.is_string()) return std::make_unique<UnionWithStage>(spec.str(), std::nullopt);
    if (!spec.is_document()) {
        fail(code::FailedToParse,
             "the $unionWith stage specification must be an object or string, but found " +
                 type_name(spec));
    }
    std::string coll;
    std::optional<SubPipeline> pipeline;
    for (const auto& field : spec.doc().fields()) {
        if (field.name == "coll") {
            coll = collection_arg(field.value, "$unionWith");
        } else if (field.name == "pipeline") {
            if (!field.value.is_array())
                fail(code::TypeMismatch, "BSON field '$unionWith.pipeline' is the wrong type");
            pipeline.emplace(field.value.array(), ParseContext{context.variables, context.reader,
                                                               "$unionWith", context.collator});
        } else {
            fail(40415, "BSON field '$unionWith." + field.name + "' is an unknown field.");
        }
    }
    if (coll.empty()) fail(40414, "BSON field '$unionWith.coll' is missing but a required field");
    return std::make_unique<UnionWithStage>(coll, std::move(pipeline));
}

class FacetStage : public Stage {
  public:
    explicit FacetStage(std::vector<std::pair<std::string, SubPipeline>> facets)
        : facets_(std::move(facets)) {}
    std::vector<Document> apply(std::vector<Document> input,
                                const RunContext& context) const override {
        Document out;
        for (const auto& [name, pipeline] : facets_) {
            Array results;
            for (auto& doc : pipeline.run(input, context))
                results.push_back(Value::document(std::move(doc)));
            out.push_back(name, Value::array(std::move(results)));
        }
        return {std::move(out)};
    }

  private:
    std::vector<std::pair<std::string, SubPipeline>> facets_;
};

StagePtr parse_facet(const Value& spec, const ParseContext& context) {
    if (!spec.is_document() || spec.doc().empty())
        fail(40169, "the $facet specification must be a non-empty object");
    std::vector<std::pair<std::string, SubPipeline>> facets;
    for (const auto& field : spec.doc().fields()) {
        if (!field.value.is_array()) {
            fail(40170, "arguments to $facet must be arrays, " + field.name + " is type " +
                            type_name(field.value));
        }
        for (const Value& stage : field.value.array()) {
            if (!stage.is_document() || stage.doc().size() != 1)
                continue;  // reported by the parser
            const std::string& name = stage.doc().fields().front().name;
            if (name == "$facet" || name == "$out" || name == "$merge") {
                fail(40600, name + " is not allowed to be used within a $facet stage");
            }
        }
        facets.emplace_back(field.name, SubPipeline(field.value.array(),
                                                    ParseContext{context.variables, context.reader,
                                                                 "$facet", context.collator}));
    }
    return std::make_unique<FacetStage>(std::move(facets));
}

}  // namespace

void register_join_stages(StageRegistry& registry) {
    registry["$lookup"] = parse_lookup;
    registry["$unionWith"] = parse_union_with;
    registry["$facet"] = parse_facet;
}

}  // namespace tmd::agg
