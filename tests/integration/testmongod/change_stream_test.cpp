// Integration: change streams through libmongoc's mongoc_*_watch, asserting the events, fields,
// resume options and errors MongoDB documents (manual: "Change Events", "Resume a Change
// Stream"). Runs against TRIBUTARY_TEST_SOURCE_URI too; tests that need a testmongod started with
// special flags (4.4 profile, tiny oplog) skip when the server is external.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using namespace std::chrono_literals;
using testsupport::Bson;
using testsupport::Client;
using testsupport::CommandResult;

struct StreamDeleter {
    void operator()(mongoc_change_stream_t* stream) const { mongoc_change_stream_destroy(stream); }
};
using Stream = std::unique_ptr<mongoc_change_stream_t, StreamDeleter>;

// The stream's next event, polling getMore until the deadline; nullopt when none came. An error
// on the stream is reported in *error.
std::optional<Bson> next_event(mongoc_change_stream_t* stream, std::string* error = nullptr,
                               std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    const bson_t* doc = nullptr;
    do {
        if (mongoc_change_stream_next(stream, &doc)) {
            bson_t* copy = bson_copy(doc);
            return Bson::adopt(copy);
        }
        bson_error_t bson_error;
        const bson_t* reply = nullptr;
        if (mongoc_change_stream_error_document(stream, &bson_error, &reply)) {
            if (error) *error = std::to_string(bson_error.code) + ": " + bson_error.message;
            return std::nullopt;
        }
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
}

// Whether the stream has failed, waiting up to a deadline; the error code, or 0.
int stream_error_code(mongoc_change_stream_t* stream) {
    std::string error;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (next_event(stream, &error, 200ms)) continue;
        if (!error.empty()) return std::stoi(error);
    }
    return 0;
}

std::vector<std::string> keys_of(const Bson& doc) {
    std::vector<std::string> keys;
    bson_iter_t iter;
    bson_iter_init(&iter, doc.get());
    while (bson_iter_next(&iter))
        keys.emplace_back(bson_iter_key(&iter));
    return keys;
}

class ChangeStreamTestBase : public ::testing::Test {
  protected:
    void SetUp() override {
        client_ = std::make_unique<Client>(server().uri);
        db_ = testsupport::unique_name("cs");
    }
    void TearDown() override {
        if (client_) client_->run_command(db_, R"({"dropDatabase": 1})");  // none when skipped
    }

    virtual testsupport::TestServer& server() = 0;

    Bson ok(std::string_view json, const std::string& db = "") {
        CommandResult result = client_->run_command(db.empty() ? db_ : db, json);
        EXPECT_TRUE(result.ok) << json << " -> " << result.error;
        return result.reply;
    }
    CommandResult run(std::string_view json) { return client_->run_command(db_, json); }

    Stream watch(const std::string& coll, std::string_view pipeline = "[]",
                 std::string_view opts = R"({"maxAwaitTimeMS": 100})") {
        mongoc_collection_t* collection = client_->collection(db_, coll);
        Bson pipeline_doc =
            Bson::from_json(std::string(R"({"pipeline": )") + std::string(pipeline) + "}");
        Bson opts_doc = Bson::from_json(opts);
        Stream stream(mongoc_collection_watch(collection, pipeline_doc.get(), opts_doc.get()));
        mongoc_collection_destroy(collection);
        return stream;
    }
    Stream watch_database(std::string_view opts = R"({"maxAwaitTimeMS": 100})") {
        mongoc_database_t* database = mongoc_client_get_database(client_->get(), db_.c_str());
        Bson pipeline = Bson::from_json("{}");
        Bson opts_doc = Bson::from_json(opts);
        Stream stream(mongoc_database_watch(database, pipeline.get(), opts_doc.get()));
        mongoc_database_destroy(database);
        return stream;
    }
    Stream watch_cluster(std::string_view opts = R"({"maxAwaitTimeMS": 100})") {
        Bson pipeline = Bson::from_json("{}");
        Bson opts_doc = Bson::from_json(opts);
        return Stream(mongoc_client_watch(client_->get(), pipeline.get(), opts_doc.get()));
    }
    // Opens the stream's cursor (the aggregate runs on the first next) without consuming events.
    void open(mongoc_change_stream_t* stream) {
        const bson_t* doc = nullptr;
        ASSERT_FALSE(mongoc_change_stream_next(stream, &doc));
        bson_error_t error;
        ASSERT_FALSE(mongoc_change_stream_error_document(stream, &error, nullptr)) << error.message;
    }
    Bson expect_event(mongoc_change_stream_t* stream, const std::string& operation_type) {
        std::string error;
        auto event = next_event(stream, &error);
        EXPECT_TRUE(event) << "no " << operation_type << " event: " << error;
        if (!event) return Bson();
        EXPECT_EQ(event->string("operationType"), operation_type) << event->json();
        return *event;
    }
    void insert(const std::string& coll, std::string_view documents) {
        ok(R"({"insert": ")" + coll + R"(", "documents": )" + std::string(documents) + "}");
    }
    // A change stream opened with the aggregate command itself, for $changeStream options
    // libmongoc 1.23 does not pass on: its cursor id.
    std::string open_raw(const std::string& target, std::string_view stage_options) {
        Bson reply = ok(R"({"aggregate": )" + target + R"(, "pipeline": [{"$changeStream": )" +
                        std::string(stage_options) + R"(}], "cursor": {}})");
        return std::to_string(reply.number("cursor.id"));
    }
    // The next `count` events of a stream opened with open_raw, polling getMore to a deadline.
    std::vector<Bson> raw_events(const std::string& cursor, const std::string& coll, size_t count) {
        std::vector<Bson> events;
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (events.size() < count && std::chrono::steady_clock::now() < deadline) {
            Bson more = ok(R"({"getMore": {"$numberLong": ")" + cursor + R"("}, "collection": ")" +
                           coll + R"(", "maxTimeMS": 200})");
            Bson batch = more.document("cursor.nextBatch");
            bson_iter_t iter;
            bson_iter_init(&iter, batch.get());
            while (bson_iter_next(&iter))
                events.push_back(batch.document(bson_iter_key(&iter)));
        }
        return events;
    }
    // Runs an update and returns the update description of the event it produced.
    Bson update_event(const std::string& document, const std::string& update,
                      std::string_view stage_options = "{}") {
        insert("u", "[" + document + "]");
        std::string cursor = open_raw(R"("u")", stage_options);
        ok(R"({"update": "u", "updates": [{"q": {}, "u": )" + update + "}]}");
        std::vector<Bson> events = raw_events(cursor, "u", 1);
        ok(R"({"killCursors": "u", "cursors": [{"$numberLong": ")" + cursor + R"("}]})");
        ok(R"({"drop": "u"})");
        EXPECT_EQ(events.size(), 1u) << update;
        return events.empty() ? Bson() : events[0];
    }

    std::unique_ptr<Client> client_;
    std::string db_;
};

class ChangeStreamTest : public ChangeStreamTestBase {
  protected:
    static void SetUpTestSuite() {
        server_ = new testsupport::TestServer(testsupport::source_uri_or_start());
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    testsupport::TestServer& server() override { return *server_; }
    static testsupport::TestServer* server_;
};
testsupport::TestServer* ChangeStreamTest::server_ = nullptr;

TEST_F(ChangeStreamTest, InsertEventCarriesFullDocumentNamespaceAndKey) {
    ok(R"({"create": "c"})");
    Stream stream = watch("c");
    open(stream.get());
    insert("c", R"([{"_id": 1, "a": "x"}])");
    Bson event = expect_event(stream.get(), "insert");
    EXPECT_EQ(keys_of(event),
              (std::vector<std::string>{"_id", "operationType", "clusterTime", "wallTime",
                                        "fullDocument", "ns", "documentKey"}));
    EXPECT_TRUE(event.has("_id._data"));
    EXPECT_EQ(event.string("fullDocument.a"), "x");
    EXPECT_EQ(event.string("ns.db"), db_);
    EXPECT_EQ(event.string("ns.coll"), "c");
    EXPECT_EQ(event.number("documentKey._id"), 1);
}

TEST_F(ChangeStreamTest, UpdateEventDescribesTheDelta) {
    insert("c", R"([{"_id": 1, "a": 1, "b": 2, "arr": [1, 2, 3]}])");
    Stream stream = watch("c");
    open(stream.get());
    ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 5}, "$unset": {"b": ""}}}]})");
    Bson event = expect_event(stream.get(), "update");
    EXPECT_EQ(event.number("updateDescription.updatedFields.a"), 5);
    EXPECT_EQ(event.string("updateDescription.removedFields.0"), "b");
    EXPECT_TRUE(event.has("updateDescription.truncatedArrays"));
    EXPECT_FALSE(event.has("fullDocument"));
    EXPECT_EQ(event.number("documentKey._id"), 1);
}

// Operator updates are described from the update's own $v:2 delta (jstests/change_streams/
// show_raw_update_description.js): the paths the operators wrote, not a diff of the images.
TEST_F(ChangeStreamTest, OperatorUpdatesReportThePathsTheyWrote) {
    auto described = [&](const std::string& doc, const std::string& update) {
        return update_event(doc, update).document("updateDescription").json();
    };
    auto expected = [](const char* updated, const char* removed = "[]",
                       const char* truncated = "[]") {
        return Bson::from_json(std::string(R"({"updatedFields": )") + updated +
                               R"(, "removedFields": )" + removed + R"(, "truncatedArrays": )" +
                               truncated + "}")
            .json();
    };
    EXPECT_EQ(described(R"({"_id": 8, "a": 2, "b": {"c": 1}})", R"({"$set": {"b.d": 2}})"),
              expected(R"({"b.d": 2})"));
    EXPECT_EQ(described(R"({"_id": 1, "arr": [1, 2, 3]})", R"({"$push": {"arr": 4}})"),
              expected(R"({"arr.3": 4})"));
    EXPECT_EQ(
        described(R"({"_id": 1, "arr": [{"v": 1}, {"v": 2}]})", R"({"$set": {"arr.1.v": 5}})"),
        expected(R"({"arr.1.v": 5})"));
    EXPECT_EQ(described(R"({"_id": 1, "arr": [1, 2, 3]})", R"({"$pop": {"arr": 1}})"),
              expected(R"({"arr": [1, 2]})"));
    EXPECT_EQ(described(R"({"_id": 1, "a": 1, "b": 2})", R"({"$unset": {"a": "", "x": ""}})"),
              expected("{}", R"(["a"])"));
    EXPECT_EQ(described(R"({"_id": 1, "a": 1})", R"({"$rename": {"a": "b"}})"),
              expected(R"({"b": 1})", R"(["a"])"));
}

// Pipeline updates are diffed from the images; a diff not smaller than the document is logged
// as a replacement, so the event is a replace (PipelineExecutor::applyUpdate).
TEST_F(ChangeStreamTest, PipelineUpdatesAreDiffedFromTheImages) {
    std::string giant(1024, '*');
    Bson diffed = update_event(
        R"({"_id": 1, "giant": ")" + giant + R"(", "arr": [")" + giant + R"(", 1, 2]})",
        R"([{"$set": {"arr": {"$slice": ["$arr", 1]}, "c": 3}}])");
    EXPECT_EQ(diffed.string("operationType"), "update");
    EXPECT_EQ(diffed.document("updateDescription").json(),
              Bson::from_json(R"({"updatedFields": {"c": 3}, "removedFields": [],
                                  "truncatedArrays": [{"field": "arr", "newSize": 1}]})")
                  .json());
    Bson replaced = update_event(R"({"_id": 1, "a": 1})", R"([{"$set": {"a": 2}}])");
    EXPECT_EQ(replaced.string("operationType"), "replace");
    EXPECT_EQ(replaced.number("fullDocument.a"), 2);
}

// change-streams-disambiguatedPaths.json: 7.0, with showExpandedEvents.
TEST_F(ChangeStreamTest, NumericFieldNamesAreDisambiguated) {
    Bson event = update_event(R"({"_id": 1, "a": {"1": 1}})", R"({"$set": {"a.1": 2}})",
                              R"({"showExpandedEvents": true})");
    EXPECT_EQ(event.document("updateDescription.disambiguatedPaths").json(),
              Bson::from_json(R"({"a.1": ["a", "1"]})").json());
    Bson indexed = update_event(R"({"_id": 1, "a": [{"1": 1}]})", R"({"$set": {"a.0.1": 2}})",
                                R"({"showExpandedEvents": true})");
    EXPECT_EQ(indexed.document("updateDescription.disambiguatedPaths").json(),
              Bson::from_json(R"({"a.0.1": ["a", {"$numberInt": "0"}, "1"]})").json());
    Bson plain = update_event(R"({"_id": 1, "a": {"1": 1}})", R"({"$set": {"a.1": 2}})");
    EXPECT_FALSE(plain.has("updateDescription.disambiguatedPaths"));
}

// show_raw_update_description.js: the raw delta instead of updateDescription, which
// $_internalApplyOplogUpdate applies to a copy of the document.
TEST_F(ChangeStreamTest, RawUpdateDescriptionAppliesToACopy) {
    const std::string doc = R"({"_id": 8, "a": 2, "b": {"c": 1}, "arr": [1, 2]})";
    Bson event = update_event(doc, R"({"$set": {"b.d": 2}, "$push": {"arr": 3}, "$inc": {"a": 1}})",
                              R"({"showRawUpdateDescription": true})");
    EXPECT_FALSE(event.has("updateDescription"));
    EXPECT_EQ(event.document("rawUpdateDescription").json(),
              Bson::from_json(R"({"$v": 2, "diff": {"u": {"a": 3}, "sarr": {"a": true, "u2": 3},
                                                   "sb": {"i": {"d": 2}}}})")
                  .json());
    insert("copy", "[" + doc + "]");
    ok(R"({"update": "copy", "updates": [{"q": {"_id": 8}, "u": [{"$_internalApplyOplogUpdate":
           {"oplogUpdate": )" +
       event.document("rawUpdateDescription").json() + "}}]}]}");
    Bson found = ok(R"({"find": "copy", "filter": {}})");
    EXPECT_EQ(
        found.document("cursor.firstBatch.0").json(),
        Bson::from_json(R"({"_id": 8, "a": 3, "b": {"c": 1, "d": 2}, "arr": [1, 2, 3]})").json());
}

// $merge whenMatched "merge" is mongod's {$set: <incoming document>}: an operator update.
TEST_F(ChangeStreamTest, MergeIntoAMatchedDocumentIsAnOperatorUpdate) {
    insert("u", R"([{"_id": 1, "a": 1}])");
    insert("src", R"([{"_id": 1, "a": 2}])");
    std::string cursor = open_raw(R"("u")", "{}");
    ok(R"({"aggregate": "src", "pipeline": [{"$merge": {"into": "u", "whenMatched": "merge"}}],
           "cursor": {}})");
    std::vector<Bson> events = raw_events(cursor, "u", 1);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].string("operationType"), "update");
    EXPECT_EQ(events[0].document("updateDescription.updatedFields").json(),
              Bson::from_json(R"({"a": 2})").json());
    ok(R"({"killCursors": "u", "cursors": [{"$numberLong": ")" + cursor + R"("}]})");
}

TEST_F(ChangeStreamTest, MultiUpdateYieldsOneEventPerDocumentInOrder) {
    insert("c", R"([{"_id": 1, "n": 0}, {"_id": 2, "n": 0}, {"_id": 3, "n": 0}])");
    Stream stream = watch("c");
    open(stream.get());
    ok(R"({"update": "c", "updates": [{"q": {}, "u": {"$inc": {"n": 1}}, "multi": true}]})");
    for (int id = 1; id <= 3; ++id) {
        Bson event = expect_event(stream.get(), "update");
        EXPECT_EQ(event.number("documentKey._id"), id);
    }
}

TEST_F(ChangeStreamTest, ReplaceAndDeleteEvents) {
    insert("c", R"([{"_id": 1, "a": 1}])");
    Stream stream = watch("c");
    open(stream.get());
    ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"z": 9}}]})");
    ok(R"({"delete": "c", "deletes": [{"q": {"_id": 1}, "limit": 1}]})");
    Bson replace = expect_event(stream.get(), "replace");
    EXPECT_EQ(replace.number("fullDocument.z"), 9);
    Bson removed = expect_event(stream.get(), "delete");
    EXPECT_EQ(removed.number("documentKey._id"), 1);
    EXPECT_FALSE(removed.has("fullDocument"));
}

TEST_F(ChangeStreamTest, UpdateLookupReturnsTheCurrentDocument) {
    insert("c", R"([{"_id": 1, "a": 1, "keep": "k"}])");
    Stream stream = watch("c", "[]", R"({"maxAwaitTimeMS": 100, "fullDocument": "updateLookup"})");
    open(stream.get());
    ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 2}}}]})");
    Bson event = expect_event(stream.get(), "update");
    EXPECT_EQ(event.number("fullDocument.a"), 2);
    EXPECT_EQ(event.string("fullDocument.keep"), "k");
}

TEST_F(ChangeStreamTest, DropInvalidatesACollectionStream) {
    insert("c", R"([{"_id": 1}])");
    Stream stream = watch("c");
    open(stream.get());
    ok(R"({"drop": "c"})");
    Bson drop = expect_event(stream.get(), "drop");
    EXPECT_EQ(drop.string("ns.coll"), "c");
    Bson invalidate = expect_event(stream.get(), "invalidate");
    EXPECT_EQ(keys_of(invalidate),
              (std::vector<std::string>{"_id", "operationType", "clusterTime", "wallTime"}));
}

TEST_F(ChangeStreamTest, RenameReportsTheTargetAndInvalidates) {
    insert("c", R"([{"_id": 1}])");
    Stream stream = watch("c");
    open(stream.get());
    ok(R"({"renameCollection": ")" + db_ + R"(.c", "to": ")" + db_ + R"(.d"})", "admin");
    Bson rename = expect_event(stream.get(), "rename");
    EXPECT_EQ(rename.string("ns.coll"), "c");
    EXPECT_EQ(rename.string("to.db"), db_);
    EXPECT_EQ(rename.string("to.coll"), "d");
    expect_event(stream.get(), "invalidate");
}

TEST_F(ChangeStreamTest, DatabaseStreamSeesItsCollectionsOnly) {
    Stream stream = watch_database();
    open(stream.get());
    std::string other = testsupport::unique_name("cs_other");
    ok(R"({"insert": "x", "documents": [{"_id": 0}]})", other);
    insert("a", R"([{"_id": 1}])");
    insert("b", R"([{"_id": 2}])");
    EXPECT_EQ(expect_event(stream.get(), "insert").string("ns.coll"), "a");
    EXPECT_EQ(expect_event(stream.get(), "insert").string("ns.coll"), "b");
    ok(R"({"dropDatabase": 1})", other);
}

TEST_F(ChangeStreamTest, DropDatabaseReportsDropsThenDropDatabaseThenInvalidate) {
    insert("a", R"([{"_id": 1}])");
    Stream stream = watch_database();
    open(stream.get());
    ok(R"({"dropDatabase": 1})");
    EXPECT_EQ(expect_event(stream.get(), "drop").string("ns.coll"), "a");
    Bson drop_database = expect_event(stream.get(), "dropDatabase");
    EXPECT_EQ(drop_database.string("ns.db"), db_);
    EXPECT_FALSE(drop_database.has("ns.coll"));
    expect_event(stream.get(), "invalidate");
}

TEST_F(ChangeStreamTest, ClusterStreamSeesEveryDatabase) {
    Stream stream = watch_cluster();
    // Opened as open() does, except that on a shared server (TRIBUTARY_TEST_SOURCE_URI) the
    // first next may already return another test's event; ours come only after the insert.
    const bson_t* other = nullptr;
    mongoc_change_stream_next(stream.get(), &other);
    bson_error_t error;
    ASSERT_FALSE(mongoc_change_stream_error_document(stream.get(), &error, nullptr))
        << error.message;
    insert("c", R"([{"_id": "mine"}])");
    // Other tests may write concurrently on a shared server: look for ours.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    bool seen = false;
    while (!seen && std::chrono::steady_clock::now() < deadline) {
        auto event = next_event(stream.get(), nullptr, 500ms);
        seen = event && event->has("ns.db") && event->string("ns.db") == db_;
    }
    EXPECT_TRUE(seen);
}

TEST_F(ChangeStreamTest, ResumeAfterDeliversTheEventsAfterTheToken) {
    ok(R"({"create": "c"})");
    Stream stream = watch("c");
    open(stream.get());
    insert("c", R"([{"_id": 1}, {"_id": 2}, {"_id": 3}])");
    Bson first = expect_event(stream.get(), "insert");
    Bson token = first.document("_id");
    Stream resumed =
        watch("c", "[]", R"({"maxAwaitTimeMS": 100, "resumeAfter": )" + token.json() + "}");
    EXPECT_EQ(expect_event(resumed.get(), "insert").number("documentKey._id"), 2);
    EXPECT_EQ(expect_event(resumed.get(), "insert").number("documentKey._id"), 3);
}

TEST_F(ChangeStreamTest, StartAtOperationTimeIncludesThatTime) {
    ok(R"({"create": "c"})");
    Stream stream = watch("c");
    open(stream.get());
    insert("c", R"([{"_id": 1}])");
    insert("c", R"([{"_id": 2}])");
    expect_event(stream.get(), "insert");
    Bson second = expect_event(stream.get(), "insert");
    bson_iter_t iter;
    ASSERT_TRUE(bson_iter_init_find(&iter, second.get(), "clusterTime"));
    uint32_t t, i;
    bson_iter_timestamp(&iter, &t, &i);
    Stream resumed =
        watch("c", "[]",
              R"({"maxAwaitTimeMS": 100, "startAtOperationTime": {"$timestamp": {"t": )" +
                  std::to_string(t) + R"(, "i": )" + std::to_string(i) + "}}}");
    EXPECT_EQ(expect_event(resumed.get(), "insert").number("documentKey._id"), 2);
}

TEST_F(ChangeStreamTest, StartAfterAnInvalidateContinuesAndResumeAfterItFails) {
    insert("c", R"([{"_id": 1}])");
    Stream stream = watch("c");
    open(stream.get());
    ok(R"({"drop": "c"})");
    expect_event(stream.get(), "drop");
    Bson token = expect_event(stream.get(), "invalidate").document("_id");
    insert("c", R"([{"_id": 2}])");

    Stream after =
        watch("c", "[]", R"({"maxAwaitTimeMS": 100, "startAfter": )" + token.json() + "}");
    // The collection is implicitly re-created by the insert (a create event only with
    // showExpandedEvents), then the insert.
    EXPECT_EQ(expect_event(after.get(), "insert").number("documentKey._id"), 2);

    CommandResult resumed =
        run(R"({"aggregate": "c", "pipeline": [{"$changeStream": {"resumeAfter": )" + token.json() +
            R"(}}], "cursor": {}})");
    EXPECT_FALSE(resumed.ok);
    EXPECT_EQ(resumed.code, 260);
}

TEST_F(ChangeStreamTest, EveryBatchCarriesAPostBatchResumeToken) {
    ok(R"({"create": "c"})");
    Bson reply = ok(R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    EXPECT_TRUE(reply.has("cursor.postBatchResumeToken._data"));
    EXPECT_FALSE(reply.has("cursor.firstBatch.0"));
    int64_t id = reply.number("cursor.id");
    EXPECT_NE(id, 0);
    std::string first_token = reply.string("cursor.postBatchResumeToken._data");
    insert("c", R"([{"_id": 1}])");
    Bson more = ok(R"({"getMore": {"$numberLong": ")" + std::to_string(id) +
                   R"("}, "collection": "c", "maxTimeMS": 2000})");
    EXPECT_EQ(more.number("cursor.nextBatch.0.documentKey._id"), 1);
    std::string event_token = more.string("cursor.nextBatch.0._id._data");
    EXPECT_EQ(more.string("cursor.postBatchResumeToken._data"), event_token);
    EXPECT_GT(event_token, first_token);
    Bson empty = ok(R"({"getMore": {"$numberLong": ")" + std::to_string(id) +
                    R"("}, "collection": "c", "maxTimeMS": 50})");
    EXPECT_FALSE(empty.has("cursor.nextBatch.0"));
    EXPECT_GE(empty.string("cursor.postBatchResumeToken._data"), event_token);
    ok(R"({"killCursors": "c", "cursors": [{"$numberLong": ")" + std::to_string(id) + R"("}]})");
}

TEST_F(ChangeStreamTest, FollowingStagesFilterAndReshapeEvents) {
    ok(R"({"create": "c"})");
    Stream stream = watch(
        "c", R"([{"$match": {"fullDocument.keep": true}}, {"$project": {"fullDocument": 0}}])");
    open(stream.get());
    insert("c", R"([{"_id": 1, "keep": false}, {"_id": 2, "keep": true}])");
    Bson event = expect_event(stream.get(), "insert");
    EXPECT_EQ(event.number("documentKey._id"), 2);
    EXPECT_FALSE(event.has("fullDocument"));
}

TEST_F(ChangeStreamTest, ForbiddenStagesAndPositionsAreRejectedAsMongodDoes) {
    ok(R"({"create": "c"})");
    CommandResult group = run(
        R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}, {"$group": {"_id": null}}], "cursor": {}})");
    EXPECT_EQ(group.code, 20);
    CommandResult second = run(
        R"({"aggregate": "c", "pipeline": [{"$match": {}}, {"$changeStream": {}}], "cursor": {}})");
    EXPECT_EQ(second.code, 40602);
    CommandResult unknown = run(
        R"({"aggregate": "c", "pipeline": [{"$changeStream": {"noSuchOption": 1}}], "cursor": {}})");
    EXPECT_EQ(unknown.code, 40415);
    CommandResult both = run(
        R"({"aggregate": "c", "pipeline": [{"$changeStream": {"startAtOperationTime": {"$timestamp": {"t": 1, "i": 1}}, "resumeAfter": {"_data": "00"}}}], "cursor": {}})");
    EXPECT_FALSE(both.ok);
    CommandResult admin = client_->run_command(
        "admin", R"({"aggregate": 1, "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    EXPECT_EQ(admin.code, 73);
    CommandResult cluster = run(
        R"({"aggregate": 1, "pipeline": [{"$changeStream": {"allChangesForCluster": true}}], "cursor": {}})");
    EXPECT_EQ(cluster.code, 72);
}

TEST_F(ChangeStreamTest, RemovingTheIdIsAFatalError) {
    ok(R"({"create": "c"})");
    Stream stream = watch("c", R"([{"$project": {"_id": 0}}])");
    open(stream.get());
    insert("c", R"([{"_id": 1}])");
    EXPECT_EQ(stream_error_code(stream.get()), 280);
}

TEST_F(ChangeStreamTest, ChangeStreamOnAViewIsRejected) {
    ok(R"({"create": "c"})");
    ok(R"({"create": "v", "viewOn": "c", "pipeline": []})");
    CommandResult result =
        run(R"({"aggregate": "v", "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    EXPECT_EQ(result.code, 166);
}

// libmongoc 1.23 does not pass showExpandedEvents to $changeStream, so this test drives the
// aggregate and getMore commands itself.
TEST_F(ChangeStreamTest, ExpandedEventsReportCatalogChanges) {
    std::string id = open_raw("1", R"({"showExpandedEvents": true})");
    ok(R"({"create": "c"})");
    ok(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
    ok(R"({"dropIndexes": "c", "index": "a_1"})");
    std::vector<Bson> events = raw_events(id, "$cmd.aggregate", 3);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].string("operationType"), "create");
    EXPECT_EQ(keys_of(events[0]),
              (std::vector<std::string>{"_id", "operationType", "clusterTime", "collectionUUID",
                                        "wallTime", "ns", "operationDescription"}));
    EXPECT_EQ(events[1].string("operationType"), "createIndexes");
    EXPECT_EQ(events[1].string("operationDescription.indexes.0.name"), "a_1");
    EXPECT_EQ(events[2].string("operationType"), "dropIndexes");
    EXPECT_EQ(events[2].string("operationDescription.indexes.0.name"), "a_1");
    ok(R"({"killCursors": "$cmd.aggregate", "cursors": [{"$numberLong": ")" + id + R"("}]})");
}

// change_stream_event_transform.cpp: a rename's operationDescription is the oplog entry's
// {to, dropTarget} — dropTarget the UUID of the collection the rename replaced, absent when none.
TEST_F(ChangeStreamTest, ExpandedRenameNamesTheDroppedTargetByUuid) {
    ok(R"({"create": "c"})");
    ok(R"({"create": "d"})");
    auto listing = ok(R"({"listCollections": 1, "filter": {"name": "d"}})");
    Bson target_info = listing.document("cursor.firstBatch.0.info");
    std::string id = open_raw("1", R"({"showExpandedEvents": true})");
    ok(R"({"renameCollection": ")" + db_ + R"(.c", "to": ")" + db_ + R"(.d", "dropTarget": true})",
       "admin");
    ok(R"({"renameCollection": ")" + db_ + R"(.d", "to": ")" + db_ + R"(.e"})", "admin");
    std::vector<Bson> events = raw_events(id, "$cmd.aggregate", 2);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].string("operationDescription.to.coll"), "d");
    ASSERT_TRUE(events[0].has("operationDescription.dropTarget")) << events[0].json();
    auto uuid_at = [](const Bson& doc, const char* path) {
        bson_iter_t iter;
        bson_subtype_t subtype = BSON_SUBTYPE_BINARY;
        uint32_t length = 0;
        const uint8_t* data = nullptr;
        if (bson_iter_init(&iter, doc.get()) && bson_iter_find_descendant(&iter, path, &iter) &&
            BSON_ITER_HOLDS_BINARY(&iter)) {
            bson_iter_binary(&iter, &subtype, &length, &data);
        }
        return subtype == BSON_SUBTYPE_UUID ? std::string(data, data + length) : std::string();
    };
    EXPECT_EQ(uuid_at(events[0], "operationDescription.dropTarget"), uuid_at(target_info, "uuid"));
    EXPECT_EQ(uuid_at(target_info, "uuid").size(), 16u);
    EXPECT_FALSE(events[1].has("operationDescription.dropTarget")) << events[1].json();
    ok(R"({"killCursors": "$cmd.aggregate", "cursors": [{"$numberLong": ")" + id + R"("}]})");
}

TEST_F(ChangeStreamTest, PreAndPostImagesWhenTheCollectionRecordsThem) {
    ok(R"({"create": "c", "changeStreamPreAndPostImages": {"enabled": true}})");
    insert("c", R"([{"_id": 1, "a": 1}])");
    Stream stream = watch(
        "c", "[]",
        R"({"maxAwaitTimeMS": 100, "fullDocument": "required", "fullDocumentBeforeChange": "required"})");
    open(stream.get());
    ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 2}}}]})");
    Bson event = expect_event(stream.get(), "update");
    EXPECT_EQ(event.number("fullDocumentBeforeChange.a"), 1);
    EXPECT_EQ(event.number("fullDocument.a"), 2);
}

TEST_F(ChangeStreamTest, WhenAvailableImagesAreNullWithoutPreAndPostImages) {
    insert("c", R"([{"_id": 1, "a": 1}])");
    Stream stream =
        watch("c", "[]", R"({"maxAwaitTimeMS": 100, "fullDocumentBeforeChange": "whenAvailable"})");
    open(stream.get());
    ok(R"({"delete": "c", "deletes": [{"q": {"_id": 1}, "limit": 1}]})");
    Bson event = expect_event(stream.get(), "delete");
    ASSERT_TRUE(event.has("fullDocumentBeforeChange"));
    bson_iter_t iter;
    ASSERT_TRUE(bson_iter_init_find(&iter, event.get(), "fullDocumentBeforeChange"));
    EXPECT_TRUE(BSON_ITER_HOLDS_NULL(&iter));
}

// ---- Servers started with special flags (skipped against an external MongoDB). ----

// A testmongod started with another version profile.
template <const char* kProfile>
class ProfileTest : public ChangeStreamTestBase {
  protected:
    static void SetUpTestSuite() {
        server_ = new testsupport::TestServer(
            testsupport::source_uri_or_start({"--version-profile", kProfile}));
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        if (server_->external()) GTEST_SKIP() << "needs a testmongod started with a profile";
        ChangeStreamTestBase::SetUp();
    }
    testsupport::TestServer& server() override { return *server_; }
    static testsupport::TestServer* server_;
};
template <const char* kProfile>
testsupport::TestServer* ProfileTest<kProfile>::server_ = nullptr;

constexpr char kFourFour[] = "4.4";
constexpr char kSix[] = "6.0";
using FourFourProfileTest = ProfileTest<kFourFour>;
using SixProfileTest = ProfileTest<kSix>;

// 6.0 has rawUpdateDescription but not disambiguatedPaths (7.0).
TEST_F(SixProfileTest, RawUpdateDescriptionButNoDisambiguatedPaths) {
    Bson event = update_event(R"({"_id": 1, "a": {"1": 1}})", R"({"$set": {"a.1": 2}})",
                              R"({"showExpandedEvents": true})");
    EXPECT_EQ(event.document("updateDescription").json(),
              Bson::from_json(
                  R"({"updatedFields": {"a.1": 2}, "removedFields": [], "truncatedArrays": []})")
                  .json());
    Bson raw = update_event(R"({"_id": 1, "a": {"1": 1}})", R"({"$set": {"a.1": 2}})",
                            R"({"showRawUpdateDescription": true})");
    EXPECT_EQ(raw.document("rawUpdateDescription").json(),
              Bson::from_json(R"({"$v": 2, "diff": {"sa": {"u": {"1": 2}}}})").json());
}

TEST_F(FourFourProfileTest, EventsHaveNoWallTimeAndNoTruncatedArrays) {
    insert("c", R"([{"_id": 1, "a": 1}])");
    Stream stream = watch("c");
    open(stream.get());
    insert("c", R"([{"_id": 2}])");
    ok(R"({"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$set": {"a": 2}}}]})");
    Bson inserted = expect_event(stream.get(), "insert");
    EXPECT_EQ(keys_of(inserted), (std::vector<std::string>{"_id", "operationType", "clusterTime",
                                                           "fullDocument", "ns", "documentKey"}));
    Bson updated = expect_event(stream.get(), "update");
    EXPECT_FALSE(updated.has("updateDescription.truncatedArrays"));
    EXPECT_EQ(updated.number("updateDescription.updatedFields.a"), 2);
}

TEST_F(FourFourProfileTest, OperatorUpdatesReportThePathsTheyWrote) {
    Bson event = update_event(R"({"_id": 8, "b": {"c": 1}})", R"({"$set": {"b.d": 2}})");
    EXPECT_EQ(event.document("updateDescription").json(),
              Bson::from_json(R"({"updatedFields": {"b.d": 2}, "removedFields": []})").json());
}

TEST_F(FourFourProfileTest, ShowRawUpdateDescriptionIsAnUnknownField) {
    ok(R"({"create": "c"})");
    CommandResult result = run(
        R"({"aggregate": "c", "pipeline": [{"$changeStream": {"showRawUpdateDescription": true}}], "cursor": {}})");
    EXPECT_EQ(result.code, 40415);
}

TEST_F(FourFourProfileTest, ShowExpandedEventsIsAnUnknownField) {
    ok(R"({"create": "c"})");
    CommandResult result = run(
        R"({"aggregate": "c", "pipeline": [{"$changeStream": {"showExpandedEvents": true}}], "cursor": {}})");
    EXPECT_EQ(result.code, 40415);
}

class SmallOplogTest : public ChangeStreamTestBase {
  protected:
    static void SetUpTestSuite() {
        server_ =
            new testsupport::TestServer(testsupport::source_uri_or_start({"--oplog-size-mb", "1"}));
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        if (server_->external()) GTEST_SKIP() << "needs a testmongod with a 1 MiB oplog";
        ChangeStreamTestBase::SetUp();
    }
    testsupport::TestServer& server() override { return *server_; }
    static testsupport::TestServer* server_;
};
testsupport::TestServer* SmallOplogTest::server_ = nullptr;

TEST_F(SmallOplogTest, ResumingFromAPointNoLongerHeldIsHistoryLost) {
    ok(R"({"create": "c"})");
    Stream stream = watch("c");
    open(stream.get());
    insert("c", R"([{"_id": "first"}])");
    Bson token = expect_event(stream.get(), "insert").document("_id");
    std::string filler(100 * 1024, 'x');
    for (int i = 0; i < 30; ++i) {
        insert("c", R"([{"_id": )" + std::to_string(i) + R"(, "pad": ")" + filler + R"("}])");
    }
    CommandResult resumed =
        run(R"({"aggregate": "c", "pipeline": [{"$changeStream": {"resumeAfter": )" + token.json() +
            R"(}}], "cursor": {}})");
    EXPECT_FALSE(resumed.ok);
    EXPECT_EQ(resumed.code, 286);
    EXPECT_EQ(resumed.error,
              "Resume of change stream was not possible, as the resume point may "
              "no longer be in the oplog.");
}

// mongod: a getMore whose change stream fell off the oplog fails in its oplog scan with 136
// CappedPositionLost; resuming from the last token the stream returned is then 286.
TEST_F(SmallOplogTest, GetMoreOfAStreamThatFellBehindIsCappedPositionLost) {
    ok(R"({"create": "c"})");
    Bson opened = ok(R"({"aggregate": "c", "pipeline": [{"$changeStream": {}}], "cursor": {}})");
    std::string id = std::to_string(opened.number("cursor.id"));
    Bson token = opened.document("cursor.postBatchResumeToken");
    std::string filler(100 * 1024, 'x');
    for (int i = 0; i < 30; ++i) {
        insert("c", R"([{"_id": )" + std::to_string(i) + R"(, "pad": ")" + filler + R"("}])");
    }
    CommandResult more = run(R"({"getMore": {"$numberLong": ")" + id + R"("}, "collection": "c"})");
    EXPECT_EQ(more.code, 136) << more.error;
    EXPECT_EQ(more.reply.string("codeName"), "CappedPositionLost");
    CommandResult resumed =
        run(R"({"aggregate": "c", "pipeline": [{"$changeStream": {"resumeAfter": )" + token.json() +
            R"(}}], "cursor": {}})");
    EXPECT_EQ(resumed.code, 286);
}

TEST_F(SmallOplogTest, StartingBeforeTheServerStartedIsHistoryLost) {
    CommandResult result = run(
        R"({"aggregate": "c", "pipeline": [{"$changeStream": {"startAtOperationTime": {"$timestamp": {"t": 1, "i": 1}}}}], "cursor": {}})");
    EXPECT_EQ(result.code, 286);
}

}  // namespace
