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

    // The independent comparator (tests/support) finds both sides equal; otherwise `report`
    // holds its differences.
    bool equal_now(std::string* report = nullptr) const {
        auto differences = testsupport::compare_databases(*source_, *dest_, {db_});
        if (report) {
            report->clear();
            for (const auto& line : differences)
                *report += line + "\n";
        }
        return differences.empty();
    }
    // Polls the comparator until both sides are equal or `timeout` ends; on failure `report`
    // holds the last differences.
    bool converges(std::string* report, std::chrono::seconds timeout = std::chrono::seconds(20)) {
        return tributary_test::eventually([&] { return equal_now(report); }, timeout);
    }

    void admin_command(const std::string& json) {
        auto result = source_->run_command("admin", json);
        ASSERT_TRUE(result.ok) << json << ": " << result.error;
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
