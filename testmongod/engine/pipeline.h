// Pipeline: an aggregation pipeline run over documents: $match $project $addFields/$set $unset
// $sort $limit $skip $group $count $sample $bucket $bucketAuto $unwind $replaceRoot/$replaceWith
// $sortByCount $facet $lookup $unionWith, with MongoDB's expression language. $out and $merge are
// recognised here and executed by the server, which owns collections.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/value.h"

namespace tmd {

class Variables;

// Access to other collections of the same database, for $lookup and $unionWith.
using CollectionReader = std::function<std::vector<Document>(const std::string& coll)>;

class Pipeline {
  public:
    // Parses and validates every stage; throws MongoError with mongod's codes (40324 unknown
    // stage, 40323 stage spec without exactly one field, 15959 bad $match ...). `let` (copied)
    // provides $$NOW, $$CLUSTER_TIME and the command's let variables; without it $$NOW is the
    // time of construction. `reader` serves $lookup and $unionWith. `collator` (the command's
    // collation, engine/collation.h) compares strings in $match and $sort.
    Pipeline(const Array& stages, CollectionReader reader = {}, const Variables* let = nullptr,
             std::shared_ptr<const Collator> collator = nullptr);
    // A pipeline given as an update: only $addFields/$set/$project/$unset/$replaceRoot/
    // $replaceWith are allowed (mongod: InvalidOptions "<stage> is not allowed to be used within
    // an update"). run() it on the one document being updated.
    static Pipeline for_update(const Array& stages, const Variables* let = nullptr);
    // Whether `name` is a stage this pipeline knows (including $out and $merge).
    static bool knows_stage(std::string_view name);

    ~Pipeline();
    Pipeline(Pipeline&&) noexcept;

    std::vector<Document> run(std::vector<Document> input) const;

    // A trailing $out or $merge stage, which the server carries out on run()'s output.
    const Document* write_stage() const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace tmd
