// Internals of the aggregation pipeline shared by its stage files: the Stage interface, the parse
// and run contexts, the stage registry and small path helpers.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/expression.h"
#include "engine/pipeline.h"

namespace tmd::agg {

// What a stage sees while running: the variables in scope and access to other collections.
struct RunContext {
    const Variables& variables;
    const CollectionReader& reader;
};

// What a stage sees while parsing: variables in scope (values unused, names checked), the
// collection reader, and where it is nested (sub-pipelines forbid some stages).
struct ParseContext {
    const Variables* variables;
    CollectionReader reader;
    std::string nested_in;  // "" at top level, "$facet" or "$lookup" in sub-pipelines
    std::shared_ptr<const Collator> collator;  // the command's collation ($match, $sort)
};

class Stage {
  public:
    virtual ~Stage() = default;
    virtual std::vector<Document> apply(std::vector<Document> input,
                                        const RunContext& context) const = 0;
};

using StagePtr = std::unique_ptr<Stage>;
using StageParser = std::function<StagePtr(const Value& spec, const ParseContext& context)>;
using StageRegistry = std::map<std::string, StageParser, std::less<>>;

void register_document_stages(StageRegistry& registry);    // $project $addFields $set $unset ...
void register_group_stages(StageRegistry& registry);       // $group $bucket $bucketAuto $count ...
void register_join_stages(StageRegistry& registry);        // $lookup $unionWith $facet
void register_timeseries_stages(StageRegistry& registry);  // $_internalUnpackBucket

// A parsed sub-pipeline that can run with variables chosen at run time ($lookup let).
class SubPipeline {
  public:
    SubPipeline(const Array& stages, const ParseContext& context);
    std::vector<Document> run(std::vector<Document> input, const RunContext& context) const;

  private:
    std::vector<StagePtr> stages_;
};

// Parses the stages of a pipeline; `write_stage` receives a trailing $out/$merge (only allowed
// when non-null).
std::vector<StagePtr> parse_stages(const Array& stages, const ParseContext& context,
                                   const Document** write_stage);

// Expressions in stages see the variables of the parse context.
Expression parse_expression(const Value& spec, const ParseContext& context);

// Dotted paths without array traversal, as $unwind and $count use them.
const Value* get_nested(const Document& doc, const std::string& path);
void set_nested(Document& doc, const std::string& path, Value value);
void remove_nested(Document& doc, const std::string& path);

[[noreturn]] void fail(int code, const std::string& message);

}  // namespace tmd::agg
