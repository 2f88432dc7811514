// The $v:2 delta: what operator updates log (mongod's V2LogBuilder and modifier nodes; expected
// values from jstests/change_streams/show_raw_update_description.js and
// src/mongo/db/update/*_node_test.cpp), the image diff of pipeline updates
// (document_diff_calculator.cpp) and applying a delta (document_diff_applier.cpp).
#include "engine/update_delta.h"

#include <gtest/gtest.h>

#include <cstring>

#include "engine/error.h"
#include "engine/update.h"

namespace tmd {
namespace {

std::string canonical(const char* json) {
    return Document::from_json(json).to_json();
}

// The delta an operator update logs on `doc`.
std::string logged(const char* update, const char* doc, const char* filters = nullptr) {
    Document d = Document::from_json(doc);
    std::optional<Array> array_filters;
    if (filters) array_filters = Document::from_json(filters).get("f")->array();
    DeltaLog log;
    Update(Value::document(Document::from_json(update)), array_filters ? &*array_filters : nullptr)
        .apply(d, false, nullptr, &log);
    return log.to_document().to_json();
}

TEST(OperatorDelta, SetOfANewNestedFieldIsAnInsertInTheSubdocument) {
    EXPECT_EQ(logged(R"({"$set": {"b.d": 2}})", R"({"_id": 8, "a": 2, "b": {"c": 1}})"),
              canonical(R"({"sb": {"i": {"d": 2}}})"));
}

TEST(OperatorDelta, IncOfAnExistingFieldIsAnUpdate) {
    EXPECT_EQ(logged(R"({"$inc": {"b": 2}})", R"({"_id": 3, "a": 5, "b": 1})"),
              canonical(R"({"u": {"b": 3}})"));
}

TEST(OperatorDelta, UnsetIsADeleteAndOfAMissingFieldNothing) {
    EXPECT_EQ(logged(R"({"$unset": {"b": ""}})", R"({"_id": 3, "b": 1})"),
              canonical(R"({"d": {"b": false}})"));
    EXPECT_EQ(logged(R"({"$unset": {"x": ""}})", R"({"_id": 3, "b": 1})"), canonical("{}"));
}

TEST(OperatorDelta, SetToTheSameValueLogsNothing) {
    EXPECT_EQ(logged(R"({"$set": {"b": 1}})", R"({"_id": 1, "b": 1})"), canonical("{}"));
}

TEST(OperatorDelta, CreatedPathsAreOneInsertOfTheNewSubdocuments) {
    EXPECT_EQ(logged(R"({"$set": {"a.b.c": 1}})", R"({"_id": 1})"),
              canonical(R"({"i": {"a": {"b": {"c": 1}}}})"));
    EXPECT_EQ(logged(R"({"$set": {"a.b": 1, "a.c": 2}})", R"({"_id": 1})"),
              canonical(R"({"i": {"a": {"b": 1, "c": 2}}})"));
}

TEST(OperatorDelta, ArrayElementsAreAddressedByIndex) {
    EXPECT_EQ(logged(R"({"$set": {"a.1": 5}})", R"({"_id": 1, "a": [1, 2]})"),
              canonical(R"({"sa": {"a": true, "u1": 5}})"));
    EXPECT_EQ(logged(R"({"$set": {"a.0.b": 5}})", R"({"_id": 1, "a": [{"b": 1}]})"),
              canonical(R"({"sa": {"a": true, "s0": {"u": {"b": 5}}}})"));
    EXPECT_EQ(logged(R"({"$inc": {"a.$[]": 1}})", R"({"_id": 1, "a": [1, 2]})"),
              canonical(R"({"sa": {"a": true, "u0": 2, "u1": 3}})"));
}

TEST(OperatorDelta, ANewElementPastTheEndIsAnUpdateAtItsIndex) {
    EXPECT_EQ(logged(R"({"$set": {"a.3": 5}})", R"({"_id": 1, "a": [1]})"),
              canonical(R"({"sa": {"a": true, "u3": 5}})"));
    EXPECT_EQ(logged(R"({"$set": {"a.2.b": 1}})", R"({"_id": 1, "a": [1]})"),
              canonical(R"({"sa": {"a": true, "u2": {"b": 1}}})"));
}

TEST(OperatorDelta, UnsetOfAnArrayElementSetsItToNull) {
    EXPECT_EQ(logged(R"({"$unset": {"a.0": 1}})", R"({"_id": 1, "a": [1, 2]})"),
              canonical(R"({"sa": {"a": true, "u0": null}})"));
}

TEST(OperatorDelta, PushAppendingLogsTheNewElementsOnly) {
    EXPECT_EQ(logged(R"({"$push": {"a": 3}})", R"({"_id": 1, "a": [1, 2]})"),
              canonical(R"({"sa": {"a": true, "u2": 3}})"));
    EXPECT_EQ(logged(R"({"$push": {"a": {"$each": [3, 4]}}})", R"({"_id": 1, "a": [1]})"),
              canonical(R"({"sa": {"a": true, "u1": 3, "u2": 4}})"));
}

TEST(OperatorDelta, PushThatReordersOrStartsTheArrayLogsTheWholeArray) {
    EXPECT_EQ(logged(R"({"$push": {"a": 3}})", R"({"_id": 1, "a": []})"),
              canonical(R"({"u": {"a": [3]}})"));
    EXPECT_EQ(logged(R"({"$push": {"a": {"$each": [0], "$sort": 1}}})", R"({"_id": 1, "a": [1]})"),
              canonical(R"({"u": {"a": [0, 1]}})"));
    EXPECT_EQ(
        logged(R"({"$push": {"a": {"$each": [0], "$position": 0}}})", R"({"_id": 1, "a": [1]})"),
        canonical(R"({"u": {"a": [0, 1]}})"));
    EXPECT_EQ(logged(R"({"$push": {"a": 3}})", R"({"_id": 1})"), canonical(R"({"i": {"a": [3]}})"));
}

TEST(OperatorDelta, ArrayRemovalsLogTheWholeArray) {
    EXPECT_EQ(logged(R"({"$pop": {"a": 1}})", R"({"_id": 1, "a": [1, 2]})"),
              canonical(R"({"u": {"a": [1]}})"));
    EXPECT_EQ(logged(R"({"$pull": {"a": 1}})", R"({"_id": 1, "a": [1, 2]})"),
              canonical(R"({"u": {"a": [2]}})"));
}

TEST(OperatorDelta, RenameSetsTheTargetAndDeletesTheSource) {
    EXPECT_EQ(logged(R"({"$rename": {"a": "b"}})", R"({"_id": 1, "a": 1})"),
              canonical(R"({"d": {"a": false}, "i": {"b": 1}})"));
}

TEST(OperatorDelta, FilteredPositionalUpdatesOnlyTheMatchedElements) {
    EXPECT_EQ(logged(R"({"$set": {"a.$[x].v": 0}})", R"({"_id": 1, "a": [{"v": 1}, {"v": 5}]})",
                     R"({"f": [{"x.v": {"$gt": 2}}]})"),
              canonical(R"({"sa": {"a": true, "s1": {"u": {"v": 0}}}})"));
}

// show_raw_update_description.js, "Testing pipeline-style update with $set".
std::string big(size_t n) {
    return std::string(n, '*');
}

Document with_strings(std::string json) {
    for (auto [marker, size] : {std::pair{"GIANT", 1024}, {"MEDIUM", 128}, {"SMALL", 32}}) {
        for (size_t at = json.find(marker); at != std::string::npos; at = json.find(marker)) {
            json.replace(at, std::strlen(marker), big(size));
        }
    }
    return Document::from_json(json);
}

std::optional<Document> image_delta(const Document& pre, const Document& post) {
    std::string pre_bytes = pre.to_bytes(), post_bytes = post.to_bytes();
    bson_t pre_view, post_view;
    bson_init_static(&pre_view, reinterpret_cast<const uint8_t*>(pre_bytes.data()),
                     pre_bytes.size());
    bson_init_static(&post_view, reinterpret_cast<const uint8_t*>(post_bytes.data()),
                     post_bytes.size());
    return compute_delta(pre_view, post_view);
}

TEST(ImageDelta, PipelineSetDiffsArraysAndSubdocuments) {
    Document pre = with_strings(
        R"({"_id": 100, "a": 1, "b": 2, "arrayForSubdiff": ["GIANT", {"a": "MEDIUM"}, 1, 2, 3],
            "arrayForReplacement": [0, 1, 2, 3], "giantStr": "GIANT"})");
    Document post = with_strings(
        R"({"_id": 100, "a": 2, "b": 2, "arrayForSubdiff": ["GIANT", {"a": "MEDIUM", "b": 3}],
            "arrayForReplacement": [0], "giantStr": "GIANT", "c": 3})");
    auto delta = image_delta(pre, post);
    ASSERT_TRUE(delta);
    EXPECT_EQ(delta->to_json(),
              canonical(R"({"u": {"a": 2, "arrayForReplacement": [0]}, "i": {"c": 3},
                            "sarrayForSubdiff": {"a": true, "l": 2, "s1": {"i": {"b": 3}}}})"));
    EXPECT_EQ(apply_delta(pre, *delta).to_json(), post.to_json());
}

TEST(ImageDelta, RemovedFieldsAreDeletedInMongodsOrder) {
    Document pre = with_strings(
        R"({"_id": 100, "b": 2, "arrayForSubdiff": ["GIANT"], "arrayForReplacement": [0],
            "giantStr": "GIANT", "c": 3})");
    Document post = with_strings(R"({"_id": 100, "giantStr": "GIANT"})");
    auto delta = image_delta(pre, post);
    ASSERT_TRUE(delta);
    EXPECT_EQ(delta->to_json(), canonical(R"({"d": {"c": false, "arrayForReplacement": false,
                                  "arrayForSubdiff": false, "b": false}})"));
    EXPECT_EQ(apply_delta(pre, *delta).to_json(), post.to_json());
}

TEST(ImageDelta, NestedModificationsAreSubDiffs) {
    Document pre = with_strings(
        R"({"_id": 100, "giantStr": "GIANT", "arr": [{"x": 1, "y": "SMALL"}, "MEDIUM"],
            "arr_a": [1, "MEDIUM"], "arr_b": [[1, "SMALL"], "MEDIUM"],
            "arr_c": [["SMALL", 1, 2, 3], "MEDIUM"],
            "obj": {"x": {"a": 1, "b": 1, "c": ["MEDIUM", 1, 2, 3], "str": "MEDIUM"}},
            "a": "updated", "doc": {"a": {"0": "foo"}}})");
    Document post = with_strings(
        R"({"_id": 100, "giantStr": "GIANT", "arr": [{"y": "SMALL"}, "MEDIUM"],
            "arr_a": [2, "MEDIUM"], "arr_b": [[2, "SMALL"], "MEDIUM"],
            "arr_c": [["SMALL"], "MEDIUM"],
            "obj": {"x": {"b": 2, "c": ["MEDIUM"], "str": "MEDIUM"}}})");
    auto delta = image_delta(pre, post);
    ASSERT_TRUE(delta);
    EXPECT_EQ(delta->to_json(), canonical(R"({"d": {"a": false, "doc": false},
                            "sarr": {"a": true, "s0": {"d": {"x": false}}},
                            "sarr_a": {"a": true, "u0": 2},
                            "sarr_b": {"a": true, "s0": {"a": true, "u0": 2}},
                            "sarr_c": {"a": true, "s0": {"a": true, "l": 1}},
                            "sobj": {"sx": {"d": {"a": false}, "u": {"b": 2},
                                            "sc": {"a": true, "l": 1}}}})"));
    EXPECT_EQ(apply_delta(pre, *delta).to_json(), post.to_json());
}

TEST(ImageDelta, NoDeltaWhenItIsNotSmallerThanTheDocument) {
    // mongod then logs the pipeline update as a replacement.
    EXPECT_FALSE(image_delta(Document::from_json(R"({"_id": 1, "a": 1})"),
                             Document::from_json(R"({"_id": 1, "a": 2})")));
}

TEST(ApplyDelta, InsertsMoveToTheEndAndMissingUpdatesAreAppended) {
    Document pre = Document::from_json(R"({"_id": 1, "a": 1, "b": 2})");
    Document delta = Document::from_json(R"({"u": {"z": 9}, "i": {"a": 3}})");
    EXPECT_EQ(apply_delta(pre, delta).to_json(),
              canonical(R"({"_id": 1, "b": 2, "z": 9, "a": 3})"));
}

TEST(ApplyDelta, ArrayUpdatesPastTheEndPadWithNull) {
    Document pre = Document::from_json(R"({"_id": 1, "a": [1]})");
    Document delta = Document::from_json(R"({"sa": {"a": true, "u3": 4}})");
    EXPECT_EQ(apply_delta(pre, delta).to_json(),
              canonical(R"({"_id": 1, "a": [1, null, null, 4]})"));
}

TEST(ApplyDelta, UnknownSectionIsAnError) {
    Document pre = Document::from_json(R"({"_id": 1})");
    EXPECT_THROW(apply_delta(pre, Document::from_json(R"({"x": {}})")), MongoError);
}

}  // namespace
}  // namespace tmd
