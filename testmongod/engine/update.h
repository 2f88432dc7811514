// Update: an update argument as mongod applies it — a replacement document, an operator document
// ($set, $unset, $inc, $mul, $min, $max, $rename, $push with modifiers, $pull, $pullAll,
// $addToSet, $pop, $currentDate, $setOnInsert; positional $, $[] and $[<id>] with arrayFilters),
// or an aggregation pipeline. Errors carry mongod's codes (e.g. ImmutableField 66 for _id).
#pragma once

#include <memory>
#include <optional>

#include "engine/matcher.h"
#include "engine/value.h"

namespace tmd {

class Update {
  public:
    // `spec` is a document (replacement or operators) or an array (pipeline). Validates the spec
    // now, as mongod does before touching any document. Throws MongoError.
    Update(const Value& spec, const Array* array_filters = nullptr);
    ~Update();
    Update(Update&&) noexcept;

    bool is_replacement() const;

    // Applies the update to `doc` in place. `inserting` is true for the document an upsert
    // creates ($setOnInsert applies). `details` carries the matched array position for "$".
    // Returns whether the document changed. Throws MongoError (the document is then unchanged).
    bool apply(Document& doc, bool inserting, const MatchDetails* details = nullptr) const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

// Validates a document for insertion as mongod does, throwing BadValue (2): no top-level field
// name starting with '$'; _id not an array, regex or undefined. Update::apply checks the
// documents it produces itself (InvalidIdField 53, DollarPrefixedFieldName 52).
void validate_for_storage(const Document& doc);

}  // namespace tmd
