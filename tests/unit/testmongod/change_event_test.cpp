// Change events: each operationType's fields and order per version profile, and
// updateDescription computed like mongod's $v:2 delta (expected values from mongod's jstests
// change_stream_show_expanded_events_update_description.js and doc_diff tests).
#include "server/change_event.h"

#include <gtest/gtest.h>

namespace tmd {
namespace {

StoredDoc stored(const std::string& json) {
    return std::make_shared<const std::string>(Document::from_json(json).to_bytes());
}

std::vector<std::string> field_names(const Document& doc) {
    std::vector<std::string> names;
    for (const auto& field : doc.fields())
        names.push_back(field.name);
    return names;
}

OplogEntry entry_of(ChangeKind kind) {
    OplogEntry entry;
    entry.kind = kind;
    entry.time = ClusterTime{1700000000, 3};
    entry.wall_time_ms = 1700000000123;
    entry.db = "shop";
    entry.coll = "orders";
    entry.uuid = CollectionUuid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    return entry;
}

const EventFormat kSeven{2, true, true, false, false};
const EventFormat kSevenExpanded{2, true, true, true, true};
const EventFormat kFourFour{1, false, false, false, false};

Document update_description(const std::string& pre, const std::string& post,
                            const EventFormat& format = kSeven) {
    return describe_update(stored(pre), stored(post), format);
}

TEST(ChangeEvent, InsertHasFullDocumentAndDocumentKeyInMongodOrder) {
    OplogEntry entry = entry_of(ChangeKind::Insert);
    entry.document_key = stored(R"({"_id": 1})");
    entry.post_image = stored(R"({"_id": 1, "a": "x"})");
    Document event = make_change_event(entry, kSeven);
    EXPECT_EQ(field_names(event),
              (std::vector<std::string>{"_id", "operationType", "clusterTime", "wallTime",
                                        "fullDocument", "ns", "documentKey"}));
    EXPECT_EQ(event.get("operationType")->str(), "insert");
    EXPECT_EQ(event.get("clusterTime")->type(), BSON_TYPE_TIMESTAMP);
    EXPECT_EQ(event.get("wallTime")->type(), BSON_TYPE_DATE_TIME);
    EXPECT_EQ(event.get("ns")->to_json(), R"({ "db" : "shop", "coll" : "orders" })");
    EXPECT_EQ(event.get("fullDocument")->to_json(), R"({ "_id" : 1, "a" : "x" })");
}

TEST(ChangeEvent, FourFourProfileHasNoWallTime) {
    OplogEntry entry = entry_of(ChangeKind::Delete);
    entry.document_key = stored(R"({"_id": 1})");
    Document event = make_change_event(entry, kFourFour);
    EXPECT_EQ(field_names(event), (std::vector<std::string>{"_id", "operationType", "clusterTime",
                                                            "ns", "documentKey"}));
}

TEST(ChangeEvent, ExpandedEventsAddCollectionUuidAfterClusterTime) {
    OplogEntry entry = entry_of(ChangeKind::Replace);
    entry.document_key = stored(R"({"_id": 1})");
    entry.post_image = stored(R"({"_id": 1, "b": 2})");
    Document event = make_change_event(entry, kSevenExpanded);
    EXPECT_EQ(field_names(event),
              (std::vector<std::string>{"_id", "operationType", "clusterTime", "collectionUUID",
                                        "wallTime", "fullDocument", "ns", "documentKey"}));
    const Value* uuid = event.get("collectionUUID");
    ASSERT_EQ(uuid->type(), BSON_TYPE_BINARY);
    EXPECT_EQ(std::get<Binary>(uuid->payload()).subtype, BSON_SUBTYPE_UUID);
}

TEST(ChangeEvent, UpdateHasUpdateDescriptionLast) {
    OplogEntry entry = entry_of(ChangeKind::Update);
    entry.document_key = stored(R"({"_id": 1})");
    entry.pre_image = stored(R"({"_id": 1, "a": 1})");
    entry.post_image = stored(R"({"_id": 1, "a": 2})");
    Document event = make_change_event(entry, kSeven);
    EXPECT_EQ(field_names(event).back(), "updateDescription");
    EXPECT_EQ(
        event.get("updateDescription")->to_json(),
        R"({ "updatedFields" : { "a" : 2 }, "removedFields" : [  ], "truncatedArrays" : [  ] })");
}

TEST(ChangeEvent, RenameReportsTargetBeforeIdAndInOperationDescription) {
    OplogEntry entry = entry_of(ChangeKind::Rename);
    entry.details = stored(R"({"to": {"db": "shop", "coll": "archive"}, "dropTarget": false})");
    Document event = make_change_event(entry, kSevenExpanded);
    EXPECT_EQ(field_names(event), (std::vector<std::string>{
                                      "to", "_id", "operationType", "clusterTime", "collectionUUID",
                                      "wallTime", "ns", "operationDescription"}));
    EXPECT_EQ(event.get("to")->to_json(), R"({ "db" : "shop", "coll" : "archive" })");
}

TEST(ChangeEvent, DropDatabaseHasNoCollectionOrUuid) {
    OplogEntry entry = entry_of(ChangeKind::DropDatabase);
    entry.coll.clear();
    entry.uuid.reset();
    Document event = make_change_event(entry, kSevenExpanded);
    EXPECT_EQ(field_names(event),
              (std::vector<std::string>{"_id", "operationType", "clusterTime", "wallTime", "ns"}));
    EXPECT_EQ(event.get("ns")->to_json(), R"({ "db" : "shop" })");
}

TEST(ChangeEvent, CreateDescribesOptionsAndIdIndex) {
    OplogEntry entry = entry_of(ChangeKind::Create);
    entry.details = stored(R"({"collectionOptions": {"capped": true, "size": 4096}})");
    Document event = make_change_event(entry, kSevenExpanded);
    EXPECT_EQ(
        event.get("operationDescription")->to_json(),
        R"({ "capped" : true, "size" : 4096, "idIndex" : { "v" : 2, "key" : { "_id" : 1 }, "name" : "_id_" } })");
}

TEST(ChangeEvent, InvalidateCarriesTheCausingTimeWithALaterToken) {
    OplogEntry entry = entry_of(ChangeKind::Drop);
    Document drop = make_change_event(entry, kSeven);
    Document invalidate = make_invalidate_event(entry, kSeven);
    EXPECT_EQ(field_names(invalidate),
              (std::vector<std::string>{"_id", "operationType", "clusterTime", "wallTime"}));
    EXPECT_EQ(invalidate.get("operationType")->str(), "invalidate");
    auto drop_token = ResumeToken::from_value(*drop.get("_id"));
    auto invalidate_token = ResumeToken::from_value(*invalidate.get("_id"));
    EXPECT_LT(drop_token, invalidate_token);
    EXPECT_TRUE(invalidate_token.from_invalidate);
}

TEST(UpdateDescription, NestedChangeIsReportedAtSubfieldWhenSmallerThanTheValue) {
    Document d =
        update_description(R"({"_id": 1, "a": {"b": 1, "big": "xxxxxxxxxxxxxxxxxxxxxxxx"}})",
                           R"({"_id": 1, "a": {"b": 2, "big": "xxxxxxxxxxxxxxxxxxxxxxxx"}})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "a.b" : 2 })");
}

TEST(UpdateDescription, SmallSubdocumentIsReplacedWhole) {
    // The sub-diff {u: {b: 2}} (20 bytes) is not smaller than {b: 2} (12 bytes).
    Document d = update_description(R"({"_id": 1, "a": {"b": 1}})", R"({"_id": 1, "a": {"b": 2}})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "a" : { "b" : 2 } })");
}

TEST(UpdateDescription, RemovedAndAddedFields) {
    Document d =
        update_description(R"({"_id": 1, "a": 1, "b": 2})", R"({"_id": 1, "b": 2, "c": 3})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "c" : 3 })");
    EXPECT_EQ(d.get("removedFields")->to_json(), R"([ "a" ])");
}

TEST(UpdateDescription, ArrayTruncationIsReported) {
    std::string big = std::string(R"(")") + std::string(128, '*') + R"(")";
    Document d = update_description(R"({"_id": 1, "arr": [)" + big + R"(, 1]})",
                                    R"({"_id": 1, "arr": [)" + big + R"(]})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), "{  }");
    EXPECT_EQ(d.get("truncatedArrays")->to_json(), R"([ { "field" : "arr", "newSize" : 1 } ])");
}

TEST(UpdateDescription, AppendedArrayElementIsReportedByIndex) {
    std::string big = std::string(R"(")") + std::string(64, '*') + R"(")";
    Document d = update_description(R"({"_id": 1, "arr": [)" + big + R"(]})",
                                    R"({"_id": 1, "arr": [)" + big + R"(, 7]})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "arr.1" : 7 })");
}

TEST(UpdateDescription, ArrayChangedEverywhereIsReplacedWhole) {
    Document d =
        update_description(R"({"_id": 1, "arr": [1, 2, 3]})", R"({"_id": 1, "arr": [4, 5, 6]})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "arr" : [ 4, 5, 6 ] })");
}

TEST(UpdateDescription, FourFourHasNoTruncatedArraysAndSetsTheWholeArray) {
    std::string big = std::string(R"(")") + std::string(128, '*') + R"(")";
    Document d = update_description(R"({"_id": 1, "arr": [)" + big + R"(, 1]})",
                                    R"({"_id": 1, "arr": [)" + big + R"(]})", kFourFour);
    EXPECT_EQ(d.get("truncatedArrays"), nullptr);
    ASSERT_NE(d.get("updatedFields")->doc().get("arr"), nullptr);
}

TEST(UpdateDescription, DisambiguatedPathsIsEmptyWithoutAmbiguity) {
    Document d =
        update_description(R"({"_id": 1, "a": 1})", R"({"_id": 1, "a": 2})", kSevenExpanded);
    EXPECT_EQ(d.get("disambiguatedPaths")->to_json(), "{  }");
}

TEST(UpdateDescription, DottedAndNumericFieldNamesAreDisambiguated) {
    Document d = update_description(
        R"({"_id": 1, "o": {"0": {"1": "n", "f": "xxxxxxxxxxxxxxxxxxxxxxxxxx"}}})",
        R"({"_id": 1, "o": {"0": {"1": "u", "f": "xxxxxxxxxxxxxxxxxxxxxxxxxx"}}, "new.Field.": 1})",
        kSevenExpanded);
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "new.Field." : 1, "o.0.1" : "u" })");
    EXPECT_EQ(d.get("disambiguatedPaths")->to_json(),
              R"({ "new.Field." : [ "new.Field." ], "o.0.1" : [ "o", "0", "1" ] })");
}

TEST(UpdateDescription, ArrayIndexesAloneAreNotAmbiguousButAreIntegersInPaths) {
    std::string big = std::string(R"(")") + std::string(64, '*') + R"(")";
    Document plain =
        update_description(R"({"_id": 1, "a": [[)" + big + R"(, 1]]})",
                           R"({"_id": 1, "a": [[)" + big + R"(, 2]]})", kSevenExpanded);
    EXPECT_EQ(plain.get("updatedFields")->to_json(), R"({ "a.0.1" : 2 })");
    EXPECT_EQ(plain.get("disambiguatedPaths")->to_json(), "{  }");
    Document dotted =
        update_description(R"({"_id": 1, "a.b": [)" + big + R"(, 1]})",
                           R"({"_id": 1, "a.b": [)" + big + R"(, 2]})", kSevenExpanded);
    EXPECT_EQ(dotted.get("disambiguatedPaths")->to_json(), R"({ "a.b.1" : [ "a.b", 1 ] })");
}

}  // namespace
}  // namespace tmd
