// Change events: each operationType's fields and order per version profile, and
// updateDescription read from the entry's $v:2 delta as change_stream_document_diff_parser.cpp
// does (expected values from mongod's jstests and the disambiguatedPaths spec tests).
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

Document update_description(const std::string& delta, const EventFormat& format = kSeven,
                            const std::string& post = "{}") {
    return describe_update(Document::from_json(delta), Document::from_json(post), format);
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
    entry.delta = stored(R"({"u": {"a": 2}})");
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

TEST(UpdateDescription, SubDiffsAreReportedAsDottedPaths) {
    Document d = update_description(R"({"sb": {"i": {"d": 2}}})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "b.d" : 2 })");
}

TEST(UpdateDescription, UpdatesAndInsertsThenDeletesThenSubDiffs) {
    Document d = update_description(
        R"({"d": {"a": false}, "u": {"b": 1}, "i": {"c": 3}, "sx": {"d": {"y": false}}})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "b" : 1, "c" : 3 })");
    EXPECT_EQ(d.get("removedFields")->to_json(), R"([ "a", "x.y" ])");
}

TEST(UpdateDescription, ArrayTruncationIsReported) {
    Document d = update_description(R"({"sarr": {"a": true, "l": 1}})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), "{  }");
    EXPECT_EQ(d.get("truncatedArrays")->to_json(), R"([ { "field" : "arr", "newSize" : 1 } ])");
}

TEST(UpdateDescription, ArrayElementsAreReportedByIndex) {
    Document d = update_description(R"({"sarr": {"a": true, "u1": 7, "s2": {"u": {"x": 1}}}})");
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "arr.1" : 7, "arr.2.x" : 1 })");
}

TEST(UpdateDescription, FourFourHasNoTruncatedArraysAndSetsTheWholeArray) {
    Document d = update_description(R"({"sarr": {"a": true, "l": 1}})", kFourFour,
                                    R"({"_id": 1, "arr": ["kept"]})");
    EXPECT_EQ(d.get("truncatedArrays"), nullptr);
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "arr" : [ "kept" ] })");
}

TEST(UpdateDescription, DisambiguatedPathsIsEmptyWithoutAmbiguity) {
    Document d = update_description(R"({"u": {"a": 2}})", kSevenExpanded);
    EXPECT_EQ(d.get("disambiguatedPaths")->to_json(), "{  }");
}

// change-streams-disambiguatedPaths.json and change_stream_document_diff_parser.cpp.
TEST(UpdateDescription, DottedAndNumericFieldNamesAreDisambiguated) {
    Document d = update_description(R"({"i": {"new.Field.": 1}, "so": {"s0": {"u": {"1": "u"}}}})",
                                    kSevenExpanded);
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "new.Field." : 1, "o.0.1" : "u" })");
    EXPECT_EQ(d.get("disambiguatedPaths")->to_json(),
              R"({ "new.Field." : [ "new.Field." ], "o.0.1" : [ "o", "0", "1" ] })");
}

TEST(UpdateDescription, ANumericFirstComponentOrALeadingZeroIsNotAmbiguous) {
    Document d = update_description(R"({"u": {"0": 1}, "so": {"u": {"01": 2}}})", kSevenExpanded);
    EXPECT_EQ(d.get("updatedFields")->to_json(), R"({ "0" : 1, "o.01" : 2 })");
    EXPECT_EQ(d.get("disambiguatedPaths")->to_json(), "{  }");
}

TEST(UpdateDescription, ArrayIndexesAloneAreNotAmbiguousButAreIntegersInPaths) {
    Document plain =
        update_description(R"({"sa": {"a": true, "s0": {"a": true, "u1": 2}}})", kSevenExpanded);
    EXPECT_EQ(plain.get("updatedFields")->to_json(), R"({ "a.0.1" : 2 })");
    EXPECT_EQ(plain.get("disambiguatedPaths")->to_json(), "{  }");
    Document indexed =
        update_description(R"({"sa": {"a": true, "s0": {"u": {"1": 2}}}})", kSevenExpanded);
    EXPECT_EQ(indexed.get("disambiguatedPaths")->to_json(), R"({ "a.0.1" : [ "a", 0, "1" ] })");
    Document truncated = update_description(R"({"sa.b": {"a": true, "l": 0}})", kSevenExpanded);
    EXPECT_EQ(truncated.get("disambiguatedPaths")->to_json(), R"({ "a.b" : [ "a.b" ] })");
}

TEST(ChangeEvent, RawUpdateDescriptionIsTheOplogDelta) {
    OplogEntry entry = entry_of(ChangeKind::Update);
    entry.document_key = stored(R"({"_id": 1})");
    entry.delta = stored(R"({"u": {"b": 3}})");
    EventFormat raw = kSeven;
    raw.raw_update_description = true;
    Document event = make_change_event(entry, raw);
    EXPECT_EQ(event.get("updateDescription"), nullptr);
    EXPECT_EQ(event.get("rawUpdateDescription")->to_json(),
              R"({ "$v" : 2, "diff" : { "u" : { "b" : 3 } } })");
}

}  // namespace
}  // namespace tmd
