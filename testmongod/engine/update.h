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

class DeltaLog;

class Update {
  public:
    // `spec` is a document (replacement or operators) or an array (pipeline). Validates the spec
    // now, as mongod does before touching any document. Throws MongoError. `let` (the command's
    // let variables, Variables::from_let) is visible to a pipeline's expressions as $$name.
    // Taken by value so that a caller done with the spec can move a large replacement in.
    Update(Value spec, const Array* array_filters = nullptr, const Variables* let = nullptr);
    ~Update();
    Update(Update&&) noexcept;

    bool is_replacement() const;

    // Applies the update to `doc` in place. `inserting` is true for the document an upsert
    // creates ($setOnInsert applies). `details` carries the matched array position for "$".
    // Returns whether the document changed. Throws MongoError (the document is then unchanged).
    // An operator update records what it changed in `log` (mongod's $v:2 delta); replacements
    // and pipelines leave it empty (their oplog entries come from the images).
    bool apply(Document& doc, bool inserting, const MatchDetails* details = nullptr,
               DeltaLog* log = nullptr) const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

// Validates a document for storage as mongod's insert path does: _id not an array, regex or
// undefined (BadValue 2) and no '$'-prefixed name inside an _id document (52). Top-level
// '$' names are allowed from MongoDB 5.0; pass allow_top_level_dollar = false for the 4.4
// profile (BadValue). Update::apply checks the documents it produces itself (53, 52).
void validate_for_storage(const Document& doc, bool allow_top_level_dollar = true);
// MongoDB before 5.0 (storage_validation.cpp storageValid): no '$'-prefixed field name below the
// top level except the DBRef fields $ref, $id, $db in that order at the start of an object;
// throws DollarPrefixedFieldName (52) "The dollar ($) prefixed field '<f>' in '<path>' is not
// valid for storage."
void validate_nested_names_before_50(const Document& doc);

}  // namespace tmd
