// Matcher: a compiled query filter ({a: {$gt: 1}, ...}) that tells whether a document matches,
// with MongoDB's semantics for dotted paths, arrays, type order and every query operator.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/value.h"

namespace tmd {

class Variables;  // engine/expression.h ($expr and let)

// What a match found, for the positional operator ("a.$" in updates and projections).
struct MatchDetails {
    std::optional<size_t> array_index;  // the first array position that satisfied the filter
};

class Matcher {
  public:
    // Compiles a filter; throws MongoError with mongod's code (BadValue 2, e.g. "unknown operator:
    // $foo") when the filter is invalid. `variables` serves $expr ($$NOW, let variables).
    // `collator` (engine/collation.h) compares strings in equality, $in and range predicates;
    // nullptr is the simple collation.
    explicit Matcher(const Document& filter, const Variables* variables = nullptr,
                     std::shared_ptr<const Collator> collator = nullptr);
    ~Matcher();
    Matcher(Matcher&&) noexcept;
    Matcher& operator=(Matcher&&) noexcept;

    bool matches(const Document& doc, MatchDetails* details = nullptr) const;
    bool matches_everything() const;  // the filter was {}

    // The fields an upsert seeds the new document with: top-level and dotted equality conditions
    // ({a: 1}, {"b.c": 2}, {$and: [{d: 3}]}), as mongod does. Throws NotSingleValueField (54) when
    // a path has two equalities.
    Document upsert_seed() const;

    struct Node;

  private:
    std::shared_ptr<const Collator> collator_;  // declared first: root_'s predicates point to it
    std::unique_ptr<Node> root_;
};

// $type's string aliases ("double", "string", "object", ...; "number" is not one: it is any
// numeric type) with their BSON types.
const std::map<std::string, bson_type_t>& type_aliases();

// {$gt: 1} is an operator document; {a: 1} and a DBRef ({$ref: ..., $id: ...}) are values.
bool is_query_operator_document(const Value& value);

}  // namespace tmd
