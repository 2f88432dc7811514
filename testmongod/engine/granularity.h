// GranularityRounder: the preferred-number series ($bucketAuto "granularity": R5..R80, 1-2-5,
// E6..E192, POWERSOF2) that round bucket boundaries up or down, as mongod's rounders do.
#pragma once

#include <string>
#include <vector>

#include "engine/value.h"

namespace tmd {

class GranularityRounder {
  public:
    // Throws MongoError 40257 for an unknown series name.
    explicit GranularityRounder(const std::string& name);

    // The smallest series value strictly greater than `v` (0 stays 0); throws MongoError
    // 40262/40263/40268 for non-numeric, NaN or negative values.
    Value round_up(const Value& v) const;
    // The largest series value strictly less than `v` (0 stays 0).
    Value round_down(const Value& v) const;

  private:
    std::vector<double> series_;  // empty for POWERSOF2
};

}  // namespace tmd
