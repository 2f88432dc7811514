// Test helper: the independent comparator (tests/support/comparator.h) as a yes/no judge with a
// readable report, shared by the fixtures' equal_now()/converges().
#pragma once

#include <string>

#include "support/comparator.h"
#include "support/mongo_client.h"

namespace tributary_test {

// The comparator finds `db` equal on both deployments; otherwise `report` (when given) holds one
// line per difference.
inline bool databases_equal(testsupport::Client& source, testsupport::Client& destination,
                            const std::string& db, std::string* report,
                            const testsupport::CompareOptions& options = {}) {
    auto differences = testsupport::compare_databases(source, destination, {db}, options);
    if (report) {
        report->clear();
        for (const auto& line : differences)
            *report += line + "\n";
    }
    return differences.empty();
}

}  // namespace tributary_test
