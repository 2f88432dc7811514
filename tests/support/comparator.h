// Test support: an independent judge of convergence. It compares what two deployments hold with
// plain libmongoc reads — the collection set in both directions, collection options, index
// specifications and every document byte for byte — and shares no code with tributary, so a
// bug in tributary's own `verify` cannot hide a difference from the tests.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "support/mongo_client.h"

namespace testsupport {

struct CompareOptions {
    // Fields of index specifications left out of the comparison, e.g. "expireAfterSeconds" while
    // a sync neutralises the destination's TTL indexes.
    std::vector<std::string> ignored_index_fields;
    // Stop after this many differences (the first ones found are the most useful).
    size_t max_differences = 20;
};

// Compares `databases` of the two deployments. For each database: the collections and views
// (names and types, both directions, `system.*` excepted), their `options`, the index
// specifications of each collection (by name; the `v` field and the order of top-level spec
// fields are ignored), and the documents of each collection: every `_id` on one side must be on
// the other with byte-identical BSON; capped collections must also hold them in the same natural
// order. Returns one human-readable line per difference; empty when the deployments are equal.
// A collection renamed or dropped while it is compared is a difference too; other read errors
// throw std::runtime_error.
std::vector<std::string> compare_databases(Client& source, Client& destination,
                                           const std::vector<std::string>& databases,
                                           const CompareOptions& options = {});

}  // namespace testsupport
