// Verification by digest rather than by a sorted _id merge: it needs no client-side BSON
// ordering and streams each side once, in any order, with constant memory.
#include "verify/verify.h"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "catalog/catalog.h"
#include "mongo/collection.h"

namespace tributary::verify {

void Digest::add(const bson_t* doc) {
    unsigned char hash[SHA256_DIGEST_LENGTH];
    SHA256(bson_get_data(doc), doc->len, hash);
    uint64_t a = 0;
    uint64_t b = 0;
    std::memcpy(&a, hash, sizeof a);
    std::memcpy(&b, hash + sizeof a, sizeof b);
    ++count;
    sum_a += a;
    sum_b += b;
}

Digest digest_collection(mongoc_client_t* client, const std::string& db, const std::string& coll) {
    Digest digest;
    bson::Document opts(BCON_NEW("batchSize", BCON_INT32(10000)));
    mongo::Cursor cursor = mongo::Collection(client, db, coll).find(nullptr, opts.view());
    while (const bson_t* doc = cursor.next())
        digest.add(doc);
    return digest;
}

bool Report::equal() const {
    return std::all_of(collections.begin(), collections.end(),
                       [](const CollectionReport& c) { return c.equal(); });
}

std::string Report::table() const {
    size_t width = 9;
    for (const CollectionReport& c : collections)
        width = std::max(width, c.ns.size());
    auto verdict = [](bool ok) { return ok ? "equal" : "DIFFERENT"; };
    std::string out =
        fmt::format("{:<{}}  {:>12}  {:>12}  {:<9}  {:<9}  {:<9}\n", "namespace", width,
                    "source docs", "dest docs", "documents", "indexes", "options");
    for (const CollectionReport& c : collections) {
        out += fmt::format(
            "{:<{}}  {:>12}  {:>12}  {:<9}  {:<9}  {:<9}\n", c.ns, width, c.source_count,
            c.missing ? std::string("missing") : std::to_string(c.destination_count),
            verdict(c.documents_equal), verdict(c.indexes_equal), verdict(c.options_equal));
    }
    out += equal() ? "RESULT: destination equals source\n"
                   : "RESULT: destination differs from source\n";
    return out;
}

Report compare(mongoc_client_t* source, mongoc_client_t* destination,
               const catalog::NamespaceFilter& filter) {
    catalog::CatalogDiff differences = catalog::diff(source, destination, filter);
    std::set<std::string> missing, index_diffs, option_diffs;
    for (const auto& info : differences.missing_collections)
        missing.insert(info.ns());
    for (const auto& change : differences.missing_indexes)
        index_diffs.insert(change.db + "." + change.coll);
    for (const auto& change : differences.extra_indexes)
        index_diffs.insert(change.db + "." + change.coll);
    for (const auto& change : differences.changed_options)
        option_diffs.insert(change.db + "." + change.coll);

    Report report;
    for (const catalog::CollectionInfo& info : catalog::list_all(source, filter)) {
        CollectionReport row;
        row.ns = info.ns();
        row.missing = missing.contains(row.ns);
        row.indexes_equal = !index_diffs.contains(row.ns);
        row.options_equal = !option_diffs.contains(row.ns);
        if (!info.is_view()) {
            Digest wanted = digest_collection(source, info.db, info.name);
            Digest present =
                row.missing ? Digest{} : digest_collection(destination, info.db, info.name);
            row.source_count = wanted.count;
            row.destination_count = present.count;
            row.documents_equal = wanted == present;
        }
        report.collections.push_back(std::move(row));
    }
    return report;
}

}  // namespace tributary::verify
