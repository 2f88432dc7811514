// Projection: find's projection argument — inclusion, exclusion, _id handling, dotted paths,
// positional $, $slice, $elemMatch, and aggregation expressions as MongoDB 4.4+ accept.
#pragma once

#include <memory>

#include "engine/matcher.h"
#include "engine/value.h"

namespace tmd {

class Projection {
  public:
    // Throws MongoError with mongod's code on an invalid projection (e.g. mixing inclusion and
    // exclusion: code 31254 / 31253).
    explicit Projection(const Document& spec);
    ~Projection();
    Projection(Projection&&) noexcept;

    // `details` carries the matched array position for the positional operator.
    Document apply(const Document& doc, const MatchDetails* details = nullptr) const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace tmd
