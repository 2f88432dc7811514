// One range's reader/writer pipeline. The reader never waits for a bulk insert to finish unless
// the queue is full, and the writer never waits for a getMore unless the queue is empty.
#include "copy/range_copy.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>

#include "cli/exit_codes.h"
#include "copy/bounded_queue.h"
#include "copy/initial_copy.h"
#include "copy/retrying.h"
#include "mongo/bulk.h"
#include "status/progress.h"

namespace tributary::copy {

namespace {

using Batch = std::vector<bson::Document>;

// Up to two batches wait while a third is being written: 3 x 16 MiB per range in flight.
constexpr size_t kQueuedBatches = 2;

bson::Document by_id(const bson_t* doc) {
    bson::Document filter;
    bson_iter_t iter;
    if (bson_iter_init_find(&iter, doc, "_id")) bson_append_iter(filter.get(), "_id", 3, &iter);
    return filter;
}

UserError rejected(const mongo::Collection& coll, const mongo::WriteError& error) {
    return UserError(kExitWriteFailure, "the destination rejected a document of '" + coll.ns() +
                                            "' (error " + std::to_string(error.code) + ": " +
                                            error.message +
                                            "); check the destination's disk and indexes");
}

void writer_loop(BoundedQueue<Batch>& queue, mongo::ClientPool& destination, const std::string& db,
                 const std::string& coll_name, ReadOrder order, std::exception_ptr& failure) {
    try {
        mongo::ClientLease client = destination.lease();
        mongo::Collection coll(client.get(), db, coll_name);
        while (std::optional<Batch> batch = queue.pop()) {
            if (order == ReadOrder::kNatural) {
                upsert_in_order(coll, *batch);
            } else {
                insert_batch(coll, *batch);
            }
            int64_t bytes = 0;
            for (const bson::Document& document : *batch)
                bytes += document.view()->len;
            status::counters().add_copied(db + "." + coll_name, int64_t(batch->size()), bytes);
        }
    } catch (...) {
        failure = std::current_exception();
        queue.close();  // unblocks the reader, which then rethrows
    }
}

}  // namespace

void insert_batch(const mongo::Collection& destination, const std::vector<bson::Document>& batch) {
    mongo::BulkWrite bulk(destination);
    for (const bson::Document& doc : batch)
        bulk.insert(doc.view());
    mongo::BulkResult result = bulk.execute();
    if (result.ok()) return;
    mongo::BulkWrite repair(destination);
    for (const mongo::WriteError& error : result.errors) {
        if (error.code != mongo::codes::kDuplicateKey) throw rejected(destination, error);
        const bson_t* doc = batch.at(error.index).view();
        bson::Document filter = by_id(doc);
        repair.replace_one(filter.view(), doc, true);
    }
    mongo::BulkResult repaired = repair.execute();
    if (!repaired.ok()) throw rejected(destination, repaired.errors.front());
}

void upsert_in_order(const mongo::Collection& destination,
                     const std::vector<bson::Document>& batch) {
    mongo::BulkWrite bulk(destination, true);
    for (const bson::Document& doc : batch) {
        bson::Document filter = by_id(doc.view());
        bulk.replace_one(filter.view(), doc.view(), true);
    }
    mongo::BulkResult result = bulk.execute();
    if (!result.ok()) throw rejected(destination, result.errors.front());
}

namespace {

RangeResult copy_range_once(mongo::ClientPool& source, mongo::ClientPool& destination,
                            const std::string& db, const std::string& coll, const bson_t* filter,
                            int read_batch_size, ReadOrder order, const std::atomic<bool>& stop) {
    BoundedQueue<Batch> queue(kQueuedBatches);
    std::exception_ptr writer_failure;
    std::thread writer([&] { writer_loop(queue, destination, db, coll, order, writer_failure); });
    RangeResult result;
    try {
        mongo::ClientLease client = source.lease();
        mongo::Collection source_coll(client.get(), db, coll);
        // Sorted by _id so the range is read along the _id index, as the split points were; a
        // capped collection in its natural (insertion) order.
        const char* sort_key = order == ReadOrder::kNatural ? "$natural" : "_id";
        bson::Document opts(BCON_NEW("sort", "{", sort_key, BCON_INT32(1), "}", "batchSize",
                                     BCON_INT32(read_batch_size)));
        mongo::Cursor cursor = source_coll.find(filter, opts.view());
        Batch batch;
        size_t bytes = 0;
        bool open = true;
        result.complete = true;
        while (open) {
            if (stop.load()) {
                result.complete = false;
                break;
            }
            const bson_t* doc = mongo::reading_source([&] { return cursor.next(); });
            bool full = batch.size() >= kMaxBatchDocuments ||
                        (doc && bytes + doc->len > kMaxBatchBytes && !batch.empty());
            if ((full || !doc) && !batch.empty()) {
                result.documents += static_cast<int64_t>(batch.size());
                open = queue.push(std::move(batch));
                batch = Batch();
                bytes = 0;
            }
            if (!doc) break;
            bytes += doc->len;
            batch.push_back(bson::Document::copy_of(doc));
        }
        if (!open) result.complete = false;
    } catch (...) {
        queue.close();
        writer.join();
        throw;
    }
    queue.close();
    writer.join();
    if (writer_failure) std::rethrow_exception(writer_failure);
    return result;
}

}  // namespace

RangeResult copy_range(mongo::ClientPool& source, mongo::ClientPool& destination,
                       const std::string& db, const std::string& coll, const bson_t* filter,
                       int read_batch_size, ReadOrder order, const std::atomic<bool>& stop) {
    // Copying a range again is safe: documents already written are replaced by _id.
    RangeResult result;
    const bool copied = retry_transient("Copying a range of '" + db + "." + coll + "'", stop, [&] {
        result =
            copy_range_once(source, destination, db, coll, filter, read_batch_size, order, stop);
    });
    return copied ? result : RangeResult{};
}

}  // namespace tributary::copy
