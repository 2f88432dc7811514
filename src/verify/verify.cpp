// Verification by _id range: the split points come from the source (copy/ranges.h, the copy's
// own splitting), and each range filter is applied to both sides, so the server orders the _ids
// (its comparison rules, type brackets included) and no client-side BSON ordering is needed.
// The first range also matches every _id the range predicates cannot place (other type
// brackets, NaN), so the ranges cover both collections.
#include "verify/verify.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "catalog/catalog.h"
#include "copy/ranges.h"
#include "mongo/collection.h"
#include "mongo/server_info.h"

namespace tributary::verify {

namespace {

using Hash = std::array<unsigned char, 32>;

// How often an unsettled difference is read again at the latest.
constexpr auto kRecheckInterval = std::chrono::seconds(1);

// SHA-256 over a sequence of documents (their bytes, one after the other).
class Hasher {
  public:
    Hasher() : context_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(context_, EVP_sha256(), nullptr); }
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;
    ~Hasher() { EVP_MD_CTX_free(context_); }
    void add(const bson_t* doc) { EVP_DigestUpdate(context_, bson_get_data(doc), doc->len); }
    Hash finish() {
        Hash hash{};
        EVP_DigestFinal_ex(context_, hash.data(), nullptr);
        return hash;
    }

  private:
    EVP_MD_CTX* context_;
};

Hash hash_of(const bson_t* doc) {
    Hasher hasher;
    hasher.add(doc);
    return hasher.finish();
}

// The documents of one range of one side, in _id order.
mongo::Cursor read_range(mongoc_client_t* client, const std::string& db, const std::string& coll,
                         const bson_t* filter) {
    bson::Document opts(
        BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}", "batchSize", BCON_INT32(10000)));
    return mongo::Collection(client, db, coll).find(filter, opts.view());
}

struct RangeDigest {
    uint64_t count = 0;
    Hash hash{};
    bool operator==(const RangeDigest&) const = default;
};

// {_id: value} of a document, as bytes: the key that pairs a document with its other side.
std::string id_key(const bson_t* doc) {
    bson::Document id;
    bson_iter_t iter;
    if (bson_iter_init_find(&iter, doc, "_id")) bson_append_iter(id.get(), "_id", 3, &iter);
    return std::string(bson::bytes(id.view()));
}

bson::Document id_document(const std::string& key) {
    return bson::Document(
        bson_new_from_data(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
}

// (_id, document hash) of each document of a range, in _id order.
struct RangeIds {
    std::vector<std::pair<std::string, Hash>> entries;
    std::unordered_map<std::string, size_t> position;
};

// Runs `read(pool)` for both sides at once (the source on a thread of its own).
template <typename Result, typename Read>
std::pair<Result, Result> read_both(mongo::ClientPool& source, mongo::ClientPool& destination,
                                    Read read) {
    Result wanted;
    std::exception_ptr failure;
    std::thread source_reader([&] {
        try {
            wanted = read(source);
        } catch (...) {
            failure = std::current_exception();
        }
    });
    Result present;
    try {
        present = read(destination);
    } catch (...) {
        source_reader.join();
        throw;
    }
    source_reader.join();
    if (failure) std::rethrow_exception(failure);
    return {std::move(wanted), std::move(present)};
}

// The document with _id `id` ({_id: value}) of namespace `ns` on both sides (empty: absent).
std::pair<bson::Document, bson::Document> read_pair(mongo::ClientPool& source,
                                                    mongo::ClientPool& destination,
                                                    const std::string& ns,
                                                    const bson::Document& id) {
    const size_t dot = ns.find('.');  // database names cannot hold a dot
    return read_both<bson::Document>(source, destination, [&](mongo::ClientPool& pool) {
        mongo::ClientLease client = pool.lease();
        mongo::Cursor cursor =
            read_range(client.get(), ns.substr(0, dot), ns.substr(dot + 1), id.view());
        const bson_t* doc = cursor.next();
        return doc ? bson::Document::copy_of(doc) : bson::Document();
    });
}

struct Range {
    const catalog::CollectionInfo* info;
    const bson_t* split_points;
    size_t index;
};

struct RangeResult {
    uint64_t source_count = 0;
    uint64_t destination_count = 0;
    std::vector<Difference> differences;
    uint64_t total = 0;
};

class RangeComparer {
  public:
    RangeComparer(mongo::ClientPool& source, mongo::ClientPool& destination, size_t cap)
        : source_(source), destination_(destination), cap_(cap) {}

    RangeResult compare(const Range& range) const {
        bson::Document filter = copy::range_filter(range.split_points, range.index);
        auto [wanted, present] = read_both<RangeDigest>(
            source_, destination_,
            [&](mongo::ClientPool& pool) { return digest(pool, *range.info, filter.view()); });
        RangeResult result;
        result.source_count = wanted.count;
        result.destination_count = present.count;
        if (wanted != present) drill_down(*range.info, filter.view(), result);
        return result;
    }

  private:
    static RangeDigest digest(mongo::ClientPool& pool, const catalog::CollectionInfo& info,
                              const bson_t* filter) {
        mongo::ClientLease client = pool.lease();
        mongo::Cursor cursor = read_range(client.get(), info.db, info.name, filter);
        Hasher hasher;
        RangeDigest digest;
        while (const bson_t* doc = cursor.next()) {
            hasher.add(doc);
            ++digest.count;
        }
        digest.hash = hasher.finish();
        return digest;
    }

    static RangeIds ids(mongo::ClientPool& pool, const catalog::CollectionInfo& info,
                        const bson_t* filter) {
        mongo::ClientLease client = pool.lease();
        mongo::Cursor cursor = read_range(client.get(), info.db, info.name, filter);
        RangeIds ids;
        while (const bson_t* doc = cursor.next()) {
            ids.position.emplace(id_key(doc), ids.entries.size());
            ids.entries.emplace_back(id_key(doc), hash_of(doc));
        }
        return ids;
    }

    void drill_down(const catalog::CollectionInfo& info, const bson_t* filter,
                    RangeResult& result) const {
        auto [wanted, present] =
            read_both<RangeIds>(source_, destination_,
                                [&](mongo::ClientPool& pool) { return ids(pool, info, filter); });
        for (const auto& [key, hash] : wanted.entries) {
            auto other = present.position.find(key);
            if (other == present.position.end()) {
                add(result, {info.ns(), "missing-document", id_document(key), ""});
            } else if (present.entries[other->second].second != hash) {
                add(result,
                    {info.ns(), "changed-document", id_document(key), changed_field(info, key)});
            }
        }
        for (const auto& [key, hash] : present.entries) {
            if (!wanted.position.contains(key))
                add(result, {info.ns(), "extra-document", id_document(key), ""});
        }
    }

    // The first differing field of the document with _id `key`, read again on both sides.
    std::string changed_field(const catalog::CollectionInfo& info, const std::string& key) const {
        auto [wanted, present] = read_pair(source_, destination_, info.ns(), id_document(key));
        return first_difference(wanted.view(), present.view());
    }

    void add(RangeResult& result, Difference difference) const {
        if (result.differences.size() < cap_) result.differences.push_back(std::move(difference));
        ++result.total;
    }

    mongo::ClientPool& source_;
    mongo::ClientPool& destination_;
    size_t cap_;
};

// The ranges of one collection, split on the source.
bson::Document split_points(mongo::ClientPool& source, const catalog::CollectionInfo& info,
                            int64_t range_docs) {
    mongo::ClientLease client = source.lease();
    mongo::Collection coll(client.get(), info.db, info.name);
    return copy::split_collection(coll, coll.estimated_count(), range_docs).points;
}

// Compares the ranges on `workers` threads; results in range order.
std::vector<RangeResult> compare_ranges(const RangeComparer& comparer,
                                        const std::vector<Range>& ranges, int workers) {
    std::vector<RangeResult> results(ranges.size());
    std::atomic<size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto work = [&] {
        try {
            for (size_t i = next++; i < ranges.size(); i = next++)
                results[i] = comparer.compare(ranges[i]);
        } catch (...) {
            std::lock_guard lock(failure_mutex);
            if (!failure) failure = std::current_exception();
            next = ranges.size();
        }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < std::max(1, workers); ++i)
        threads.emplace_back(work);
    for (std::thread& thread : threads)
        thread.join();
    if (failure) std::rethrow_exception(failure);
    return results;
}

void add_difference(Report& report, size_t cap, Difference difference) {
    for (CollectionReport& row : report.collections) {
        if (row.ns == difference.ns) ++row.differences;
    }
    if (report.differences.size() < cap) report.differences.push_back(std::move(difference));
    ++report.total_differences;
}

void add_catalog_differences(Report& report, const catalog::CatalogDiff& diff,
                             const std::vector<std::string>& extra_collections, size_t cap) {
    for (const auto& info : diff.missing_collections)
        add_difference(report, cap, {info.ns(), "missing-collection", {}, ""});
    for (const std::string& ns : extra_collections)
        add_difference(report, cap, {ns, "extra-collection", {}, ""});
    // An index of one name on both sides but with other specifications is one difference.
    std::set<std::string> extra_names;
    for (const auto& change : diff.extra_indexes)
        extra_names.insert(change.db + "." + change.coll + " " +
                           mongo::get_string(change.spec.view(), "name").value_or(""));
    std::set<std::string> changed_names;
    for (const auto& change : diff.missing_indexes) {
        const std::string ns = change.db + "." + change.coll;
        const std::string name = mongo::get_string(change.spec.view(), "name").value_or("");
        const bool changed = extra_names.contains(ns + " " + name);
        if (changed) changed_names.insert(ns + " " + name);
        add_difference(report, cap, {ns, changed ? "different-index" : "missing-index", {}, name});
    }
    for (const auto& change : diff.extra_indexes) {
        const std::string ns = change.db + "." + change.coll;
        const std::string name = mongo::get_string(change.spec.view(), "name").value_or("");
        if (!changed_names.contains(ns + " " + name))
            add_difference(report, cap, {ns, "extra-index", {}, name});
    }
    for (const auto& change : diff.changed_options) {
        add_difference(
            report, cap,
            {change.db + "." + change.coll, "different-options", {}, change.coll_mod.to_json()});
    }
}

std::vector<std::string> extra_collections(mongoc_client_t* source, mongoc_client_t* destination,
                                           const catalog::NamespaceFilter& filter) {
    std::set<std::string> on_source;
    for (const auto& info :
         catalog::list_all(source, filter, catalog::IndexListing::kWithoutIndexes))
        on_source.insert(info.ns());
    std::vector<std::string> extra;
    for (const auto& info :
         catalog::list_all(destination, filter, catalog::IndexListing::kWithoutIndexes)) {
        if (!on_source.contains(info.ns())) extra.push_back(info.ns());
    }
    return extra;
}

std::string element_path(const std::string& prefix, const bson_iter_t& iter) {
    return prefix.empty() ? bson_iter_key(&iter) : prefix + "." + bson_iter_key(&iter);
}

bool element_bytes_equal(const bson_iter_t& a, const bson_iter_t& b) {
    const uint32_t a_len = a.next_off - a.off;
    const uint32_t b_len = b.next_off - b.off;
    return a_len == b_len && std::memcmp(a.raw + a.off, b.raw + b.off, a_len) == 0;
}

std::string first_difference_under(bson_iter_t a, bson_iter_t b, const std::string& prefix) {
    while (true) {
        const bool more_a = bson_iter_next(&a);
        const bool more_b = bson_iter_next(&b);
        if (!more_a && !more_b) return "";
        if (!more_a) return element_path(prefix, b);
        if (!more_b || std::strcmp(bson_iter_key(&a), bson_iter_key(&b)) != 0 ||
            bson_iter_type(&a) != bson_iter_type(&b))
            return element_path(prefix, a);
        if (element_bytes_equal(a, b)) continue;
        if (BSON_ITER_HOLDS_DOCUMENT(&a) || BSON_ITER_HOLDS_ARRAY(&a)) {
            bson_iter_t child_a, child_b;
            bson_iter_recurse(&a, &child_a);
            bson_iter_recurse(&b, &child_b);
            std::string inner = first_difference_under(child_a, child_b, element_path(prefix, a));
            if (!inner.empty()) return inner;
        }
        return element_path(prefix, a);
    }
}

bool is_document_kind(const Difference& difference) {
    return !difference.id.empty();
}

// A kept document difference being rechecked: the source document at the previous read.
struct Recheck {
    size_t index;  // in Report::differences
    bool read = false;
    std::string source_bytes;  // "" when absent on the source
};

bool replicated_past(const Options& options, bson::Timestamp time) {
    std::optional<bson::Timestamp> applied =
        options.applied_time ? options.applied_time() : std::nullopt;
    return applied && !applied->is_null() && *applied >= time;
}

// Waits up to kRecheckInterval for the replicator to apply the source's changes up to `time`.
void wait_for_replication(const Options& options, bson::Timestamp time,
                          std::chrono::steady_clock::time_point deadline) {
    const auto until = std::min(deadline, std::chrono::steady_clock::now() + kRecheckInterval);
    while (std::chrono::steady_clock::now() < until && !replicated_past(options, time))
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

bson::Timestamp source_time(mongo::ClientPool& source) {
    mongo::ClientLease client = source.lease();
    return mongo::fetch_operation_time(client.get());
}

// Reads the difference again; false when both sides are now equal. Updates it otherwise, and
// marks it `confirmed` when the source document did not change since the previous read and
// the replicator has applied past that read.
bool recheck(Report& report, Recheck& pending, mongo::ClientPool& source,
             mongo::ClientPool& destination, bool replicated, bool& confirmed) {
    Difference& difference = report.differences[pending.index];
    auto [wanted, present] = read_pair(source, destination, difference.ns, difference.id);
    if (wanted.empty() && present.empty()) return false;
    if (!wanted.empty() && !present.empty() && bson::byte_equal(wanted.view(), present.view()))
        return false;
    difference.kind = wanted.empty()    ? "extra-document"
                      : present.empty() ? "missing-document"
                                        : "changed-document";
    difference.detail = difference.kind == "changed-document"
                            ? first_difference(wanted.view(), present.view())
                            : "";
    const std::string bytes = wanted.empty() ? "" : std::string(bson::bytes(wanted.view()));
    confirmed = replicated && pending.read && bytes == pending.source_bytes;
    pending.read = true;
    pending.source_bytes = bytes;
    return true;
}

void drop_settled(Report& report, const std::vector<bool>& settled) {
    std::vector<Difference> kept;
    for (size_t i = 0; i < report.differences.size(); ++i) {
        if (!settled[i]) {
            kept.push_back(std::move(report.differences[i]));
            continue;
        }
        --report.total_differences;
        for (CollectionReport& row : report.collections)
            if (row.ns == report.differences[i].ns) --row.differences;
    }
    report.differences = std::move(kept);
}

// Online mode: rechecks the kept document differences until each is gone (settled: the
// replicator caught up), confirmed persistent, or the timeout passes.
void settle(Report& report, mongo::ClientPool& source, mongo::ClientPool& destination,
            const Options& options) {
    std::vector<Recheck> pending;
    for (size_t i = 0; i < report.differences.size(); ++i)
        if (is_document_kind(report.differences[i])) pending.push_back({i, false, ""});
    if (pending.empty() || options.settle_timeout.count() == 0) return;
    spdlog::info("Rechecking {} document difference(s) until they settle (at most {} s)",
                 pending.size(), options.settle_timeout.count());
    const auto deadline = std::chrono::steady_clock::now() + options.settle_timeout;
    std::vector<bool> settled(report.differences.size(), false);
    bson::Timestamp last_read = source_time(source);
    while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
        wait_for_replication(options, last_read, deadline);
        const bool replicated = replicated_past(options, last_read);
        std::vector<Recheck> still;
        for (Recheck& entry : pending) {
            bool confirmed = false;
            if (!recheck(report, entry, source, destination, replicated, confirmed))
                settled[entry.index] = true;
            else if (!confirmed)
                still.push_back(std::move(entry));
        }
        pending = std::move(still);
        last_read = source_time(source);  // after the reads: what the next wait waits for
    }
    drop_settled(report, settled);
}

}  // namespace

std::string first_difference(const bson_t* a, const bson_t* b) {
    bson_iter_t iter_a, iter_b;
    if (!bson_iter_init(&iter_a, a) || !bson_iter_init(&iter_b, b)) return "";
    return first_difference_under(iter_a, iter_b, "");
}

std::string Report::table() const {
    constexpr size_t kShown = 5;
    size_t width = 9;
    for (const CollectionReport& c : collections)
        width = std::max(width, c.ns.size());
    std::string out = fmt::format("{:<{}}  {:>12}  {:>12}  {:>11}\n", "namespace", width,
                                  "source docs", "dest docs", "differences");
    for (const CollectionReport& c : collections) {
        out +=
            fmt::format("{:<{}}  {:>12}  {:>12}  {:>11}\n", c.ns, width, c.source_count,
                        c.destination_count, c.equal() ? "equal" : std::to_string(c.differences));
        size_t shown = 0;
        for (const Difference& d : differences) {
            if (d.ns != c.ns || shown == kShown) continue;
            ++shown;
            std::string what = d.id.empty() ? d.detail : d.id.to_json();
            if (!d.id.empty() && !d.detail.empty()) what += "  field '" + d.detail + "'";
            out += fmt::format("  {}  {}\n", d.kind, what);
        }
        if (c.differences > shown) out += fmt::format("  ... and {} more\n", c.differences - shown);
    }
    out += equal() ? "RESULT: destination equals source\n"
                   : "RESULT: destination differs from source\n";
    return out;
}

std::string Report::json() const {
    bson::Document out;
    BSON_APPEND_BOOL(out.get(), "equal", equal());
    BSON_APPEND_INT64(out.get(), "totalDifferences", static_cast<int64_t>(total_differences));
    BSON_APPEND_BOOL(out.get(), "truncated", total_differences > differences.size());
    bson_t array, entry;
    BSON_APPEND_ARRAY_BEGIN(out.get(), "collections", &array);
    for (size_t i = 0; i < collections.size(); ++i) {
        const CollectionReport& c = collections[i];
        bson_append_document_begin(&array, std::to_string(i).c_str(), -1, &entry);
        BSON_APPEND_UTF8(&entry, "ns", c.ns.c_str());
        BSON_APPEND_INT64(&entry, "sourceCount", static_cast<int64_t>(c.source_count));
        BSON_APPEND_INT64(&entry, "destinationCount", static_cast<int64_t>(c.destination_count));
        BSON_APPEND_INT64(&entry, "differences", static_cast<int64_t>(c.differences));
        bson_append_document_end(&array, &entry);
    }
    bson_append_array_end(out.get(), &array);
    BSON_APPEND_ARRAY_BEGIN(out.get(), "differences", &array);
    for (size_t i = 0; i < differences.size(); ++i) {
        const Difference& d = differences[i];
        bson_append_document_begin(&array, std::to_string(i).c_str(), -1, &entry);
        BSON_APPEND_UTF8(&entry, "ns", d.ns.c_str());
        BSON_APPEND_UTF8(&entry, "kind", d.kind.c_str());
        bson_iter_t id;
        if (!d.id.empty() && bson_iter_init_find(&id, d.id.view(), "_id"))
            bson_append_iter(&entry, "_id", 3, &id);
        if (!d.detail.empty()) BSON_APPEND_UTF8(&entry, "detail", d.detail.c_str());
        bson_append_document_end(&array, &entry);
    }
    bson_append_array_end(out.get(), &array);
    return out.to_json();
}

Report compare(mongo::ClientPool& source, mongo::ClientPool& destination,
               const catalog::NamespaceFilter& filter, const Options& options) {
    std::vector<catalog::CollectionInfo> collections;
    catalog::CatalogDiff catalog_diff;
    std::vector<std::string> extra;
    {
        mongo::ClientLease source_client = source.lease();
        mongo::ClientLease destination_client = destination.lease();
        collections = catalog::list_all(source_client.get(), filter);
        catalog_diff = catalog::diff(source_client.get(), destination_client.get(), filter);
        extra = extra_collections(source_client.get(), destination_client.get(), filter);
    }
    std::set<std::string> missing;
    for (const auto& info : catalog_diff.missing_collections)
        missing.insert(info.ns());

    Report report;
    std::vector<bson::Document> points;
    points.reserve(collections.size());
    std::vector<Range> ranges;
    for (const catalog::CollectionInfo& info : collections) {
        report.collections.push_back({info.ns()});
        points.push_back(info.is_view() || missing.contains(info.ns())
                             ? bson::Document()
                             : split_points(source, info, options.range_docs));
        if (info.is_view() || missing.contains(info.ns())) continue;
        for (size_t i = 0; i < copy::range_count(points.back().view()); ++i)
            ranges.push_back({&info, points.back().view(), i});
    }
    for (const std::string& ns : extra)
        report.collections.push_back({ns});
    add_catalog_differences(report, catalog_diff, extra, options.max_differences);

    RangeComparer comparer(source, destination, options.max_differences);
    std::vector<RangeResult> results = compare_ranges(comparer, ranges, options.workers);
    for (size_t i = 0; i < ranges.size(); ++i) {
        for (CollectionReport& row : report.collections) {
            if (row.ns != ranges[i].info->ns()) continue;
            row.source_count += results[i].source_count;
            row.destination_count += results[i].destination_count;
        }
        for (Difference& difference : results[i].differences)
            add_difference(report, options.max_differences, std::move(difference));
        // Differences past a range's cap are counted, not kept.
        const uint64_t dropped = results[i].total - results[i].differences.size();
        report.total_differences += dropped;
        for (CollectionReport& row : report.collections)
            if (row.ns == ranges[i].info->ns()) row.differences += dropped;
    }
    settle(report, source, destination, options);
    return report;
}

}  // namespace tributary::verify
