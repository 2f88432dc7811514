// One sync per checkpoint: a second `tributary sync` on a checkpoint in use exits 2 naming the
// holder (host, pid, since), for a state file and for the destination's checkpoint collection;
// once the first one stops, or dies, the checkpoint is taken over.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;
using tributary_test::TributaryProcess;

class CheckpointLeaseTest : public ReplicateSyncTest {
  protected:
    // sync_args() without --state-file: the checkpoint lives on the destination.
    std::vector<std::string> destination_store_args() const {
        return {"sync", "--source", source_server_.uri, "--destination", dest_server_.uri,
                "--db", db_,        "--state-db",       db_ + "_state"};
    }
    void TearDown() override {
        if (dest_) dest_->run_command(db_ + "_state", R"({"dropDatabase": 1})");
        ReplicateSyncTest::TearDown();
    }
    void expect_refused_naming(const std::vector<std::string>& args,
                               const TributaryProcess& holder) {
        std::string output;
        EXPECT_EQ(TributaryProcess::run(args, &output), 2) << output;
        EXPECT_NE(output.find("in use by another tributary sync"), std::string::npos) << output;
        EXPECT_NE(output.find("pid " + std::to_string(holder.pid())), std::string::npos) << output;
    }
};

TEST_F(CheckpointLeaseTest, SecondSyncOnAStateFileIsRefusedUntilTheFirstDies) {
    start_servers("7.0");
    insert_range("users", 0, 5);
    auto first = start_sync();
    expect_refused_naming(sync_args(), *first);
    first->kill_hard();
    auto second = start_sync();
    insert_range("users", 5, 5);
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << second->output();
    EXPECT_EQ(second->terminate(), 0) << second->output();
}

TEST_F(CheckpointLeaseTest, SecondSyncOnTheDestinationCheckpointIsRefusedUntilTheFirstStops) {
    start_servers("7.0");
    insert_range("users", 0, 5);
    auto first = std::make_unique<TributaryProcess>(destination_store_args());
    ASSERT_TRUE(tributary_test::eventually([&] {
        return first->output_contains("change stream started");
    })) << first->output();
    expect_refused_naming(destination_store_args(), *first);
    EXPECT_EQ(first->terminate(), 0) << first->output();
    TributaryProcess second(destination_store_args());
    ASSERT_TRUE(tributary_test::eventually([&] {
        return second.output_contains("change stream started");
    })) << second.output();
    EXPECT_EQ(second.terminate(), 0) << second.output();
}

}  // namespace
