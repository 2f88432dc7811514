// End to end through `tributary sync`: a change stream that breaks (a dropped connection, a
// resumable server error on getMore) is reopened from the last applied event, and nothing is
// lost or applied twice. The faults come from MongoDB's failCommand and
// failGetMoreAfterCursorCheckout fail points.
#include <gtest/gtest.h>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class StreamResumeSyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        if (sync_) {
            EXPECT_EQ(sync_->terminate(), 0) << sync_->output();
        }
        if (source_) {
            for (const char* fail_point : {"failCommand", "failGetMoreAfterCursorCheckout"}) {
                source_->run_command("admin", std::string(R"({"configureFailPoint": ")") +
                                                  fail_point + R"(", "mode": "off"})");
            }
        }
        ReplicateSyncTest::TearDown();
    }
    // Arms failCommand for the next two getMores (the server needs enableTestCommands).
    bool fail_next_get_mores(const std::string& data) {
        auto result = source_->run_command(
            "admin", R"({"configureFailPoint": "failCommand", "mode": {"times": 2}, "data": {
                "failCommands": ["getMore"], )" +
                         data + "}}");
        return result.ok;
    }
    void expect_resumed_and_converged() {
        insert_range("c", 10, 10);
        std::string report;
        EXPECT_TRUE(converges(&report)) << report << sync_->output();
        EXPECT_TRUE(sync_->output_contains("Change stream interrupted")) << sync_->output();
    }
    // Arms failGetMoreAfterCursorCheckout for the next two getMores: an error raised once the
    // cursor is checked out, which mongod labels ResumableChangeStreamError (failCommand's errors
    // on getMore carry no such label).
    bool fail_next_get_mores_after_checkout(int error_code) {
        auto result = source_->run_command(
            "admin",
            R"({"configureFailPoint": "failGetMoreAfterCursorCheckout", "mode": {"times": 2},
                         "data": {"errorCode": )" +
                std::to_string(error_code) + "}}");
        return result.ok;
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_F(StreamResumeSyncTest, ClosedConnectionOnGetMoreIsResumed) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers("7.0");
    insert_range("c", 0, 10);
    sync_ = start_sync();
    if (!fail_next_get_mores(R"("closeConnection": true)")) GTEST_SKIP() << "no failCommand";
    expect_resumed_and_converged();
}

TEST_F(StreamResumeSyncTest, ResumableErrorOnGetMoreIsResumed) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    start_servers("4.4");
    insert_range("c", 0, 10);
    sync_ = start_sync();
    // HostUnreachable (6) raised by the getMore: mongod labels it ResumableChangeStreamError.
    if (!fail_next_get_mores_after_checkout(6)) GTEST_SKIP() << "no failGetMoreAfterCursorCheckout";
    expect_resumed_and_converged();
}

}  // namespace
