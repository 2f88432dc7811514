// Unit tests: change-event parsing and the event -> idempotent write translation.
// Events are written as MongoDB's Change Events reference shows them.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "bson/document.h"
#include "replicate/change_event.h"
#include "replicate/write_model.h"

namespace tributary::replicate {
namespace {

ChangeEvent event_from(const std::string& json) {
    bson::Document doc = bson::Document::from_json(json);
    return ChangeEvent::parse(doc.view());
}

void expect_json(const bson_t* actual, const std::string& expected_json) {
    bson::Document expected = bson::Document::from_json(expected_json);
    EXPECT_TRUE(bson::byte_equal(actual, expected.view()))
        << "actual:   " << bson::to_json(actual) << "\nexpected: " << expected.to_json();
}

const std::string kToken = R"("_id": {"_data": "8263A1"})";

// Found by tests/fuzz/fuzz_change_event: an update event whose truncatedArrays entry is a
// document without its terminating byte (the enclosing documents' lengths still agree) aborted
// the process inside libbson; a malformed event is refused with std::invalid_argument.
TEST(ReplicateChangeEvent, MalformedEmbeddedDocumentIsRefused) {
    const std::string hex =
        "5e010000035f69640015000000025f64617461000500000038323633000011636c757374657254696d650001"
        "00000000f15365036e73002100000002646200040000006170700002636f6c6c000600000075736572730000"
        "03646f63756d656e744b6579000e000000105f6964000100000000026f7065726174696f6e54797065000700"
        "000075706461746500037570646174654465736372697074696f6e00bd00000003757064617465644669656c"
        "6473001d00000010612e6200020000000363000c0000001064000100000000000472656d6f7665644669656c"
        "6473000e00000002300002000000650000047472756e63617465644172726179730029000000033000210000"
        "00026669656c64000400000061727200106e657753697a650001000000300003646973616d62696775617465"
        "645061746873002100000004612e62001700000002300002000000610002310002000000620000000000";
    std::string bytes;
    for (size_t i = 0; i < hex.size(); i += 2) {
        bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    bson::Document event(
        bson_new_from_data(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    ASSERT_NE(event.view(), nullptr);
    EXPECT_THROW(ChangeEvent::parse(event.view()), std::invalid_argument);
}

TEST(ReplicateChangeEvent, ParsesNamespaceKeyTimeAndToken) {
    ChangeEvent event = event_from("{" + kToken + R"(, "operationType": "insert",
        "clusterTime": {"$timestamp": {"t": 100, "i": 7}},
        "fullDocument": {"_id": 1, "name": "a"}, "ns": {"db": "shop", "coll": "users"},
        "documentKey": {"_id": 1}})");
    EXPECT_EQ(event.type(), OperationType::kInsert);
    EXPECT_EQ(event.ns(), (Namespace{"shop", "users"}));
    EXPECT_EQ(event.cluster_time(), (bson::Timestamp{100, 7}));
    EXPECT_TRUE(event.is_data_event());
    expect_json(event.resume_token(), R"({"_data": "8263A1"})");
    expect_json(event.document_key(), R"({"_id": 1})");
    expect_json(event.full_document(), R"({"_id": 1, "name": "a"})");
}

// The event is read in one pass: fields in any order, unknown ones and unexpected types
// skipped, the incarnation and the DDL description kept.
TEST(ReplicateChangeEvent, ReadsFieldsInAnyOrderAndSkipsUnknownOnes) {
    ChangeEvent event = event_from(R"({"wallTime": {"$date": 0}, "operationType": "create",
        "collectionUUID": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}},
        "operationDescription": {"idIndex": {"v": 2}}, "ns": {"coll": "c", "db": "d", "x": 1},
        "txnNumber": 3, "fullDocument": 5, )" +
                                   kToken + "}");
    EXPECT_EQ(event.type(), OperationType::kCreate);
    EXPECT_EQ(event.ns(), (Namespace{"d", "c"}));
    EXPECT_EQ(event.collection_uuid().size(), 16u);
    EXPECT_EQ(event.collection_uuid()[15], '\x0f');
    expect_json(event.operation_description(), R"({"idIndex": {"v": 2}})");
    expect_json(event.resume_token(), R"({"_data": "8263A1"})");
    EXPECT_EQ(event.full_document(), nullptr);
    EXPECT_FALSE(event.transaction().has_value());  // a txnNumber without an lsid
}

TEST(ReplicateChangeEvent, RenameCarriesTargetNamespaceAndIsCatalogEvent) {
    ChangeEvent event = event_from("{" + kToken + R"(, "operationType": "rename",
        "ns": {"db": "shop", "coll": "a"}, "to": {"db": "shop", "coll": "b"}})");
    EXPECT_EQ(event.type(), OperationType::kRename);
    ASSERT_TRUE(event.to().has_value());
    EXPECT_EQ(event.to()->full(), "shop.b");
    EXPECT_TRUE(event.is_catalog_event());
}

TEST(ReplicateChangeEvent, NewOperationTypesAreCatalogBarriers) {
    ChangeEvent event = event_from("{" + kToken + R"(, "operationType": "reshardCollection",
        "ns": {"db": "shop", "coll": "a"}})");
    EXPECT_EQ(event.type(), OperationType::kUnknown);
    EXPECT_EQ(event.type_name(), "reshardCollection");
    EXPECT_TRUE(event.is_catalog_event());
}

TEST(ReplicateChangeEvent, EventsOfATransactionNameItByLsidAndTxnNumber) {
    const std::string insert = "{" + kToken + R"(, "operationType": "insert",
        "ns": {"db": "shop", "coll": "orders"}, "documentKey": {"_id": 1},
        "fullDocument": {"_id": 1})";
    const std::string lsid = R"("lsid": {"id": {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==",
        "subType": "04"}}, "uid": {"$binary": {"base64": "", "subType": "00"}}})";
    ChangeEvent first =
        event_from(insert + ", " + lsid + R"(, "txnNumber": {"$numberLong": "3"}})");
    ChangeEvent second =
        event_from(insert + ", " + lsid + R"(, "txnNumber": {"$numberLong": "3"}})");
    ChangeEvent next = event_from(insert + ", " + lsid + R"(, "txnNumber": {"$numberLong": "4"}})");
    ASSERT_TRUE(first.transaction().has_value());
    EXPECT_EQ(first.transaction()->txn_number, 3);
    EXPECT_EQ(first.transaction(), second.transaction());
    EXPECT_NE(first.transaction(), next.transaction());
    EXPECT_FALSE(event_from(insert + "}").transaction().has_value());
}

TEST(ReplicateChangeEvent, EventWithoutResumeTokenIsRejected) {
    EXPECT_THROW(event_from(R"({"operationType": "insert", "documentKey": {"_id": 1}})"),
                 std::invalid_argument);
}

TEST(ReplicateChangeEvent, DataEventWithoutDocumentKeyIsRejected) {
    EXPECT_THROW(event_from("{" + kToken + R"(, "operationType": "delete",
        "ns": {"db": "d", "coll": "c"}})"),
                 std::invalid_argument);
}

TEST(ReplicateWriteModel, InsertBecomesInsertOfTheFullDocument) {
    Translation t = translate(event_from("{" + kToken + R"(, "operationType": "insert",
        "fullDocument": {"_id": 1, "sku": "x", "qty": 2}, "ns": {"db": "d", "coll": "c"},
        "documentKey": {"sku": "x", "_id": 1}})"));
    ASSERT_EQ(t.ops.size(), 1u);
    EXPECT_EQ(t.ops[0].kind, WriteKind::kInsert);
    expect_json(t.ops[0].filter.view(), R"({"_id": 1})");
    expect_json(t.ops[0].body.view(), R"({"_id": 1, "sku": "x", "qty": 2})");
}

TEST(ReplicateWriteModel, UpdateBecomesSetAndUnsetWithoutUpsert) {
    Translation t = translate(event_from("{" + kToken + R"(, "operationType": "update",
        "ns": {"db": "d", "coll": "c"}, "documentKey": {"_id": 1},
        "updateDescription": {"updatedFields": {"age": 31, "address.city": "Oslo"},
                              "removedFields": ["nickname"], "truncatedArrays": []}})"));
    ASSERT_EQ(t.ops.size(), 1u);
    EXPECT_FALSE(t.needs_current_document);
    EXPECT_EQ(t.ops[0].kind, WriteKind::kUpdate);
    EXPECT_FALSE(t.ops[0].upsert);
    expect_json(t.ops[0].body.view(),
                R"({"$set": {"age": 31, "address.city": "Oslo"}, "$unset": {"nickname": ""}})");
}

TEST(ReplicateWriteModel, TruncatedArraysAreAppliedBeforeTheSets) {
    Translation t = translate(event_from("{" + kToken + R"(, "operationType": "update",
        "ns": {"db": "d", "coll": "c"}, "documentKey": {"_id": 1},
        "updateDescription": {"updatedFields": {"tags.1": "z"}, "removedFields": [],
                              "truncatedArrays": [{"field": "tags", "newSize": 2}]}})"));
    ASSERT_EQ(t.ops.size(), 2u);
    expect_json(t.ops[0].body.view(), R"({"$push": {"tags": {"$each": [], "$slice": 2}}})");
    expect_json(t.ops[1].body.view(), R"({"$set": {"tags.1": "z"}})");
    EXPECT_FALSE(t.ops[0].upsert);
}

TEST(ReplicateWriteModel, UpdateThatChangesNothingWritesNothing) {
    Translation t = translate(event_from("{" + kToken + R"(, "operationType": "update",
        "ns": {"db": "d", "coll": "c"}, "documentKey": {"_id": 1},
        "updateDescription": {"updatedFields": {}, "removedFields": []}})"));
    EXPECT_TRUE(t.ops.empty());
    EXPECT_FALSE(t.needs_current_document);
}

TEST(ReplicateWriteModel, DollarPrefixedPathNeedsCurrentDocument) {
    Translation t = translate(event_from("{" + kToken + R"(, "operationType": "update",
        "ns": {"db": "d", "coll": "c"}, "documentKey": {"_id": 1},
        "updateDescription": {"updatedFields": {"$price": 3}, "removedFields": []}})"));
    EXPECT_TRUE(t.ops.empty());
    EXPECT_TRUE(t.needs_current_document);
}

TEST(ReplicateWriteModel, DottedFieldNameInsideValueNeedsCurrentDocument) {
    Translation t = translate(event_from("{" + kToken + R"(, "operationType": "update",
        "ns": {"db": "d", "coll": "c"}, "documentKey": {"_id": 1},
        "updateDescription": {"updatedFields": {"meta": {"list": [{"a.b": 1}]}},
                              "removedFields": []}})"));
    EXPECT_TRUE(t.needs_current_document);
}

// disambiguatedPaths (6.1+, showExpandedEvents) lists only the ambiguous paths, each as its
// components: field names as strings, array indexes as int32 (MongoDB Change Events reference,
// UpdateDescription.disambiguatedPaths).
Translation update_with_paths(const std::string& description) {
    return translate(event_from("{" + kToken + R"(, "operationType": "update",
        "ns": {"db": "d", "coll": "c"}, "documentKey": {"_id": 1},
        "updateDescription": )" +
                                description + "}"));
}

TEST(ReplicateWriteModel, EmptyDisambiguatedPathsAreAppliedAsSetAndUnset) {
    Translation t = update_with_paths(R"({"updatedFields": {"a.b": 1}, "removedFields": ["c"],
        "truncatedArrays": [], "disambiguatedPaths": {}})");
    EXPECT_FALSE(t.needs_current_document);
    ASSERT_EQ(t.ops.size(), 1u);
    expect_json(t.ops[0].body.view(), R"({"$set": {"a.b": 1}, "$unset": {"c": ""}})");
}

TEST(ReplicateWriteModel, DottedFieldNameNeedsCurrentDocument) {
    Translation t = update_with_paths(R"({"updatedFields": {"x.y": 1, "a.b": 2},
        "removedFields": [], "truncatedArrays": [], "disambiguatedPaths": {"a.b": ["a.b"]}})");
    EXPECT_TRUE(t.needs_current_document);
    EXPECT_TRUE(t.ops.empty());
}

TEST(ReplicateWriteModel, RemovedDottedFieldNameNeedsCurrentDocument) {
    Translation t = update_with_paths(R"({"updatedFields": {}, "removedFields": ["m.k.z"],
        "truncatedArrays": [], "disambiguatedPaths": {"m.k.z": ["m", "k.z"]}})");
    EXPECT_TRUE(t.needs_current_document);
}

TEST(ReplicateWriteModel, NumericFieldNameIsAppliedAtItsPath) {
    Translation t = update_with_paths(R"({"updatedFields": {"a.0": 1, "x.y": 2},
        "removedFields": ["m.7"], "truncatedArrays": [],
        "disambiguatedPaths": {"a.0": ["a", "0"], "m.7": ["m", "7"]}})");
    EXPECT_FALSE(t.needs_current_document);
    ASSERT_EQ(t.ops.size(), 1u);
    expect_json(t.ops[0].body.view(), R"({"$set": {"a.0": 1, "x.y": 2}, "$unset": {"m.7": ""}})");
}

TEST(ReplicateWriteModel, ArrayIndexInAnAmbiguousPathNeedsCurrentDocument) {
    Translation t = update_with_paths(R"({"updatedFields": {"a.0.1": 1}, "removedFields": [],
        "truncatedArrays": [], "disambiguatedPaths": {"a.0.1": ["a", {"$numberInt": "0"}, "1"]}})");
    EXPECT_TRUE(t.needs_current_document);
}

TEST(ReplicateWriteModel, AmbiguousUpdateWithLookedUpDocumentReplacesWithIt) {
    Translation t = translate(event_from("{" + kToken + R"(, "operationType": "update",
        "ns": {"db": "d", "coll": "c"}, "documentKey": {"_id": 1},
        "fullDocument": {"_id": 1, "a.b": 2},
        "updateDescription": {"updatedFields": {"a.b": 2}, "removedFields": [],
            "disambiguatedPaths": {"a.b": ["a.b"]}}})"));
    ASSERT_EQ(t.ops.size(), 1u);
    EXPECT_FALSE(t.needs_current_document);
    EXPECT_EQ(t.ops[0].kind, WriteKind::kReplace);
    expect_json(t.ops[0].body.view(), R"({"_id": 1, "a.b": 2})");
}

TEST(ReplicateWriteModel, ReplaceBecomesReplaceWithUpsert) {
    Translation t = translate(event_from("{" + kToken + R"(, "operationType": "replace",
        "ns": {"db": "d", "coll": "c"}, "documentKey": {"_id": "k"},
        "fullDocument": {"_id": "k", "v": 2}})"));
    ASSERT_EQ(t.ops.size(), 1u);
    EXPECT_EQ(t.ops[0].kind, WriteKind::kReplace);
    EXPECT_TRUE(t.ops[0].upsert);
}

TEST(ReplicateWriteModel, DeleteFiltersOnlyById) {
    Translation t = translate(event_from("{" + kToken + R"(, "operationType": "delete",
        "ns": {"db": "d", "coll": "c"}, "documentKey": {"region": "eu", "_id": 5}})"));
    ASSERT_EQ(t.ops.size(), 1u);
    EXPECT_EQ(t.ops[0].kind, WriteKind::kDelete);
    expect_json(t.ops[0].filter.view(), R"({"_id": 5})");
}

}  // namespace
}  // namespace tributary::replicate
