// The checkpoint: State survives a BSON round trip with every field, the file store replaces
// its file atomically, and Checkpoint's updates are persisted as they happen.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "checkpoint/checkpoint.h"

namespace tributary::checkpoint {
namespace {

State sample_state() {
    State state;
    state.run_id = "abc123";
    state.identity = {"h1:1", "h2:2", {"shop"}, {"shop.*"}, {"shop.tmp"}};
    state.start.resume_token = bson::Document::from_json(R"({"_data": "8263A0"})");
    state.start.operation_time = {1700000000, 7};
    CollectionCopy copy;
    copy.phase = CopyPhase::kInProgress;
    copy.split_points = bson::Document::from_json(R"({"0": {"$oid": "65a0a0a0a0a0a0a0a0a0a0a0"}})");
    copy.ranges_done = {true, false};
    copy.documents_copied = 42;
    state.collections.emplace("shop.orders", std::move(copy));
    state.resume_token = bson::Document::from_json(R"({"_data": "8263B0"})");
    state.resume_start_after = true;
    state.applied_cluster_time = {1700000100, 1};
    return state;
}

void expect_same(const State& a, const State& b) {
    EXPECT_TRUE(bson::byte_equal(a.to_bson().view(), b.to_bson().view()))
        << a.to_bson().to_json() << "\n"
        << b.to_bson().to_json();
}

TEST(CheckpointState, RoundTripsThroughBson) {
    State state = sample_state();
    State back = State::from_bson(state.to_bson().view());
    expect_same(state, back);
    EXPECT_EQ(back.identity, state.identity);
    EXPECT_EQ(back.collections.at("shop.orders").ranges_remaining(), 1u);
}

TEST(CheckpointState, RejectsForeignDocuments) {
    bson::Document other = bson::Document::from_json(R"({"_id": "sync"})");
    EXPECT_THROW(State::from_bson(other.view()), std::runtime_error);
}

class FileStoreTest : public testing::Test {
  protected:
    std::string path_ = (std::filesystem::temp_directory_path() /
                         ("tributary_state_" + std::to_string(::getpid()) + ".json"))
                            .string();
    void TearDown() override { std::filesystem::remove(path_); }
};

TEST_F(FileStoreTest, LoadsWhatWasSavedWithEveryBsonType) {
    auto store = open_file_store(path_);
    EXPECT_FALSE(store->load().has_value());
    store->save(sample_state());
    EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
    std::optional<State> loaded = open_file_store(path_)->load();
    ASSERT_TRUE(loaded.has_value());
    expect_same(*loaded, sample_state());
}

TEST_F(FileStoreTest, ClearRemovesTheFile) {
    auto store = open_file_store(path_);
    store->save(sample_state());
    store->clear();
    EXPECT_FALSE(store->load().has_value());
}

TEST_F(FileStoreTest, CorruptFileIsReportedNotIgnored) {
    std::ofstream(path_) << "not json";
    EXPECT_THROW(open_file_store(path_)->load(), std::runtime_error);
}

TEST_F(FileStoreTest, CheckpointPersistsEveryRangeAndCompletion) {
    State initial;
    initial.run_id = "r";
    Checkpoint checkpoint(open_file_store(path_), std::move(initial));
    checkpoint.begin_collection("db.c", bson::Document::from_json(R"({"0": 5, "1": 9})"));
    checkpoint.mark_range_done("db.c", 1, 4);
    {
        State saved = *open_file_store(path_)->load();
        const CollectionCopy& copy = saved.collections.at("db.c");
        EXPECT_EQ(copy.phase, CopyPhase::kInProgress);
        EXPECT_EQ(copy.ranges_done, (std::vector<bool>{false, true, false}));
        EXPECT_EQ(copy.documents_copied, 4);
    }
    // Beginning again (a restart) keeps the recorded ranges instead of new split points.
    checkpoint.begin_collection("db.c", bson::Document::from_json(R"({"0": 1})"));
    EXPECT_EQ(checkpoint.snapshot().collections.at("db.c").ranges_done.size(), 3u);
    checkpoint.mark_collection_complete("db.c");
    checkpoint.mark_copy_complete();
    bson::Document token = bson::Document::from_json(R"({"_data": "82"})");
    checkpoint.save_resume_token(token.view(), {5, 6}, true);
    State saved = *open_file_store(path_)->load();
    EXPECT_EQ(saved.collections.at("db.c").phase, CopyPhase::kComplete);
    EXPECT_TRUE(saved.copy_complete);
    EXPECT_EQ(saved.resume_token.to_json(), token.to_json());
    EXPECT_TRUE(saved.resume_start_after);
    EXPECT_EQ(saved.applied_cluster_time, (bson::Timestamp{5, 6}));
}

}  // namespace
}  // namespace tributary::checkpoint
