// The update command's fast path for a replacement by _id ({q: {_id: X}, u: <document>}), the
// write tributary replicates inserts and replacements with: kept as BSON bytes end to end.
#pragma once

#include <optional>
#include <string>

#include "server/catalog.h"

namespace tmd {

// What one update statement did: the update command's n, nModified and upserted.
struct UpdateOutcome {
    int64_t matched = 0;
    int64_t modified = 0;
    std::optional<Value> upserted_id;
};

// Applies `statement` when it is a plain replacement by _id and returns what it did; returns
// nothing, having changed nothing, for any other statement (the general path applies those).
// The caller holds the catalog's unique lock. Throws what the general path would throw for the
// same statement (DuplicateKey 11000 from a secondary unique index).
std::optional<UpdateOutcome> replace_by_id(Catalog& catalog, const std::string& db,
                                           const std::string& coll, const bson_t& statement,
                                           bool bypass);

}  // namespace tmd
