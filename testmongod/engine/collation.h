// Collator: MongoDB collation ({locale, strength, caseLevel, caseFirst, numericOrdering,
// alternate, maxVariable, normalization, backwards}) as mongod implements it, with ICU.
#pragma once

#include <memory>
#include <string_view>

#include "engine/value.h"

struct UCollator;  // <unicode/ucol.h>

namespace tmd {

class Collator {
  public:
    // Parses a collation document. Returns nullptr for the simple collation ({locale: "simple"}),
    // which compares strings by their bytes. Throws MongoError: 40414 for a missing locale,
    // 40415 for an unknown field, BadValue (2) / TypeMismatch (14) for a bad value.
    static std::shared_ptr<const Collator> from_spec(const Document& spec);
    ~Collator();
    Collator(const Collator&) = delete;
    Collator& operator=(const Collator&) = delete;

    // <0, 0, >0 as `a` sorts before, equal to, after `b` under this collation.
    int compare(std::string_view a, std::string_view b) const;

  private:
    explicit Collator(UCollator* icu) : icu_(icu) {}
    UCollator* icu_;  // owned; ucol_strcollUTF8 on a const collator is thread-safe
};

}  // namespace tmd
