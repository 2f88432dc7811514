// The TTL monitor (see ttl_monitor.h), following mongod's TTLMonitor (src/mongo/db/ttl/ttl.cpp):
// each pass scans every single-field index with expireAfterSeconds for date keys at or before
// now - expireAfterSeconds (inclusive, as ttl.cpp's index bounds) and deletes those documents.
#include "server/ttl_monitor.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "server/catalog.h"
#include "server/collection_write.h"
#include "server/server_state.h"
#include "server/storage_util.h"
#include "server/timeseries.h"
#include "server/transaction.h"

namespace tmd {
namespace {

// expireAfterSeconds of a TTL index mongod would use: a single-field index other than _id's,
// with a numeric (not NaN) expireAfterSeconds.
std::optional<double> ttl_of(const Index& index) {
    const Value* expire = index.spec().get("expireAfterSeconds");
    if (!expire || !expire->is_number() || index.is_id_index() || index.key_pattern().size() != 1)
        return std::nullopt;
    double seconds = expire->as_double();
    if (seconds != seconds) return std::nullopt;
    return seconds;
}

// A document expires when one of its index keys (the field's date, or each date of an array) is
// at or before the cutoff; documents the index leaves out (partial, sparse) never do.
bool expired(const Index& index, const Document& doc, int64_t cutoff_ms) {
    for (const IndexKey& key : index.keys_of(doc)) {
        const Value& value = key.front();
        if (value.type() == BSON_TYPE_DATE_TIME && std::get<int64_t>(value.payload()) <= cutoff_ms)
            return true;
    }
    return false;
}

// The documents of `coll` its TTL indexes expire, in record order.
std::vector<RecordId> expired_documents(const Collection& coll, int64_t now_ms) {
    std::vector<RecordId> doomed;
    for (const Index& index : coll.indexes()) {
        auto seconds = ttl_of(index);
        if (!seconds) continue;
        auto cutoff_ms = now_ms - static_cast<int64_t>(*seconds * 1000);
        for (const auto& [rid, record] : coll.records()) {
            if (expired(index, to_document(record.doc), cutoff_ms)) doomed.push_back(rid);
        }
    }
    std::sort(doomed.begin(), doomed.end());
    doomed.erase(std::unique(doomed.begin(), doomed.end()), doomed.end());
    return doomed;
}

// Deletes the expired documents (or buckets, for a time-series collection's) of `coll`.
int64_t expire_collection(Catalog& catalog, Collection& coll, int64_t now_ms) {
    if (coll.is_view() || coll.is_capped()) return 0;
    std::vector<RecordId> doomed =
        bucket_spec_of(coll) ? expired_buckets(coll, now_ms) : expired_documents(coll, now_ms);
    int64_t deleted = 0;
    for (RecordId rid : doomed) {
        try {
            delete_document(catalog, coll, rid);
            ++deleted;
        } catch (const DocumentClaimed&) {
            // An open transaction wrote it: a later pass decides (mongod's TTL deletes retry
            // their write conflicts too).
        }
    }
    return deleted;
}

}  // namespace

int64_t run_ttl_pass(Catalog& catalog, std::chrono::system_clock::time_point now) {
    auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    // As mongod's TTL deletes: the catalog shared (IX) and one collection at a time exclusive.
    SharedLock lock(catalog.mutex());
    int64_t deleted = 0;
    for (const std::string& db : catalog.database_names()) {
        for (Collection* coll : catalog.collections(db)) {
            std::unique_lock writing(coll->mutex());
            deleted += expire_collection(catalog, *coll, now_ms);
        }
    }
    return deleted;
}

TtlMonitor::TtlMonitor(ServerState& server) : server_(server), thread_([this] { run(); }) {}

TtlMonitor::~TtlMonitor() {
    server_.request_shutdown();
    thread_.join();
}

// A pass every ttlMonitorSleepSecs, unless ttlMonitorEnabled is false (passes are counted only
// when made). A new ttlMonitorSleepSecs applies to the wait in progress, within a second, as
// mongod's TTLMonitor::updateSleepSeconds wakes the monitor.
void TtlMonitor::run() {
    using std::chrono::steady_clock;
    RuntimeParameters& parameters = server_.parameters();
    auto last = steady_clock::now();
    while (true) {
        auto due = last + std::chrono::seconds(parameters.ttl_monitor_sleep_secs.load());
        if (server_.wait_until(std::min(due, steady_clock::now() + std::chrono::seconds(1))))
            return;
        if (steady_clock::now() < last + std::chrono::seconds(parameters.ttl_monitor_sleep_secs))
            continue;
        last = steady_clock::now();
        if (!parameters.ttl_monitor_enabled) continue;
        try {
            int64_t deleted = run_ttl_pass(server_.catalog(), std::chrono::system_clock::now());
            server_.stats().ttl_deleted_documents += deleted;
            ++server_.stats().ttl_passes;
        } catch (const std::exception& error) {
            log_line(LogLevel::Warning, std::string("TTL pass failed: ") + error.what());
        }
    }
}

}  // namespace tmd
