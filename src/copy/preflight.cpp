// The copy's preflight (copy/preflight.h).
#include "copy/preflight.h"

#include <spdlog/spdlog.h>

#include "catalog/catalog.h"
#include "mongo/collection.h"
#include "status/progress.h"

namespace tributary::copy {
namespace {

// The `ts` of the oplog's first (1) or last (-1) entry in natural order.
bson::Timestamp oplog_end(mongoc_client_t* source, int direction) {
    mongo::Collection oplog(source, "local", "oplog.rs");
    bson::Document opts(BCON_NEW("sort", "{", "$natural", BCON_INT32(direction), "}", "limit",
                                 BCON_INT64(1), "projection", "{", "ts", BCON_INT32(1), "}"));
    mongo::Cursor cursor = oplog.find(bson::Document().view(), opts.view());
    const bson_t* entry = cursor.next();
    if (entry == nullptr) throw std::runtime_error("empty oplog");
    return mongo::get_timestamp(entry, "ts").value_or(bson::Timestamp{});
}

// Documents to copy, from the collections' metadata counts (for sizing, not correctness).
int64_t documents_to_copy(mongoc_client_t* source, const catalog::NamespaceFilter& filter) {
    int64_t total = 0;
    for (const auto& info :
         catalog::list_all(source, filter, catalog::IndexListing::kWithoutIndexes)) {
        if (!info.is_view())
            total += mongo::Collection(source, info.db, info.name).estimated_count();
    }
    return total;
}

std::string seconds_text(std::optional<int64_t> seconds) {
    return seconds ? std::to_string(*seconds) + " s" : std::string("unknown");
}

}  // namespace

std::optional<int64_t> oplog_window_seconds(mongoc_client_t* source) {
    try {
        const bson::Timestamp first = oplog_end(source, 1);
        const bson::Timestamp last = oplog_end(source, -1);
        if (first.is_null() || last.is_null()) return std::nullopt;
        return int64_t(last.t) - int64_t(first.t);
    } catch (const std::exception&) {
        return std::nullopt;  // not readable (permissions, a server without local.oplog.rs)
    }
}

std::optional<int64_t> copy_seconds(int64_t remaining, double per_second) {
    if (per_second <= 0) return std::nullopt;
    return static_cast<int64_t>(static_cast<double>(remaining) / per_second);
}

bool outlasts(std::optional<int64_t> copy_seconds, std::optional<int64_t> window_seconds) {
    return copy_seconds && window_seconds && *copy_seconds > *window_seconds;
}

Preflight::Preflight(mongo::ClientPool& source, const catalog::NamespaceFilter& filter,
                     bool following, std::chrono::seconds sample)
    : following_(following), sample_(sample) {
    mongo::ClientLease client = source.lease();
    const std::optional<int64_t> window = oplog_window_seconds(client.get());
    const int64_t to_copy = documents_to_copy(client.get(), filter);
    spdlog::info("Preflight: the source's oplog window is {}; about {} documents to copy.",
                 seconds_text(window), to_copy);
    thread_ = std::thread([this, to_copy, window] { estimate(to_copy, window); });
}

Preflight::~Preflight() {
    {
        std::lock_guard lock(mutex_);
        done_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void Preflight::estimate(int64_t to_copy, std::optional<int64_t> window) {
    const int64_t before = status::counters().documents_copied;
    {
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, sample_, [this] { return done_; })) return;  // copy done first
    }
    const int64_t copied = status::counters().documents_copied - before;
    const double rate = static_cast<double>(copied) / static_cast<double>(sample_.count());
    const std::optional<int64_t> duration = copy_seconds(to_copy - copied, rate);
    spdlog::info("Preflight: copying at {:.0f} documents/s, the copy needs about {} more.", rate,
                 seconds_text(duration));
    if (!following_ && outlasts(duration, window)) {
        spdlog::warn(
            "The copy would outlast the source's oplog window ({} against {}) and the change "
            "stream is not followed during it (--spool-max-mb 0): replication will not be able to "
            "start after it. Follow it (--spool-max-mb > 0) or enlarge the oplog.",
            seconds_text(duration), seconds_text(window));
    }
}

}  // namespace tributary::copy
