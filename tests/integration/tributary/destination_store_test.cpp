// The checkpoint in the destination: each collection's copy state is a document of its own, so a
// save writes what changed (seen in a change stream on the checkpoint collection), a recopy is
// one write of the run's document, the version 1 layout (one document holding everything) is
// read and rewritten, and a newer format is refused with one line.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "mongo/client.h"
#include "mongo/collection.h"
#include "support/mongo_client.h"
#include "support/server_process.h"

namespace tributary::checkpoint {
namespace {

using testsupport::Bson;

// A change stream on one collection, opened at construction: what was written there since.
class Watch {
  public:
    Watch(testsupport::Client& client, const std::string& db, const std::string& coll)
        : coll_(client.collection(db, coll)) {
        Bson pipeline = Bson::from_json("{}");
        Bson opts = Bson::from_json(R"({"maxAwaitTimeMS": 200})");
        stream_ = mongoc_collection_watch(coll_, pipeline.get(), opts.get());
    }
    ~Watch() {
        mongoc_change_stream_destroy(stream_);
        mongoc_collection_destroy(coll_);
    }
    // The documentKeys of the events until `count` came (or 10 s passed), and of any that
    // follow within one await: a write too many shows.
    std::vector<std::string> document_keys(size_t count) {
        std::vector<std::string> keys;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        bool extra_checked = false;
        while (std::chrono::steady_clock::now() < deadline && !extra_checked) {
            extra_checked = keys.size() >= count;
            const bson_t* event = nullptr;
            while (mongoc_change_stream_next(stream_, &event)) {
                auto key = mongo::get_document(event, "documentKey");
                keys.push_back(key ? key->to_json() : "?");
            }
        }
        return keys;
    }

  private:
    mongoc_collection_t* coll_;
    mongoc_change_stream_t* stream_;
};

std::string json(const char* text) {
    return bson::Document::from_json(text).to_json();
}

class DestinationStoreTest : public testing::Test {
  protected:
    void SetUp() override {
        server_ = testsupport::dest_uri_or_start();
        pool_.emplace(mongo::Uri(server_.uri), "destination-store-test");
        client_.emplace(server_.uri);
    }
    void TearDown() override {
        if (client_) client_->run_command(state_db_, R"({"dropDatabase": 1})");
    }

    std::unique_ptr<Store> store() { return open_destination_store(*pool_, state_db_); }

    // Every document of the checkpoint collection.
    std::vector<bson::Document> documents() {
        mongo::ClientLease client = pool_->lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        mongo::Cursor cursor = coll.find(bson::Document().view());
        std::vector<bson::Document> found;
        while (const bson_t* doc = cursor.next())
            found.push_back(bson::Document::copy_of(doc));
        return found;
    }

    std::optional<bson::Document> document(const char* id_filter) {
        mongo::ClientLease client = pool_->lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        mongo::Cursor cursor = coll.find(bson::Document::from_json(id_filter).view());
        const bson_t* doc = cursor.next();
        if (!doc) return std::nullopt;
        return bson::Document::copy_of(doc);
    }

    static std::vector<Intent> intents(int count) {
        std::vector<Intent> all;
        for (int i = 0; i < count; ++i)
            all.push_back({"db.c" + std::to_string(i), "", {100, 1}});
        return all;
    }

    static State new_state() {
        State state;
        state.run_id = "run";
        state.identity = {"s:1", "d:2", {"db"}, {}, {}};
        return state;
    }

    testsupport::TestServer server_;
    std::optional<mongo::ClientPool> pool_;
    std::optional<testsupport::Client> client_;
    std::string state_db_ = testsupport::unique_name("store_state");
};

TEST_F(DestinationStoreTest, EachCollectionIsADocumentAndASaveWritesWhatChanged) {
    {
        std::unique_ptr<Store> fresh = store();
        fresh->save(new_state(), Changes::everything(new_state()));  // as a new run starts
        Checkpoint checkpoint(std::move(fresh), new_state());
        checkpoint.intend_collections(intents(50));
        // The namespaces' states are documents of their own; the run's document holds none.
        EXPECT_EQ(documents().size(), 51u);
        std::optional<bson::Document> run = document(R"({"_id": "sync"})");
        ASSERT_TRUE(run.has_value());
        EXPECT_FALSE(mongo::get_document(run->view(), "collections").has_value()) << run->to_json();

        // One collection's progress, then a resume token: the writes they cause are one
        // document each, seen in the change stream of the checkpoint collection.
        Watch stream(*client_, state_db_, kCheckpointCollection);
        checkpoint.begin_collection("db.c7", bson::Document());
        checkpoint.mark_range_done("db.c7", 0, 10);
        checkpoint.mark_collection_complete("db.c7");
        checkpoint.flush();
        bson::Document token = bson::Document::from_json(R"({"_data": "82"})");
        checkpoint.save_resume_token(token.view(), {200, 1}, false);
        // The progress is saved once, or more often on a machine slow enough to let a second
        // pass between the calls; never another collection's document, nor the run's.
        std::vector<std::string> written = stream.document_keys(2);
        ASSERT_GE(written.size(), 2u);
        EXPECT_EQ(written.back(), json(R"({"_id": "sync"})"));
        written.pop_back();
        for (const std::string& key : written)
            EXPECT_EQ(key, json(R"({"_id": {"ns": "db.c7"}})"));
    }
    State loaded = *store()->load();
    EXPECT_EQ(loaded.collections.size(), 50u);
    EXPECT_EQ(loaded.collections.at("db.c7").phase, CopyPhase::kComplete);
    EXPECT_EQ(loaded.collections.at("db.c7").documents_copied, 10);
    EXPECT_EQ(loaded.collections.at("db.c8").phase, CopyPhase::kCreating);
    EXPECT_EQ(loaded.applied_cluster_time, (bson::Timestamp{200, 1}));
}

TEST_F(DestinationStoreTest, ARecopyIsOneWriteAndEveryCopyReadsBackStale) {
    {
        Checkpoint checkpoint(store(), new_state());
        checkpoint.intend_collections(intents(20));
        checkpoint.mark_collection_complete("db.c3");
        checkpoint.mark_copy_complete();
        Watch stream(*client_, state_db_, kCheckpointCollection);
        checkpoint.begin_recopy(StartPoint{bson::Document(), {300, 1}});
        checkpoint.intend_collections({{"db.c3", "", {301, 1}}});
        // The recopy wrote the run's document alone; the next intent its own document.
        EXPECT_EQ(stream.document_keys(2),
                  (std::vector<std::string>{json(R"({"_id": "sync"})"),
                                            json(R"({"_id": {"ns": "db.c3"}})")}));
    }
    State loaded = *store()->load();
    EXPECT_FALSE(loaded.copy_complete);
    EXPECT_EQ(loaded.collections.at("db.c3").phase, CopyPhase::kCreating);
    for (const auto& [ns, copy] : loaded.collections) {
        if (ns != "db.c3") {
            EXPECT_EQ(copy.phase, CopyPhase::kStale) << ns;
        }
    }
}

TEST_F(DestinationStoreTest, TheVersionOneLayoutIsReadAndRewrittenByTheFirstSave) {
    State old = new_state();
    CollectionCopy copy;
    copy.phase = CopyPhase::kComplete;
    copy.ranges_done = {true};
    old.collections.emplace("db.a", copy.copy());
    old.collections.emplace("db.b", copy.copy());
    bson::Document v1;
    bson_copy_to_excluding_noinit(old.to_bson().view(), v1.get(), "version", nullptr);
    BSON_APPEND_INT32(v1.get(), "version", 1);
    mongo::ClientLease client = pool_->lease();
    bson::Document insert;
    BSON_APPEND_UTF8(insert.get(), "insert", kCheckpointCollection);
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(insert.get(), "documents", &array);
    BSON_APPEND_DOCUMENT(&array, "0", v1.view());
    bson_append_array_end(insert.get(), &array);
    mongo::run_command(client.get(), state_db_, insert.view());

    std::unique_ptr<Store> reader = store();
    std::optional<State> loaded = reader->load();
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->collections.size(), 2u);
    {
        Checkpoint checkpoint(std::move(reader), std::move(*loaded));
        checkpoint.mark_copy_complete();
    }
    EXPECT_EQ(documents().size(), 3u);
    std::optional<bson::Document> run = document(R"({"_id": "sync"})");
    ASSERT_TRUE(run.has_value());
    EXPECT_EQ(State::version_of(run->view()), 2);
    State again = *store()->load();
    EXPECT_TRUE(again.copy_complete);
    EXPECT_EQ(again.collections.at("db.b").phase, CopyPhase::kComplete);
}

TEST_F(DestinationStoreTest, ANewerFormatIsRefusedWithOneLine) {
    mongo::ClientLease client = pool_->lease();
    mongo::run_command(
        client.get(), state_db_,
        bson::Document::from_json(
            R"({"insert": "checkpoints", "documents": [{"_id": "sync", "version": 3}]})")
            .view());
    try {
        store()->load();
        FAIL() << "a checkpoint of format version 3 was read";
    } catch (const std::runtime_error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("version 3"), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

}  // namespace
}  // namespace tributary::checkpoint
