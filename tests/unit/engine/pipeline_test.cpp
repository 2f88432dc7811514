// Unit tests of the aggregation pipeline stages against MongoDB's documented behaviour, including
// update-style pipelines, sub-pipelines over other collections, and mongod's error codes.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "engine/error.h"
#include "engine/expression.h"
#include "engine/pipeline.h"
#include "engine_test_util.h"

namespace tmd {
namespace {

Array stages(const std::string& json) {
    return Document::from_json("{\"p\": " + json + "}").get("p")->array();
}

std::vector<Document> docs(const std::string& json) {
    std::vector<Document> out;
    for (const Value& v : stages(json))
        out.push_back(v.doc());
    return out;
}

std::string as_json(const std::vector<Document>& result) {
    std::string out = "[";
    for (size_t i = 0; i < result.size(); ++i)
        out += (i ? ", " : "") + result[i].to_json();
    return out + "]";
}

// Compares by BSON value (so field order, values and numeric values all matter).
void expect_docs(const std::vector<Document>& actual, const std::string& expected) {
    std::vector<Document> want = docs(expected);
    ASSERT_EQ(actual.size(), want.size()) << as_json(actual);
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(compare_documents(actual[i], want[i]), 0)
            << as_json(actual) << "\nexpected " << expected;
    }
}

CollectionReader reader_of(std::map<std::string, std::string> collections) {
    return [collections](const std::string& name) {
        auto it = collections.find(name);
        return it == collections.end() ? std::vector<Document>{} : docs(it->second);
    };
}

std::vector<Document> run(const std::string& pipeline, const std::string& input,
                          CollectionReader reader = {}) {
    return Pipeline(stages(pipeline), std::move(reader)).run(docs(input));
}

int pipeline_error(const std::string& pipeline) {
    return error_code_of([&] { Pipeline p(stages(pipeline)); });
}

int run_error(const std::string& pipeline, const std::string& input) {
    try {
        run(pipeline, input);
    } catch (const MongoError& error) {
        return error.code();
    }
    return 0;
}

TEST(PipelineParse, UnknownStageIs40324WithMongodMessage) {
    try {
        Pipeline p(stages(R"([{"$foo": 1}])"));
        FAIL() << "no error";
    } catch (const MongoError& error) {
        EXPECT_EQ(error.code(), 40324);
        EXPECT_EQ(error.message(), "Unrecognized pipeline stage name: '$foo'");
    }
}

// mongod without mongot (community 6.0.7+ and 7.0):
// jstests/aggregation/sources/search_stage_error.js
TEST(PipelineParse, AtlasSearchStagesAre6047401OnlyAllowedOnAtlas) {
    for (std::string name : {"$listSearchIndexes", "$search", "$searchMeta", "$vectorSearch"}) {
        try {
            Pipeline p(stages("[{\"" + name + "\": {}}]"));
            ADD_FAILURE() << name << ": no error";
        } catch (const MongoError& error) {
            EXPECT_EQ(error.code(), 6047401) << name;
            EXPECT_EQ(error.message(), name + " stage is only allowed on MongoDB Atlas");
        }
    }
}

TEST(PipelineParse, StageMustHaveExactlyOneField) {
    EXPECT_EQ(pipeline_error(R"([{"$match": {}, "$limit": 1}])"), 40323);
    EXPECT_EQ(pipeline_error(R"([1])"), 14);
}

TEST(PipelineParse, OutAndMergeMustBeLastAndAreExposed) {
    EXPECT_EQ(pipeline_error(R"([{"$out": "x"}, {"$match": {}}])"), 40601);
    Pipeline out(stages(R"([{"$match": {}}, {"$out": "target"}])"));
    ASSERT_NE(out.write_stage(), nullptr);
    EXPECT_EQ(out.write_stage()->fields().front().name, "$out");
    Pipeline merge(stages(R"([{"$merge": {"into": "target"}}])"));
    ASSERT_NE(merge.write_stage(), nullptr);
    EXPECT_EQ(Pipeline(stages(R"([{"$match": {}}])")).write_stage(), nullptr);
}

TEST(PipelineMatch, FiltersDocuments) {
    expect_docs(run(R"([{"$match": {"a": {"$gt": 1}}}])", R"([{"a": 1}, {"a": 2}, {"a": 3}])"),
                R"([{"a": 2}, {"a": 3}])");
    EXPECT_EQ(pipeline_error(R"([{"$match": 1}])"), 15959);
}

TEST(PipelineSortLimitSkip, SortsThenPages) {
    const char* input = R"([{"a": 3}, {"a": 1}, {"a": 2}, {"a": 4}])";
    expect_docs(run(R"([{"$sort": {"a": -1}}, {"$skip": 1}, {"$limit": 2}])", input),
                R"([{"a": 3}, {"a": 2}])");
    EXPECT_EQ(pipeline_error(R"([{"$sort": {"a": 2}}])"), 15975);
    EXPECT_EQ(pipeline_error(R"([{"$sort": {}}])"), 15976);
    EXPECT_EQ(pipeline_error(R"([{"$limit": 0}])"), 15958);
    EXPECT_EQ(pipeline_error(R"([{"$limit": -1}])"), 5107201);
    EXPECT_EQ(pipeline_error(R"([{"$limit": "x"}])"), 5107201);
    EXPECT_EQ(pipeline_error(R"([{"$limit": 1.5}])"), 5107201);
    EXPECT_EQ(pipeline_error(R"([{"$skip": -1}])"), 5107200);
    EXPECT_EQ(pipeline_error(R"([{"$skip": "x"}])"), 5107200);
}

TEST(PipelineProject, InclusionKeepsIdAndInputOrderThenComputedFields) {
    expect_docs(run(R"([{"$project": {"c": {"$add": ["$a", 1]}, "b": 1, "a": 1}}])",
                    R"([{"_id": 1, "a": 1, "b": 2, "x": 3}])"),
                R"([{"_id": 1, "a": 1, "b": 2, "c": 2}])");
}

TEST(PipelineProject, ExclusionAndIdSuppression) {
    expect_docs(run(R"([{"$project": {"x": 0, "_id": 0}}])", R"([{"_id": 1, "a": 1, "x": 3}])"),
                R"([{"a": 1}])");
    expect_docs(run(R"([{"$project": {"a": 1, "_id": 0}}])", R"([{"_id": 1, "a": 1, "x": 3}])"),
                R"([{"a": 1}])");
}

TEST(PipelineProject, NestedPathsDescendIntoArrays) {
    expect_docs(run(R"([{"$project": {"a.b": 1, "_id": 0}}])",
                    R"([{"a": [{"b": 1, "c": 2}, {"c": 3}, 5]}])"),
                R"([{"a": [{"b": 1}, {}]}])");
    expect_docs(run(R"([{"$project": {"a": {"c": 0}}}])", R"([{"a": [{"b": 1, "c": 2}, 5]}])"),
                R"([{"a": [{"b": 1}, 5]}])");
}

TEST(PipelineProject, ComputedNestedFieldCreatesSubdocument) {
    expect_docs(run(R"([{"$project": {"_id": 0, "s.t": {"$literal": 1}}}])", R"([{"_id": 1}])"),
                R"([{"s": {"t": 1}}])");
}

TEST(PipelineProject, RemoveOmitsComputedField) {
    expect_docs(run(R"([{"$project": {"_id": 0, "a": 1, "b": "$$REMOVE"}}])", R"([{"a": 1}])"),
                R"([{"a": 1}])");
}

TEST(PipelineProject, InvalidSpecsUseMongodCodes) {
    EXPECT_EQ(pipeline_error(R"([{"$project": {"a": 1, "b": 0}}])"), 31254);
    EXPECT_EQ(pipeline_error(R"([{"$project": {"a": 0, "b": 1}}])"), 31253);
    EXPECT_EQ(pipeline_error(R"([{"$project": {"a": 0, "b": "$x"}}])"), 31252);
    EXPECT_EQ(pipeline_error(R"([{"$project": {}}])"), 51272);
    EXPECT_EQ(pipeline_error(R"([{"$project": {"a": 1, "a.b": 1}}])"), 31249);
    EXPECT_EQ(pipeline_error(R"([{"$project": 1}])"), 15969);
}

TEST(PipelineAddFields, SetsReplacesAndMergesNestedFields) {
    expect_docs(run(R"([{"$addFields": {"total": {"$add": ["$a", "$b"]}, "a": "new", "s.t": 5}}])",
                    R"([{"a": 1, "b": 2, "s": {"u": 1}}])"),
                R"([{"a": "new", "b": 2, "s": {"u": 1, "t": 5}, "total": 3}])");
    expect_docs(run(R"([{"$set": {"a.x": 1}}])", R"([{"a": [{"y": 1}, {"y": 2}]}])"),
                R"([{"a": [{"y": 1, "x": 1}, {"y": 2, "x": 1}]}])");
    expect_docs(run(R"([{"$set": {"a": "$$REMOVE"}}])", R"([{"a": 1, "b": 1}])"), R"([{"b": 1}])");
}

TEST(PipelineUnset, RemovesTopLevelAndNestedFields) {
    expect_docs(
        run(R"([{"$unset": ["a", "s.t"]}])", R"([{"_id": 1, "a": 1, "s": {"t": 1, "u": 2}}])"),
        R"([{"_id": 1, "s": {"u": 2}}])");
    expect_docs(run(R"([{"$unset": "a"}])", R"([{"a": 1, "b": 1}])"), R"([{"b": 1}])");
    EXPECT_EQ(pipeline_error(R"([{"$unset": 1}])"), 31002);
    EXPECT_EQ(pipeline_error(R"([{"$unset": [1]}])"), 31120);
}

TEST(PipelineGroup, AccumulatorsPerGroup) {
    const char* input =
        R"([{"k": "a", "v": 1}, {"k": "b", "v": 5}, {"k": "a", "v": 3}, {"k": "a"}])";
    const char* pipeline =
        R"([{"$group": {"_id": "$k", "sum": {"$sum": "$v"}, "avg": {"$avg": "$v"},
        "min": {"$min": "$v"}, "max": {"$max": "$v"}, "first": {"$first": "$v"}, "last": {"$last": "$v"},
        "all": {"$push": "$v"}, "set": {"$addToSet": "$v"}, "n": {"$count": {}}}}, {"$sort": {"_id": 1}}])";
    expect_docs(run(pipeline, input),
                R"([{"_id": "a", "sum": 4, "avg": 2.0, "min": 1, "max": 3, "first": 1, "last": null,
                     "all": [1, 3], "set": [1, 3], "n": 3},
                    {"_id": "b", "sum": 5, "avg": 5.0, "min": 5, "max": 5, "first": 5, "last": 5,
                     "all": [5], "set": [5], "n": 1}])");
}

TEST(PipelineGroup, NullIdGroupsEverythingAndCompoundIds) {
    expect_docs(run(R"([{"$group": {"_id": null, "n": {"$sum": 1}}}])", R"([{"a": 1}, {"a": 2}])"),
                R"([{"_id": null, "n": 2}])");
    expect_docs(run(R"([{"$group": {"_id": {"x": "$a"}}}])", R"([{"a": 1}, {"a": 1.0}])"),
                R"([{"_id": {"x": 1}}])");
}

TEST(PipelineGroup, InvalidSpecsUseMongodCodes) {
    EXPECT_EQ(pipeline_error(R"([{"$group": {"n": {"$sum": 1}}}])"), 15955);
    EXPECT_EQ(pipeline_error(R"([{"$group": {"_id": null, "n": {"$bogus": 1}}}])"), 15952);
    EXPECT_EQ(pipeline_error(R"([{"$group": {"_id": null, "n": 1}}])"), 40234);
    EXPECT_EQ(pipeline_error(R"([{"$group": {"_id": null, "a.b": {"$sum": 1}}}])"), 40235);
    EXPECT_EQ(pipeline_error(R"([{"$group": 1}])"), 15947);
}

TEST(PipelineCount, CountsDocumentsAndEmitsNothingForEmptyInput) {
    expect_docs(run(R"([{"$count": "n"}])", R"([{}, {}, {}])"), R"([{"n": 3}])");
    expect_docs(run(R"([{"$count": "n"}])", "[]"), "[]");
    EXPECT_EQ(pipeline_error(R"([{"$count": "$n"}])"), 40158);
    EXPECT_EQ(pipeline_error(R"([{"$count": "a.b"}])"), 40160);
}

TEST(PipelineSample, ReturnsRequestedNumberOfDistinctInputs) {
    auto out = run(R"([{"$sample": {"size": 2}}])", R"([{"_id": 1}, {"_id": 2}, {"_id": 3}])");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_NE(compare_documents(out[0], out[1]), 0);
    EXPECT_EQ(run(R"([{"$sample": {"size": 10}}])", R"([{"_id": 1}])").size(), 1u);
    EXPECT_EQ(pipeline_error(R"([{"$sample": {"size": -1}}])"), 28747);
    EXPECT_EQ(pipeline_error(R"([{"$sample": {}}])"), 28749);
}

TEST(PipelineBucket, GroupsByBoundariesWithDefault) {
    expect_docs(run(R"([{"$bucket": {"groupBy": "$p", "boundaries": [0, 10, 20], "default": "other",
                                     "output": {"n": {"$sum": 1}, "ps": {"$push": "$p"}}}}])",
                    R"([{"p": 5}, {"p": 15}, {"p": 1}, {"p": 25}])"),
                R"([{"_id": 0, "n": 2, "ps": [5, 1]}, {"_id": 10, "n": 1, "ps": [15]},
                    {"_id": "other", "n": 1, "ps": [25]}])");
    expect_docs(run(R"([{"$bucket": {"groupBy": "$p", "boundaries": [0, 10]}}])", R"([{"p": 5}])"),
                R"([{"_id": 0, "count": 1}])");
    EXPECT_EQ(
        run_error(R"([{"$bucket": {"groupBy": "$p", "boundaries": [0, 10]}}])", R"([{"p": 50}])"),
        40066);
    EXPECT_EQ(pipeline_error(R"([{"$bucket": {"groupBy": "$p", "boundaries": [10, 0]}}])"), 40194);
    EXPECT_EQ(
        pipeline_error(R"([{"$bucket": {"groupBy": "$p", "boundaries": [0, 10], "default": 5}}])"),
        40199);
    EXPECT_EQ(pipeline_error(R"([{"$bucket": {"groupBy": "p", "boundaries": [0, 10]}}])"), 40202);
}

TEST(PipelineBucketAuto, SplitsIntoEvenBucketsKeepingEqualValuesTogether) {
    expect_docs(
        run(R"([{"$bucketAuto": {"groupBy": "$p", "buckets": 2}}])",
            R"([{"p": 4}, {"p": 1}, {"p": 2}, {"p": 3}])"),
        R"([{"_id": {"min": 1, "max": 3}, "count": 2}, {"_id": {"min": 3, "max": 4}, "count": 2}])");
    expect_docs(
        run(R"([{"$bucketAuto": {"groupBy": "$p", "buckets": 2}}])",
            R"([{"p": 1}, {"p": 1}, {"p": 1}, {"p": 2}])"),
        R"([{"_id": {"min": 1, "max": 2}, "count": 3}, {"_id": {"min": 2, "max": 2}, "count": 1}])");
    EXPECT_EQ(pipeline_error(R"([{"$bucketAuto": {"groupBy": "$p", "buckets": 0}}])"), 40243);
    EXPECT_EQ(pipeline_error(R"([{"$bucketAuto": {"groupBy": "$p"}}])"), 40246);
}

TEST(PipelineBucketAuto, GranularityRoundsBoundariesToTheSeries) {
    expect_docs(run(R"([{"$bucketAuto": {"groupBy": "$p", "buckets": 2, "granularity": "1-2-5"}}])",
                    R"([{"p": 1}, {"p": 2}, {"p": 3}, {"p": 4}, {"p": 5}, {"p": 6}, {"p": 7},
                        {"p": 8}, {"p": 9}, {"p": 10}])"),
                R"([{"_id": {"min": 0.5, "max": 10.0}, "count": 9},
                    {"_id": {"min": 10.0, "max": 20.0}, "count": 1}])");
    expect_docs(
        run(R"([{"$bucketAuto": {"groupBy": "$p", "buckets": 2, "granularity": "POWERSOF2"}}])",
            R"([{"p": 1}, {"p": 2}, {"p": 3}, {"p": 4}])"),
        R"([{"_id": {"min": 0, "max": 4}, "count": 3}, {"_id": {"min": 4, "max": 8}, "count": 1}])");
    EXPECT_EQ(
        pipeline_error(R"([{"$bucketAuto": {"groupBy": "$p", "buckets": 2, "granularity": "X"}}])"),
        40257);
    EXPECT_EQ(
        run_error(R"([{"$bucketAuto": {"groupBy": "$p", "buckets": 1, "granularity": "E6"}}])",
                  R"([{"p": -1}])"),
        40268);
}

TEST(PipelineUnwind, UnwindsArraysWithOptions) {
    const char* input =
        R"([{"_id": 1, "a": [1, 2]}, {"_id": 2, "a": []}, {"_id": 3, "a": null}, {"_id": 4}, {"_id": 5, "a": 7}])";
    expect_docs(run(R"([{"$unwind": "$a"}])", input),
                R"([{"_id": 1, "a": 1}, {"_id": 1, "a": 2}, {"_id": 5, "a": 7}])");
    expect_docs(
        run(R"([{"$unwind": {"path": "$a", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": true}}])",
            input),
        R"([{"_id": 1, "a": 1, "i": {"$numberLong": "0"}}, {"_id": 1, "a": 2, "i": {"$numberLong": "1"}},
                    {"_id": 2, "i": null}, {"_id": 3, "a": null, "i": null}, {"_id": 4, "i": null},
                    {"_id": 5, "a": 7, "i": null}])");
    EXPECT_EQ(pipeline_error(R"([{"$unwind": "a"}])"), 28818);
    EXPECT_EQ(pipeline_error(R"([{"$unwind": {"path": "$a", "bogus": 1}}])"), 28811);
    EXPECT_EQ(pipeline_error(R"([{"$unwind": {}}])"), 28812);
    EXPECT_EQ(pipeline_error(R"([{"$unwind": 1}])"), 15981);
}

TEST(PipelineReplaceRoot, ReplacesWithEmbeddedDocument) {
    expect_docs(run(R"([{"$replaceRoot": {"newRoot": "$a"}}])", R"([{"a": {"x": 1}}])"),
                R"([{"x": 1}])");
    expect_docs(
        run(R"([{"$replaceWith": {"$mergeObjects": [{"d": 0}, "$a"]}}])", R"([{"a": {"x": 1}}])"),
        R"([{"d": 0, "x": 1}])");
    EXPECT_EQ(run_error(R"([{"$replaceRoot": {"newRoot": "$a"}}])", R"([{"a": 1}])"), 40228);
    EXPECT_EQ(pipeline_error(R"([{"$replaceRoot": {}}])"), 40231);
}

TEST(PipelineSortByCount, CountsAndSortsDescending) {
    expect_docs(run(R"([{"$sortByCount": "$t"}])", R"([{"t": "a"}, {"t": "b"}, {"t": "b"}])"),
                R"([{"_id": "b", "count": 2}, {"_id": "a", "count": 1}])");
    EXPECT_EQ(pipeline_error(R"([{"$sortByCount": "t"}])"), 40148);
}

TEST(PipelineFacet, RunsEachSubPipelineOverTheSameInput) {
    expect_docs(
        run(R"([{"$facet": {"small": [{"$match": {"a": {"$lt": 2}}}], "n": [{"$count": "c"}]}}])",
            R"([{"a": 1}, {"a": 2}])"),
        R"([{"small": [{"a": 1}], "n": [{"c": 2}]}])");
    EXPECT_EQ(pipeline_error(R"([{"$facet": {"x": [{"$out": "y"}]}}])"), 40600);
    EXPECT_EQ(pipeline_error(R"([{"$facet": {"x": 1}}])"), 40170);
}

TEST(PipelineLookup, EqualityJoinMatchesArrayElementsAndNulls) {
    auto reader =
        reader_of({{"items", R"([{"_id": 1, "k": "a"}, {"_id": 2, "k": "b"}, {"_id": 3}])"}});
    expect_docs(
        run(R"([{"$lookup": {"from": "items", "localField": "key", "foreignField": "k", "as": "m"}}])",
            R"([{"key": "a"}, {"key": ["a", "b"]}, {"x": 1}])", reader),
        R"([{"key": "a", "m": [{"_id": 1, "k": "a"}]},
                    {"key": ["a", "b"], "m": [{"_id": 1, "k": "a"}, {"_id": 2, "k": "b"}]},
                    {"x": 1, "m": [{"_id": 3}]}])");
}

TEST(PipelineLookup, PipelineFormWithLetVariables) {
    auto reader = reader_of(
        {{"stock",
          R"([{"item": "a", "qty": 5}, {"item": "a", "qty": 50}, {"item": "b", "qty": 9}])"}});
    expect_docs(run(R"([{"$lookup": {"from": "stock", "let": {"want": "$item", "min": "$min"},
                        "pipeline": [{"$match": {"$expr": {"$and": [{"$eq": ["$item", "$$want"]},
                                                                    {"$gte": ["$qty", "$$min"]}]}}},
                                     {"$project": {"_id": 0, "qty": 1}}],
                        "as": "s"}}])",
                    R"([{"item": "a", "min": 10}])", reader),
                R"([{"item": "a", "min": 10, "s": [{"qty": 50}]}])");
}

TEST(PipelineLookup, InvalidSpecsUseMongodCodes) {
    EXPECT_EQ(
        pipeline_error(R"([{"$lookup": {"from": "x", "localField": "a", "foreignField": "b"}}])"),
        9);
    EXPECT_EQ(
        pipeline_error(
            R"([{"$lookup": {"from": "x", "localField": 1, "foreignField": "b", "as": "c"}}])"),
        4570);
    EXPECT_EQ(pipeline_error(R"([{"$lookup": {"from": "x", "as": "c", "bogus": 1}}])"), 9);
    EXPECT_EQ(
        pipeline_error(R"([{"$lookup": {"from": "x", "as": "c", "pipeline": [{"$out": "y"}]}}])"),
        51047);
}

TEST(PipelineUnionWith, AppendsOtherCollectionThroughItsPipeline) {
    auto reader = reader_of({{"other", R"([{"b": 1}, {"b": 2}])"}});
    expect_docs(run(R"([{"$unionWith": {"coll": "other", "pipeline": [{"$match": {"b": 2}}]}}])",
                    R"([{"a": 1}])", reader),
                R"([{"a": 1}, {"b": 2}])");
    expect_docs(run(R"([{"$unionWith": "other"}])", "[]", reader), R"([{"b": 1}, {"b": 2}])");
}

TEST(PipelineVariables, LetVariablesAndNowReachExpressions) {
    Variables let;
    let.define("target", Value::int32(2));
    let.set_now(86400000);
    Pipeline p(
        stages(
            R"([{"$match": {"$expr": {"$eq": ["$a", "$$target"]}}}, {"$set": {"at": "$$NOW"}}])"),
        {}, &let);
    expect_docs(p.run(docs(R"([{"a": 1}, {"a": 2}])")), R"([{"a": 2, "at": {"$date": 86400000}}])");
    EXPECT_EQ(pipeline_error(R"([{"$set": {"x": "$$undefinedVar"}}])"), 17276);
}

TEST(PipelineUpdate, UpdatePipelineRunsOnOneDocument) {
    Pipeline p =
        Pipeline::for_update(stages(R"([{"$set": {"n": {"$add": ["$n", 1]}}}, {"$unset": "tmp"},
                                                 {"$replaceWith": {"$mergeObjects": ["$$ROOT", {"done": true}]}}])"));
    expect_docs(p.run(docs(R"([{"_id": 1, "n": 1, "tmp": 0}])")),
                R"([{"_id": 1, "n": 2, "done": true}])");
}

TEST(PipelineUpdate, UpdatePipelineRejectsOtherStages) {
    try {
        Pipeline::for_update(stages(R"([{"$match": {}}])"));
        FAIL() << "no error";
    } catch (const MongoError& error) {
        EXPECT_EQ(error.code(), 72);
        EXPECT_EQ(error.message(), "$match is not allowed to be used within an update");
    }
}

TEST(PipelineChangeEvents, ShapesArbitraryEventDocuments) {
    const char* event = R"([{"_id": {"_data": "826"}, "operationType": "insert",
                             "fullDocument": {"_id": 1, "x": 5}, "ns": {"db": "d", "coll": "c"}}])";
    expect_docs(
        run(R"([{"$match": {"operationType": "insert"}}, {"$project": {"fullDocument.x": 1, "ns": 1}},
                        {"$addFields": {"seen": true}}])",
            event),
        R"([{"_id": {"_data": "826"}, "fullDocument": {"x": 5}, "ns": {"db": "d", "coll": "c"}, "seen": true}])");
}

}  // namespace
}  // namespace tmd
