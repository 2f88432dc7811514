// Shared fixture of the storage integration tests (crud, catalog, index, aggregate): one server
// per test suite (testmongod, or the MongoDB named by TRIBUTARY_TEST_SOURCE_URI), a fresh
// database per test, dropped afterwards.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace storagetest {

using testsupport::Bson;
using testsupport::CommandResult;

class StorageTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        server_ = new testsupport::TestServer(testsupport::source_uri_or_start());
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        client_ = std::make_unique<testsupport::Client>(server_->uri);
        db_ = testsupport::unique_name("storage");
    }
    void TearDown() override { run(R"({"dropDatabase": 1})"); }

    CommandResult run(std::string_view json) { return client_->run_command(db_, json); }
    CommandResult run_admin(std::string_view json) { return client_->run_command("admin", json); }

    // Runs a command that must succeed and returns its reply.
    Bson ok(std::string_view json) {
        CommandResult result = run(json);
        EXPECT_TRUE(result.ok) << json << " -> " << result.error;
        return result.reply;
    }
    // Runs a command that must fail with `code`.
    void fails(std::string_view json, int code) {
        CommandResult result = run(json);
        EXPECT_FALSE(result.ok) << json << " unexpectedly succeeded: " << result.reply.json();
        EXPECT_EQ(result.code, code) << json << " -> " << result.error;
    }

    // Every document a find returns, following the cursor through getMore.
    std::vector<Bson> find(const std::string& coll, std::string_view filter = "{}",
                           std::string_view opts = "{}") {
        mongoc_collection_t* collection = client_->collection(db_, coll);
        Bson filter_doc = Bson::from_json(filter);
        Bson opts_doc = Bson::from_json(opts);
        mongoc_cursor_t* cursor =
            mongoc_collection_find_with_opts(collection, filter_doc.get(), opts_doc.get(), nullptr);
        std::vector<Bson> docs;
        const bson_t* doc = nullptr;
        while (mongoc_cursor_next(cursor, &doc)) {
            bson_t copy;
            bson_copy_to(doc, &copy);
            docs.push_back(Bson::adopt(&copy));
        }
        bson_error_t error;
        EXPECT_FALSE(mongoc_cursor_error(cursor, &error)) << error.message;
        mongoc_cursor_destroy(cursor);
        mongoc_collection_destroy(collection);
        return docs;
    }

    // The firstBatch (or, for a getMore reply, the nextBatch at `path`) of a cursor-returning
    // command reply, as documents.
    static std::vector<Bson> first_batch(const Bson& reply,
                                         const char* path = "cursor.firstBatch") {
        Bson batch = reply.document(path);
        std::vector<Bson> docs;
        bson_iter_t iter;
        bson_iter_init(&iter, batch.get());
        while (bson_iter_next(&iter)) {
            uint32_t length = 0;
            const uint8_t* data = nullptr;
            bson_iter_document(&iter, &length, &data);
            bson_t view;
            bson_init_static(&view, data, length);
            bson_t copy;
            bson_copy_to(&view, &copy);
            docs.push_back(Bson::adopt(&copy));
        }
        return docs;
    }

    // `"lsid": {"id": <random UUID>}`: a client-generated session id, as drivers send it
    // (manual, "Server Sessions").
    static std::string random_lsid_field() {
        bson_oid_t oid;
        bson_oid_init(&oid, nullptr);
        uint8_t bytes[16] = {};
        std::memcpy(bytes, oid.bytes, sizeof oid.bytes);
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        bson_t doc = BSON_INITIALIZER, id;
        BSON_APPEND_DOCUMENT_BEGIN(&doc, "lsid", &id);
        BSON_APPEND_BINARY(&id, "id", BSON_SUBTYPE_UUID, bytes, sizeof bytes);
        bson_append_document_end(&doc, &id);
        char* json = bson_as_canonical_extended_json(&doc, nullptr);
        std::string text = json;
        bson_free(json);
        bson_destroy(&doc);
        return text.substr(1, text.size() - 2);  // without the outer braces
    }

    static testsupport::TestServer* server_;
    std::unique_ptr<testsupport::Client> client_;
    std::string db_;
};

inline testsupport::TestServer* StorageTest::server_ = nullptr;

}  // namespace storagetest
