// Base fixture of the copy and command-line tests: a source with the 4.4 profile and a 7.0
// destination, a client on each, a unique database and a unique state database, dropped after.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "comparator_check.h"
#include "support/mongo_client.h"
#include "support/server_process.h"

namespace tributary_test {

class CopyServersTest : public testing::Test {
  protected:
    // `db_prefix` names the test database (unique_name adds a unique suffix).
    explicit CopyServersTest(const std::string& db_prefix)
        : db_(testsupport::unique_name(db_prefix)), state_db_(testsupport::unique_name("state")) {}

    void TearDown() override {
        source_client_.run_command(db_, R"({"dropDatabase": 1})");
        dest_client_.run_command(db_, R"({"dropDatabase": 1})");
        dest_client_.run_command(state_db_, R"({"dropDatabase": 1})");
    }

    // The independent comparator finds db_ equal on both sides; otherwise `report` holds its
    // differences.
    bool equal_now(std::string* report = nullptr) {
        return databases_equal(source_client_, dest_client_, db_, report);
    }

    testsupport::TestServer source_ =
        testsupport::source_uri_or_start({"--version-profile", "4.4"});
    testsupport::TestServer dest_ = testsupport::dest_uri_or_start({"--version-profile", "7.0"});
    testsupport::Client source_client_{source_.uri};
    testsupport::Client dest_client_{dest_.uri};
    std::string db_;
    std::string state_db_;
};

}  // namespace tributary_test
