// `tributary verify` while `tributary sync` replicates continuous writes: differences that the
// replicator has not applied yet settle (rechecked until --settle-timeout), so none is
// reported; a difference made on the destination alone during the run still is.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "replicate_sync_fixture.h"
#include "support/mongo_client.h"
#include "tributary_process.h"
#include "verify_output.h"

namespace {

using tributary_test::TributaryProcess;

class VerifyOnlineSyncTest : public tributary_test::ReplicateSyncTest {
  protected:
    void SetUp() override {
        start_servers("7.0");
        insert_range("rows", 1, 200);
        sync_ = start_sync();
        writer_ = std::thread([this] { write_until_stopped(); });
    }
    void TearDown() override {
        stop_writes();
        sync_.reset();
        ReplicateSyncTest::TearDown();
    }

    // Updates every row in turn and inserts new ones, on a client of its own, until stopped.
    void write_until_stopped() {
        testsupport::Client client(source_server_.uri);
        for (int round = 0; !stop_; ++round) {
            const int id = 1 + round % 200;
            client.run_command(db_, R"({"update": "rows", "updates": [{"q": {"_id": )" +
                                        std::to_string(id) + R"(}, "u": {"$inc": {"n": 1}}}]})");
            if (round % 10 == 0) {
                client.run_command(db_, R"({"insert": "rows", "documents": [{"_id": )" +
                                            std::to_string(1000 + round) + R"(}]})");
            }
            ++writes_;
        }
    }
    void stop_writes() {
        stop_ = true;
        if (writer_.joinable()) writer_.join();
    }

    int verify(std::vector<std::string>* differences, std::string* output) {
        int code =
            TributaryProcess::run({"verify", "--source", source_server_.uri, "--destination",
                                   dest_server_.uri, "--db", db_, "--state-file", state_file_,
                                   "--range-docs", "50", "--settle-timeout", "30", "--json"},
                                  output);
        *differences = tributary_test::verify_differences(*output, db_);
        return code;
    }

    std::unique_ptr<TributaryProcess> sync_;
    std::thread writer_;
    std::atomic<bool> stop_{false};
    std::atomic<int> writes_{0};
};

TEST_F(VerifyOnlineSyncTest, ReportsNoFalseDifferenceUnderContinuousWrites) {
    std::vector<std::string> differences;
    std::string output;
    const int writes_before = writes_;
    EXPECT_EQ(verify(&differences, &output), 0) << output;
    EXPECT_TRUE(differences.empty()) << output;
    EXPECT_GT(writes_ - writes_before, 50) << "the writes did not run during verify";
}

TEST_F(VerifyOnlineSyncTest, StillReportsARealDifferenceMadeDuringTheRun) {
    dest_command(R"({"insert": "rows", "documents": [{"_id": "rogue"}]})");
    std::vector<std::string> differences;
    std::string output;
    EXPECT_EQ(verify(&differences, &output), 6) << output;
    EXPECT_EQ(differences, std::vector<std::string>{"extra-document rows rogue -"}) << output;
}

class VerifyAfterCopyTest : public tributary_test::ReplicateSyncTest {};

// `sync --verify-after-copy` prints the comparison once the copy is done, before replication.
TEST_F(VerifyAfterCopyTest, SyncVerifiesBeforeReplicationStarts) {
    start_servers("7.0");
    insert_range("rows", 1, 30);
    std::unique_ptr<TributaryProcess> sync = start_sync({"--verify-after-copy"});
    const std::string output = sync->output();
    const size_t verified = output.find("Verify after the copy: 0 difference(s)");
    EXPECT_NE(verified, std::string::npos) << output;
    EXPECT_NE(output.find("RESULT: destination equals source"), std::string::npos) << output;
    EXPECT_LT(verified, output.find("change stream started")) << output;
}

}  // namespace
