// The initial copy against two servers (source with the 4.4 profile, destination 7.0): every
// BSON type byte-equal, options, views and indexes, and the --existing modes, judged by the
// independent comparator while the sync still runs (uniqueness is restored after the copy);
// and `tributary verify`, checked against the comparator.
#include <gtest/gtest.h>

#include <regex>

#include <string>
#include <vector>

#include "catalog/namespace_filter.h"
#include "copy/initial_copy.h"
#include "copy/range_copy.h"
#include "copy_servers_fixture.h"
#include "mongo/client.h"
#include "support/mongo_client.h"
#include "tributary_process.h"

namespace {

using testsupport::Bson;
using tributary_test::eventually;
using tributary_test::TributaryProcess;

class CopyTest : public tributary_test::CopyServersTest {
  protected:
    CopyTest() : CopyServersTest("copy") {}

    void insert(const std::string& coll, const std::vector<std::string>& documents) {
        std::string command = R"({"insert": ")" + coll + R"(", "documents": [)";
        for (size_t i = 0; i < documents.size(); ++i)
            command += (i ? "," : "") + documents[i];
        command += "]}";
        auto result = source_client_.run_command(db_, command);
        ASSERT_TRUE(result.ok) << result.error;
    }

    // All documents of a collection in _id order, as raw BSON.
    static std::vector<std::string> raw_documents(testsupport::Client& client,
                                                  const std::string& db, const std::string& coll) {
        mongoc_collection_t* collection = client.collection(db, coll);
        Bson opts = Bson::from_json(R"({"sort": {"_id": 1}})");
        Bson filter;
        mongoc_cursor_t* cursor =
            mongoc_collection_find_with_opts(collection, filter.get(), opts.get(), nullptr);
        std::vector<std::string> documents;
        const bson_t* doc = nullptr;
        while (mongoc_cursor_next(cursor, &doc)) {
            documents.emplace_back(reinterpret_cast<const char*>(bson_get_data(doc)), doc->len);
        }
        mongoc_cursor_destroy(cursor);
        mongoc_collection_destroy(collection);
        return documents;
    }

    std::vector<std::string> sync_args(std::vector<std::string> extra = {}) const {
        std::vector<std::string> args = {"sync",    "--source", source_.uri, "--destination",
                                         dest_.uri, "--db",     db_,         "--state-db",
                                         state_db_};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    // Runs sync until every collection in `names` is logged as copied, then stops it cleanly.
    void sync_until_copied(const std::vector<std::string>& names,
                           std::vector<std::string> extra = {}, std::string* log = nullptr) {
        TributaryProcess sync(sync_args(std::move(extra)));
        bool copied = eventually([&] {
            for (const std::string& name : names) {
                if (!sync.output_contains("Collection '" + name + "' copied successfully.")) {
                    return false;
                }
            }
            return true;
        });
        std::string output = sync.output();
        EXPECT_TRUE(copied) << output;
        EXPECT_EQ(sync.terminate(), 0) << sync.output();
        if (log) *log = sync.output();
    }

    // Runs sync until the comparator finds both sides equal (collections, options, indexes with
    // their uniqueness restored, documents), then stops it cleanly.
    void sync_until_equal(std::vector<std::string> extra = {}, std::string* log = nullptr) {
        TributaryProcess sync(sync_args(std::move(extra)));
        std::string report;
        EXPECT_TRUE(eventually([&] { return equal_now(&report); }, std::chrono::seconds(60)))
            << report << sync.output();
        EXPECT_EQ(sync.terminate(), 0) << sync.output();
        if (log) *log = sync.output();
    }

    Bson list_collection(testsupport::Client& client, const std::string& coll) {
        auto result = client.run_command(
            db_, R"({"listCollections": 1, "filter": {"name": ")" + coll + R"("}})");
        EXPECT_TRUE(result.ok) << result.error;
        return result.reply.document("cursor.firstBatch.0");
    }
};

TEST_F(CopyTest, CopiesEveryBsonTypeByteEqual) {
    insert(
        "types",
        {
            R"({"_id": 1, "double": 1.5, "string": "héllo", "doc": {"a": {"b": [1, {"c": null}]}},
            "array": [1, "two", 3.0], "oid": {"$oid": "65a1b2c3d4e5f60718293a4b"},
            "bool": true, "date": {"$date": {"$numberLong": "1700000000123"}}, "null": null,
            "int": {"$numberInt": "7"}, "long": {"$numberLong": "9007199254740993"},
            "decimal": {"$numberDecimal": "1234.5678901234567890123456789"},
            "ts": {"$timestamp": {"t": 1700000000, "i": 42}}, "min": {"$minKey": 1},
            "max": {"$maxKey": 1}, "regex": {"$regularExpression": {"pattern": "^a.*z$",
            "options": "imsx"}}, "code": {"$code": "function() { return 1; }"},
            "symbol": {"$symbol": "sym"}})",
            R"({"_id": 2, "bin0": {"$binary": {"base64": "AAECAw==", "subType": "00"}},
            "bin4": {"$binary": {"base64": "EjRWeJASNFZ4kBI0VniQEg==", "subType": "04"}},
            "bin5": {"$binary": {"base64": "1B2M2Y8AsgTpgAmY7PhCfg==", "subType": "05"}},
            "bin80": {"$binary": {"base64": "/w==", "subType": "80"}},
            "negzero": -0.0, "nan": {"$numberDouble": "NaN"},
            "inf": {"$numberDouble": "-Infinity"}})",
            R"({"_id": {"compound": "key", "n": 1}, "nested": {"dotted.name": 1, "$dollar": 2}})",
            R"({"_id": "string-id", "empty": {}, "emptyArray": []})",
        });
    // Deep nesting (90 levels, below MongoDB's 100-level limit).
    std::string deep = "1";
    for (int level = 0; level < 90; ++level)
        deep = R"({"d": )" + deep + "}";
    insert("types", {R"({"_id": 3, "deep": )" + deep + "}"});
    // A document close to the 16 MiB limit.
    insert("big", {R"({"_id": 1, "blob": ")" + std::string(16 * 1024 * 1024 - 100, 'x') + R"("})",
                   R"({"_id": 2, "small": true})"});

    sync_until_equal();
}

// `tributary verify` agrees with the comparator: equal after the copy (exit 0), and a document
// changed on the destination alone is a difference (exit 6).
TEST_F(CopyTest, VerifyAgreesWithTheComparator) {
    insert("users", {R"({"_id": 1, "name": "John Doe"})", R"({"_id": 2, "name": "Jane Roe"})"});
    sync_until_equal();
    const std::vector<std::string> verify = {"verify",  "--source", source_.uri, "--destination",
                                             dest_.uri, "--db",     db_};
    std::string report;
    EXPECT_EQ(TributaryProcess::run(verify, &report), 0) << report;
    EXPECT_NE(report.find("RESULT: destination equals source"), std::string::npos) << report;

    ASSERT_TRUE(dest_client_
                    .run_command(db_, R"({"update": "users", "updates": [{"q": {"_id": 2},
                                          "u": {"$set": {"name": "changed"}}}]})")
                    .ok);
    std::string differences;
    ASSERT_FALSE(equal_now(&differences));
    EXPECT_EQ(TributaryProcess::run(verify, &report), 6) << report << differences;
    EXPECT_NE(report.find("RESULT: destination differs from source"), std::string::npos) << report;
}

TEST_F(CopyTest, LogsInTheOriginalScriptsFormat) {
    insert("users", {R"({"_id": 1, "name": "John Doe", "age": 30})"});
    std::string log;
    sync_until_copied({"users"}, {}, &log);
    EXPECT_NE(log.find(" - INFO - Copying collection 'users' to secondary database..."),
              std::string::npos)
        << log;
    EXPECT_NE(log.find(" - INFO - Collection 'users' copied successfully."), std::string::npos);
}

TEST_F(CopyTest, CopiesOptionsViewsAndIndexes) {
    ASSERT_TRUE(source_client_
                    .run_command(db_, R"({"create": "capped", "capped": true, "size": 65536,
                                          "max": 100})")
                    .ok);
    ASSERT_TRUE(source_client_
                    .run_command(db_, R"({"create": "validated", "validator": {"age": {"$gte": 0}},
                                          "validationLevel": "moderate"})")
                    .ok);
    ASSERT_TRUE(source_client_
                    .run_command(db_, R"({"create": "collated",
                                          "collation": {"locale": "fr", "strength": 2}})")
                    .ok);
    insert("people", {R"({"_id": 1, "email": "a@x", "age": 3, "city": "Oslo"})",
                      R"({"_id": 2, "email": "b@x", "age": 5, "city": "Rome"})"});
    ASSERT_TRUE(source_client_
                    .run_command(db_, R"({"createIndexes": "people", "indexes": [
                        {"key": {"email": 1}, "name": "email_unique", "unique": true},
                        {"key": {"city": 1, "age": -1}, "name": "city_age"},
                        {"key": {"age": 1}, "name": "adults", "partialFilterExpression":
                            {"age": {"$gte": 18}}}]})")
                    .ok);
    ASSERT_TRUE(source_client_
                    .run_command(db_, R"({"create": "oslo", "viewOn": "people",
                                          "pipeline": [{"$match": {"city": "Oslo"}}]})")
                    .ok);

    sync_until_equal();

    Bson capped = list_collection(dest_client_, "capped");
    EXPECT_TRUE(capped.boolean("options.capped"));
    EXPECT_EQ(capped.number("options.max"), 100);
    Bson validated = list_collection(dest_client_, "validated");
    EXPECT_EQ(validated.number("options.validator.age.$gte"), 0);
    EXPECT_EQ(validated.string("options.validationLevel"), "moderate");
    EXPECT_EQ(list_collection(dest_client_, "collated").string("options.collation.locale"), "fr");
    Bson view = list_collection(dest_client_, "oslo");
    EXPECT_EQ(view.string("type"), "view");
    EXPECT_EQ(view.string("options.viewOn"), "people");
    EXPECT_EQ(raw_documents(dest_client_, db_, "oslo").size(), 1u);

    auto indexes = dest_client_.run_command(db_, R"({"listIndexes": "people"})");
    ASSERT_TRUE(indexes.ok) << indexes.error;
    std::string listing = indexes.reply.json();
    EXPECT_NE(listing.find("email_unique"), std::string::npos) << listing;
    EXPECT_NE(listing.find("city_age"), std::string::npos) << listing;
    EXPECT_NE(listing.find("partialFilterExpression"), std::string::npos) << listing;
    // The unique index holds on the destination.
    auto duplicate = dest_client_.run_command(
        db_, R"({"insert": "people", "documents": [{"_id": 3, "email": "a@x"}]})");
    EXPECT_TRUE(!duplicate.ok || duplicate.reply.has("writeErrors")) << duplicate.reply.json();
}

TEST_F(CopyTest, ExistingSkipKeepsTheCollectionAndWarnsWithBothCounts) {
    insert("kept", {R"({"_id": 1})", R"({"_id": 2})"});
    ASSERT_TRUE(
        dest_client_.run_command(db_, R"({"insert": "kept", "documents": [{"_id": 9}]})").ok);
    insert("fresh", {R"({"_id": 1})"});
    std::string log;
    sync_until_copied({"fresh"}, {}, &log);
    EXPECT_NE(log.find("WARNING - Collection 'kept' already exists in secondary database; not "
                       "copying it (source: 2 documents, destination: 1 documents)"),
              std::string::npos)
        << log;
    EXPECT_EQ(raw_documents(dest_client_, db_, "kept").size(), 1u);
}

TEST_F(CopyTest, ExistingDropReplacesTheCollection) {
    insert("replaced", {R"({"_id": 1})", R"({"_id": 2})"});
    ASSERT_TRUE(
        dest_client_.run_command(db_, R"({"insert": "replaced", "documents": [{"_id": 9}]})").ok);
    sync_until_equal({"--existing", "drop"});
}

TEST_F(CopyTest, ExistingFailStopsBeforeCopyingAnything) {
    insert("clash", {R"({"_id": 1})"});
    insert("other", {R"({"_id": 1})"});
    ASSERT_TRUE(
        dest_client_.run_command(db_, R"({"insert": "clash", "documents": [{"_id": 9}]})").ok);
    std::string log;
    EXPECT_EQ(TributaryProcess::run(sync_args({"--existing", "fail"}), &log), 2) << log;
    EXPECT_NE(log.find("the destination already has collection(s) " + db_ + ".clash"),
              std::string::npos)
        << log;
    EXPECT_TRUE(raw_documents(dest_client_, db_, "other").empty());
}

TEST_F(CopyTest, SampledRangesCopyEveryDocumentAndMixedTypeIdsStayOneRange) {
    std::vector<std::string> ints, mixed;
    for (int id = 0; id < 2000; ++id) {
        ints.push_back(R"({"_id": )" + std::to_string(id) + "}");
        mixed.push_back(R"({"_id": )" + std::to_string(id) + "}");
    }
    // A few _ids in other type brackets, which $gte/$lt bounds of numbers would never match.
    mixed.push_back(R"({"_id": "text"})");
    mixed.push_back(R"({"_id": {"$oid": "64b7f0000000000000000001"}})");
    mixed.push_back(R"({"_id": {"$date": "2024-09-01T10:00:00Z"}})");
    insert("ints", ints);
    insert("mixed", mixed);
    std::string log;
    sync_until_equal({"--range-docs", "200", "--log-level", "DEBUG"}, &log);
    EXPECT_TRUE(std::regex_search(log, std::regex("'ints': ([5-9]|10) _id range"))) << log;
    EXPECT_NE(log.find("'mixed': 1 _id range(s)"), std::string::npos) << log;
    EXPECT_NE(log.find("'mixed' has _ids of several types"), std::string::npos) << log;
}

TEST_F(CopyTest, RedoneRangeReplacesDocumentsAlreadyCopied) {
    // A range interrupted by a crash is copied again: documents it had already inserted are
    // replaced by _id instead of failing the copy with duplicate keys.
    ASSERT_TRUE(
        dest_client_
            .run_command(db_, R"({"insert": "redo", "documents": [{"_id": 1, "v": "old"}]})")
            .ok);
    tributary::mongo::Uri uri(dest_.uri);
    tributary::mongo::ClientPool pool(uri, "copy_test");
    tributary::mongo::ClientLease client = pool.lease();
    std::vector<tributary::bson::Document> batch;
    batch.push_back(tributary::bson::Document::from_json(R"({"_id": 1, "v": "new"})"));
    batch.push_back(tributary::bson::Document::from_json(R"({"_id": 2, "v": "new"})"));
    tributary::copy::insert_batch(tributary::mongo::Collection(client.get(), db_, "redo"), batch);
    std::vector<std::string> documents = raw_documents(dest_client_, db_, "redo");
    ASSERT_EQ(documents.size(), 2u);
    for (size_t i = 0; i < documents.size(); ++i) {
        EXPECT_EQ(documents[i], std::string(tributary::bson::bytes(batch[i].view())));
    }
}

TEST_F(CopyTest, StartPointIsAResumeTokenAndClusterTime) {
    tributary::mongo::Uri uri(source_.uri);
    tributary::mongo::ClientPool pool(uri, "copy_test");
    tributary::catalog::NamespaceFilter filter({db_}, {}, {}, "__tributary");
    tributary::checkpoint::StartPoint start = tributary::copy::capture_start_point(pool, filter);
    EXPECT_FALSE(start.resume_token.empty());
    EXPECT_FALSE(start.operation_time.is_null());
}

}  // namespace
