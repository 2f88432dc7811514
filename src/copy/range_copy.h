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

// kById: the range is read along the _id index and written as unordered inserts. kNatural (capped
// collections, copied as one range): read in natural order and written in that order, so the
// destination keeps the source's insertion order.
enum class ReadOrder { kById, kNatural };

// Copies one range; a transient failure (network, RetryableWriteError, ...) on either side copies
// the range again (retry_transient, retrying.h).
RangeResult copy_range(mongo::ClientPool& source, mongo::ClientPool& destination,
                       const std::string& db, const std::string& coll, const bson_t* filter,
                       int read_batch_size, ReadOrder order, const std::atomic<bool>& stop);

// Inserts `batch` as one unordered bulk. Documents already present (duplicate _id: a range
// redone after a crash) are replaced by _id instead. Other rejections throw UserError (exit 5).
void insert_batch(const mongo::Collection& destination, const std::vector<bson::Document>& batch);
// Writes `batch` in its order as one ordered bulk of replace-with-upsert by _id: absent documents
// are appended (a capped collection's insertion order), present ones (a redone range) replaced in
// place. Rejections throw UserError (exit 5).
void upsert_in_order(const mongo::Collection& destination,
                     const std::vector<bson::Document>& batch);

}  // namespace tributary::copy
