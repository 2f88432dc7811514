// collMod's `index` option: TTL, hidden, and (6.0+) the two-step conversion of an index to a
// unique one through prepareUnique, and back with forceNonUnique.
#pragma once

#include <bson/bson.h>

#include <optional>

#include "server/collection.h"

namespace tmd {

struct CollModIndexRequest {
    Index* index = nullptr;
    std::optional<Value> expire_after_seconds;
    std::optional<bool> hidden;
    std::optional<bool> unique;          // only ever true: unique: false is refused
    std::optional<bool> prepare_unique;  //
    std::optional<bool> force_non_unique;
    int modifications = 0;  // the options given, as mongod counts them for its combination rules

    bool converts_to_unique() const { return unique && !index->unique(); }
};

// Parses and validates the `index` document against the collection. `with_unique_conversion`:
// the 6.0+ IDL (unique, prepareUnique, forceNonUnique; unknown fields 40415); otherwise the 4.4
// parser (unknown fields InvalidOptions).
CollModIndexRequest parse_coll_mod_index(Collection& coll, const Value& spec,
                                         bool with_unique_conversion);

// Throws CannotConvertIndexToUnique (359) with `violations` when documents share a key.
void check_convertible_to_unique(const Collection& coll, const Index& index);

// Applies the request and appends mongod's reply fields (expireAfterSeconds_old/_new,
// hidden_old/_new, unique_new, prepareUnique_old/_new, forceNonUnique_new).
void apply_coll_mod_index(Collection& coll, const CollModIndexRequest& request, bson_t* reply);

}  // namespace tmd
