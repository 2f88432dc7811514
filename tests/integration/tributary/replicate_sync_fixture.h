// Test fixture for end-to-end replication: a source (4.4 or 7.0 profile) and a 7.0 destination,
// the `tributary sync` binary between them, and the independent comparator as the judge.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/comparator.h"
#include "tributary_process.h"
#include "two_servers_fixture.h"

namespace tributary_test {

class ReplicateSyncTest : public TwoServersTest {
  protected:
    ReplicateSyncTest() : TwoServersTest("replsync") {}

    std::vector<std::string> sync_args(std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{
            "sync", "--source", source_server_.uri, "--destination", dest_server_.uri,
            "--db", db_,        "--state-file",     state_file_};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }
    // Starts `tributary sync` and waits until it follows the change stream.
    std::unique_ptr<TributaryProcess> start_sync(std::vector<std::string> extra = {}) {
        auto sync = std::make_unique<TributaryProcess>(sync_args(std::move(extra)));
        EXPECT_TRUE(eventually([&] { return sync->output_contains("change stream started"); },
                               std::chrono::seconds(30)))
            << sync->output();
        return sync;
    }

    // renameCollection db_.from -> db_.to on the source.
    void rename_collection(const std::string& from, const std::string& to,
                           bool drop_target = false) {
        admin_command(R"({"renameCollection": ")" + db_ + "." + from + R"(", "to": ")" + db_ + "." +
                      to + R"(", "dropTarget": )" + (drop_target ? "true" : "false") + "}");
    }
    // Turns the source's failCommand fail point off (for TearDown: servers are shared).
    void source_fail_command_off() {
        if (source_) {
            source_->run_command("admin",
                                 R"({"configureFailPoint": "failCommand", "mode": "off"})");
        }
    }
    // Fails the destination's next `times` insert/update/delete commands with 10107
    // NotWritablePrimary and the label mongod adds to it for retryable writes (the driver retries
    // each such write once, so each failed attempt of tributary takes two).
    void fail_destination_writes(int times) {
        arm_destination_write_failures(R"({"times": )" + std::to_string(times) + "}");
    }
    // The same failure for every write until the test sets the failpoint's mode to "off".
    void fail_destination_writes_until_disarmed() {
        arm_destination_write_failures(R"("alwaysOn")");
    }
    void arm_destination_write_failures(const std::string& mode) {
        auto armed =
            dest_->run_command("admin", R"({"configureFailPoint": "failCommand", "mode": )" + mode +
                                            R"(, "data": {
            "failCommands": ["insert", "update", "delete"], "errorCode": 10107,
            "errorLabels": ["RetryableWriteError"]}})");
        ASSERT_TRUE(armed.ok) << armed.error;
    }
    // {"insert": coll, "documents": [{_id: first..first+count-1, payload}]}.
    void insert_range(const std::string& coll, int first, int count) {
        std::string command = R"({"insert": ")" + coll + R"(", "documents": [)";
        for (int id = first; id < first + count; ++id) {
            command += (id > first ? "," : "") + std::string(R"({"_id": )") + std::to_string(id) +
                       R"(, "payload": "row )" + std::to_string(id) + R"(", "n": 0})";
        }
        source_command(command + "]}");
    }
    // The collection names of `db_` on `client`, as the listCollections reply's JSON.
    std::string collections(testsupport::Client& client) {
        auto reply = client.run_command(db_, R"({"listCollections": 1, "nameOnly": true})");
        return reply.ok ? reply.reply.document("cursor.firstBatch").json() : reply.error;
    }
};

}  // namespace tributary_test
