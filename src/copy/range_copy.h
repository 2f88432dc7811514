// Copying one _id range: a reader streams the range from the source in _id order into batches,
// a writer thread inserts them on the destination; a bounded queue between them bounds memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "bson/document.h"
#include "mongo/client.h"
#include "mongo/collection.h"

namespace tributary::copy {

struct RangeResult {
    bool complete = false;  // false: stopped before the end of the range
    int64_t documents = 0;
};

// Copies one range; a transient failure (network, RetryableWriteError, ...) on either side copies
// the range again after a capped, jittered exponential backoff, a few times before it throws.
RangeResult copy_range(mongo::ClientPool& source, mongo::ClientPool& destination,
                       const std::string& db, const std::string& coll, const bson_t* filter,
                       int read_batch_size, const std::atomic<bool>& stop);

// Inserts `batch` as one unordered bulk. Documents already present (duplicate _id: a range
// redone after a crash) are replaced by _id instead. Other rejections throw UserError (exit 5).
void insert_batch(const mongo::Collection& destination, const std::vector<bson::Document>& batch);

}  // namespace tributary::copy
