// Spec runner: running one unified-format test file (schemaVersion, runOnRequirements,
// initialData, entities, operations with their expectations, expectEvents, outcome).
#pragma once

#include <mongoc/mongoc.h>

#include <string>
#include <vector>

#include "bson_util.h"
#include "skips.h"

namespace spec {

// What runOnRequirements are evaluated against.
struct ServerInfo {
    std::string version;   // e.g. "7.0.16"
    std::string topology;  // single | replicaset | sharded
    bool auth = false;
};

ServerInfo describe_server(mongoc_client_t* client);

struct TestReport {
    // kSkipped: the test's own runOnRequirements or skipReason, or a runner limitation found while
    // running it; kListed: an entry of skips.txt (reason "pending: ..." for missing behaviour).
    enum class Status { kPassed, kFailed, kSkipped, kListed };
    Status status;
    std::string description;
    std::string reason;  // why it failed or was skipped
};

class FileRunner {
  public:
    // run_pending: also run the tests skips.txt lists as pending, and fail those that pass.
    FileRunner(std::string uri, mongoc_client_t* internal_client, ServerInfo server,
               const Skips& skips, bool run_pending)
        : uri_(std::move(uri)),
          internal_(internal_client),
          server_(std::move(server)),
          skips_(skips),
          run_pending_(run_pending) {}

    // `shown_as` is the file's name in reports and in skips.txt matching.
    std::vector<TestReport> run(const std::string& path, const std::string& shown_as);
    // Kills every session (and so every open transaction) of the deployment: at the start of
    // the suite, after a failed test and after a test that started a transaction.
    void terminate_open_transactions();

  private:
    TestReport run_test(const Doc& file, const Doc& test, const std::string& shown_as);
    TestReport execute_test(const Doc& file, const Doc& test, const std::string& description);
    bool listed_and_not_run(const std::optional<std::string>& reason) const;
    std::optional<std::string> unmet_requirements(const Doc& holder, const char* key);
    bool satisfied(const Doc& requirement);
    void load_initial_data(const Doc& file);
    void check_outcome(const Doc& test);
    void disable_fail_points(const std::vector<std::string>& names);

    std::string uri_;
    mongoc_client_t* internal_;
    ServerInfo server_;
    const Skips& skips_;
    bool run_pending_;
};

}  // namespace spec
