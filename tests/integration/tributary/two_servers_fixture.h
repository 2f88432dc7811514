// Test fixture base for replication tests: a source (any version profile) and a 7.0 destination,
// started fresh or taken from TRIBUTARY_TEST_SOURCE_URI/DEST_URI, one unique database on both,
// and a state file path; everything is dropped or removed after the test. The independent
// comparator (equal_now/converges) judges.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "comparator_check.h"
#include "support/child_process.h"
#include "support/comparator.h"
#include "support/mongo_client.h"
#include "support/server_process.h"

namespace tributary_test {

class TwoServersTest : public testing::Test {
  protected:
    // `db_prefix` names the test database ("<prefix>_<unique suffix>").
    explicit TwoServersTest(std::string db_prefix) : db_prefix_(std::move(db_prefix)) {}

    void start_servers(const std::string& source_profile, std::vector<std::string> extra = {}) {
        std::vector<std::string> source_args{"--version-profile", source_profile};
        source_args.insert(source_args.end(), extra.begin(), extra.end());
        source_server_ = testsupport::source_uri_or_start(source_args);
        dest_server_ = testsupport::dest_uri_or_start({"--version-profile", "7.0"});
        source_ = std::make_unique<testsupport::Client>(source_server_.uri);
        dest_ = std::make_unique<testsupport::Client>(dest_server_.uri);
        db_ = testsupport::unique_name(db_prefix_);
        state_file_ = (std::filesystem::temp_directory_path() / (db_ + ".state")).string();
    }
    void TearDown() override {
        if (source_) source_->run_command(db_, R"({"dropDatabase": 1})");
        if (dest_) dest_->run_command(db_, R"({"dropDatabase": 1})");
        if (!state_file_.empty()) std::filesystem::remove(state_file_);
    }

    void source_command(const std::string& json) {
        auto result = source_->run_command(db_, json);
        ASSERT_TRUE(result.ok) << json << ": " << result.error;
    }
    void dest_command(const std::string& json) {
        auto result = dest_->run_command(db_, json);
        ASSERT_TRUE(result.ok) << json << ": " << result.error;
    }

    // The independent comparator (tests/support) finds both sides equal; otherwise `report`
    // holds its differences.
    bool equal_now(std::string* report = nullptr,
                   const testsupport::CompareOptions& options = {}) const {
        return databases_equal(*source_, *dest_, db_, report, options);
    }
    // Polls the comparator until both sides are equal or `timeout` ends; on failure `report`
    // holds the last differences.
    bool converges(std::string* report, std::chrono::seconds timeout = std::chrono::seconds(20),
                   const testsupport::CompareOptions& options = {}) {
        return testsupport::eventually([&] { return equal_now(report, options); }, timeout);
    }

    void admin_command(const std::string& json) {
        auto result = source_->run_command("admin", json);
        ASSERT_TRUE(result.ok) << json << ": " << result.error;
    }
    testsupport::TestServer source_server_;
    testsupport::TestServer dest_server_;
    std::unique_ptr<testsupport::Client> source_;
    std::unique_ptr<testsupport::Client> dest_;
    std::string db_;
    std::string state_file_;

  private:
    std::string db_prefix_;
};

}  // namespace tributary_test
