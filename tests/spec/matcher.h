// Spec runner: the unified format's "Evaluating Matches" rules (extra fields only in root-level
// documents, flexible numerics, and the $$ special operators).
#pragma once

#include <string>

#include "bson_util.h"
#include "entities.h"

namespace spec {

enum class Root {
    kYes,       // the value itself is a root-level document
    kElements,  // an array whose documents are root-level (iterable results: find, aggregate)
    kNo,
};

class Matcher {
  public:
    explicit Matcher(EntityMap& entities) : entities_(entities) {}

    // Throws TestFailure describing the first difference. `actual` is null when the value is
    // absent (e.g. an operation without a result).
    void match(const bson_iter_t& expected, const bson_iter_t* actual, Root root,
               const std::string& what) const;

    // Collection outcomes: every field must be present and equal at every level, key order aside.
    static void match_exactly(const bson_t* expected, const bson_t* actual,
                              const std::string& what);

  private:
    void match_value(const bson_iter_t& expected, const bson_iter_t* actual, bool root,
                     const std::string& path) const;
    void match_document(const bson_t* expected, const bson_iter_t& actual, bool root,
                        const std::string& path) const;
    void match_array(const bson_iter_t& expected, const bson_iter_t& actual, bool root_elements,
                     const std::string& path) const;
    void match_operator(const std::string& op, const bson_iter_t& operand,
                        const bson_iter_t* actual, bool root, const std::string& path) const;

    EntityMap& entities_;
    bool exact_ = false;  // no special operators, no extra fields anywhere
};

// The single "$$..." key of a document, or "" when it is not a special operator.
std::string special_operator(const bson_iter_t& value);

}  // namespace spec
