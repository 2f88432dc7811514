// SortOrder: a sort specification ({a: 1, "b.c": -1}) as MongoDB applies it: dotted paths, arrays
// sorted by their smallest (ascending) or largest (descending) element, missing fields as null,
// values in BSON comparison order, and {$meta: ...} rejected unless supported.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/path.h"
#include "engine/value.h"

namespace tmd {

class SortOrder {
  public:
    // Throws MongoError(BadValue) on a bad spec. `collator` orders strings (nullptr: binary).
    explicit SortOrder(const Document& spec, std::shared_ptr<const Collator> collator = nullptr);
    // <0 when a sorts before b.
    int compare(const Document& a, const Document& b) const;
    bool empty() const { return keys_.empty(); }

  private:
    struct Key {
        FieldPath path;
        int direction;
    };
    std::vector<Key> keys_;
    std::shared_ptr<const Collator> collator_;
};

}  // namespace tmd
