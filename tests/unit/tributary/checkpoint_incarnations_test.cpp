// The incarnations a checkpoint records for replication's source lookups (Checkpoint::
// incarnation_of): the copy's uuid until replication stages another, staged changes visible at
// once but persisted only with the next resume token, and a new copy of a name resets it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "checkpoint/checkpoint.h"

namespace tributary::checkpoint {
namespace {

class CheckpointIncarnationsTest : public testing::Test {
  protected:
    std::string path_ = (std::filesystem::temp_directory_path() /
                         ("tributary_incarnations_" + std::to_string(::getpid()) + ".json"))
                            .string();
    void TearDown() override { std::filesystem::remove(path_); }
    State saved() { return *open_file_store(path_)->load(); }
    void save_token(Checkpoint& checkpoint) {
        bson::Document token = bson::Document::from_json(R"({"_data": "82"})");
        checkpoint.save_resume_token(token.view(), {5, 6}, false);
    }
};

TEST_F(CheckpointIncarnationsTest, StagedChangesArePersistedWithTheNextResumeToken) {
    Checkpoint checkpoint(open_file_store(path_), State{});
    checkpoint.intend_collections({{"db.a", "uuid-of-a-16byte", {1, 1}}});
    EXPECT_EQ(checkpoint.incarnation_of("db.a"), "uuid-of-a-16byte");
    EXPECT_EQ(checkpoint.incarnation_of("db.b"), "");

    // A replayed rename a -> b, staged: visible now, not yet in the store.
    checkpoint.stage_incarnation("db.b", checkpoint.incarnation_of("db.a"));
    checkpoint.stage_incarnation("db.a", "");
    EXPECT_EQ(checkpoint.incarnation_of("db.b"), "uuid-of-a-16byte");
    EXPECT_EQ(checkpoint.incarnation_of("db.a"), "");
    checkpoint.mark_copy_complete();  // another save does not carry staged changes
    EXPECT_TRUE(saved().incarnations.empty());

    save_token(checkpoint);
    Checkpoint reloaded(open_file_store(path_), saved());
    EXPECT_EQ(reloaded.incarnation_of("db.b"), "uuid-of-a-16byte");
    EXPECT_EQ(reloaded.incarnation_of("db.a"), "");
}

TEST_F(CheckpointIncarnationsTest, DiscardedStagesAndNewCopiesLeaveTheCopysIncarnation) {
    Checkpoint checkpoint(open_file_store(path_), State{});
    checkpoint.intend_collections({{"db.a", "first-incarnatio", {1, 1}}});
    checkpoint.stage_incarnation("db.a", "");
    checkpoint.discard_staged_incarnations();  // the events are read again
    EXPECT_EQ(checkpoint.incarnation_of("db.a"), "first-incarnatio");

    checkpoint.stage_incarnation("db.a", "");
    save_token(checkpoint);
    checkpoint.intend_collections({{"db.a", "later-incarnatio", {9, 1}}});  // copied again
    EXPECT_EQ(checkpoint.incarnation_of("db.a"), "later-incarnatio");
    EXPECT_EQ(saved().incarnations.count("db.a"), 0u);
}

// Temporary collections come and go (an $out's tmp.agg_out.*, created then renamed away): what
// equals the copy's answer (no copy, no incarnation) is not recorded, or the run's fields, saved
// with every resume token, would grow with every collection that ever existed.
TEST_F(CheckpointIncarnationsTest, OnlyIncarnationsThatDifferFromTheCopyAreRecorded) {
    Checkpoint checkpoint(open_file_store(path_), State{});
    checkpoint.intend_collections({{"db.a", "uuid-of-a-16byte", {1, 1}}});
    checkpoint.stage_incarnation("db.tmp1", "temporary-uuid-1");
    checkpoint.stage_incarnation("db.tmp1", "");  // renamed away in the same batch
    checkpoint.stage_incarnation("db.a", "uuid-of-a-16byte");
    save_token(checkpoint);
    EXPECT_TRUE(saved().incarnations.empty());
    EXPECT_EQ(checkpoint.incarnation_of("db.tmp1"), "");

    checkpoint.stage_incarnation("db.tmp2", "temporary-uuid-2");
    save_token(checkpoint);
    checkpoint.stage_incarnation("db.tmp2", "");  // renamed away in a later batch
    save_token(checkpoint);
    EXPECT_TRUE(saved().incarnations.empty());
    EXPECT_EQ(checkpoint.incarnation_of("db.tmp2"), "");
}

}  // namespace
}  // namespace tributary::checkpoint
