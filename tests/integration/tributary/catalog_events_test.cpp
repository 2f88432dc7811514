// Catalog events end to end through `tributary sync`: create, createIndexes, dropIndexes, collMod,
// drop, rename, dropDatabase and the invalidate that follows it from a 7.0 source (as events:
// nothing polls a 6.0+ source), and the same index and option changes from a 4.4 source, which
// emits no such events (found by polling).
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::eventually;
using tributary_test::ReplicateSyncTest;

class CatalogEventsTest : public ReplicateSyncTest {
  protected:
    // The run needs the database to exist before it starts (sync refuses an unknown --db).
    void start_with_seed(const std::string& profile) {
        start_servers(profile);
        insert_range("seed", 0, 3);
        sync_ = start_sync();
    }
    void TearDown() override {
        if (sync_) {
            EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
        }
        ReplicateSyncTest::TearDown();
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_F(CatalogEventsTest, CreateWithOptionsAndCreateIndexesAreReplicated) {
    start_with_seed("7.0");
    source_command(R"({"create": "capped", "capped": true, "size": 65536})");
    source_command(R"({"create": "checked", "validator": {"n": {"$type": "int"}}})");
    source_command(R"({"createIndexes": "checked", "indexes": [
        {"key": {"payload": 1}, "name": "payload_1", "unique": true},
        {"key": {"n": -1, "payload": 1}, "name": "n_payload"}]})");
    insert_range("checked", 0, 10);
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_TRUE(sync_->output_contains("Applied 'createIndexes' on collection")) << sync_->output();
}

TEST_F(CatalogEventsTest, DropIndexesAndCollModAreReplicated) {
    start_servers("7.0");
    source_command(R"({"create": "c"})");
    source_command(R"({"createIndexes": "c", "indexes": [{"key": {"n": 1}, "name": "n_1"},
        {"key": {"payload": 1}, "name": "payload_1"}]})");
    insert_range("c", 0, 10);
    sync_ = start_sync();
    source_command(R"({"dropIndexes": "c", "index": "n_1"})");
    source_command(R"({"collMod": "c", "validator": {"payload": {"$type": "string"}},
        "validationLevel": "moderate"})");
    insert_range("c", 10, 5);
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_TRUE(sync_->output_contains("Applied 'dropIndexes' on collection")) << sync_->output();
    EXPECT_TRUE(sync_->output_contains("Applied 'modify' on collection")) << sync_->output();
}

TEST_F(CatalogEventsTest, DropAndRenameAreApplied) {
    start_with_seed("7.0");
    insert_range("old_name", 0, 5);
    insert_range("doomed", 0, 5);
    ASSERT_TRUE(eventually([&] { return collections(*dest_).find("doomed") != std::string::npos; }))
        << sync_->output();
    rename_collection("old_name", "new_name");
    source_command(R"({"drop": "doomed"})");
    insert_range("new_name", 5, 5);
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    const std::string names = collections(*dest_);
    EXPECT_EQ(names.find("doomed"), std::string::npos) << names;
    EXPECT_EQ(names.find("old_name"), std::string::npos) << names;
}

TEST_F(CatalogEventsTest, DropDatabaseInvalidatesTheStreamAndReplicationContinues) {
    start_with_seed("7.0");
    insert_range("c", 0, 5);
    ASSERT_TRUE(eventually([&] { return collections(*dest_).find("\"c\"") != std::string::npos; }))
        << sync_->output();
    source_command(R"({"dropDatabase": 1})");
    // dropDatabase ends a database stream with an invalidate; the run reopens it with startAfter
    // and keeps replicating writes into the re-created database.
    ASSERT_TRUE(eventually([&] { return collections(*dest_).find("name") == std::string::npos; }))
        << collections(*dest_) << sync_->output();
    insert_range("reborn", 0, 5);
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    EXPECT_TRUE(sync_->output_contains("Dropped database")) << sync_->output();
}

TEST_F(CatalogEventsTest, IndexAndOptionChangesOnA44SourceAreFoundByPolling) {
    start_servers("4.4");
    insert_range("seed", 0, 3);
    sync_ = start_sync({"--catalog-poll-interval", "1"});
    source_command(R"({"create": "orders"})");
    insert_range("orders", 0, 10);
    source_command(R"({"createIndexes": "orders", "indexes": [
        {"key": {"payload": 1}, "name": "payload_1", "unique": true}]})");
    source_command(R"({"collMod": "orders", "validator": {"n": {"$type": "int"}}})");
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
    source_command(R"({"dropIndexes": "orders", "index": "payload_1"})");
    EXPECT_TRUE(converges(&report)) << report << sync_->output();
}

}  // namespace
