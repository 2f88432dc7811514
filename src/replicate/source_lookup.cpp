// Lookups by incarnation: find the incarnation's current name (listCollections filtered by
// info.uuid: a rename within a database keeps the uuid, manual "renameCollection"; one across
// databases copies into a new collection), read the document there, and check the name still
// holds the incarnation after the read: a rename between the two would have read the wrong
// collection or nothing, so the lookup starts over.
#include "replicate/source_lookup.h"

#include "mongo/collection.h"
#include "mongo/error.h"

namespace tributary::replicate {
namespace {

// A collection renamed again between every listing and read this many times in a row.
constexpr int kMaxLookupAttempts = 5;

bson::Document uuid_filter(const std::string& uuid) {
    bson::Document filter;
    BSON_APPEND_BINARY(filter.get(), "info.uuid", BSON_SUBTYPE_UUID,
                       reinterpret_cast<const uint8_t*>(uuid.data()),
                       static_cast<uint32_t>(uuid.size()));
    return filter;
}

// The first listCollections entry of `db` matching `filter`, read from the source.
std::optional<bson::Document> first_listed(mongoc_client_t* source, const std::string& db,
                                           const bson::Document& filter) {
    auto listed =
        mongo::reading_source([&] { return mongo::list_collections(source, db, filter.view()); });
    if (listed.empty()) return std::nullopt;
    return std::move(listed.front());
}

std::optional<std::string> current_name(mongoc_client_t* source, const std::string& db,
                                        const std::string& uuid) {
    auto entry = first_listed(source, db, uuid_filter(uuid));
    if (!entry) return std::nullopt;
    return mongo::get_string(entry->view(), "name");
}

std::optional<bson::Document> find_by_id(mongoc_client_t* source, const Namespace& ns,
                                         const bson_t* id_filter) {
    mongo::Collection collection(source, ns.db, ns.coll);
    bson::Document options = bson::Document::from_json(R"({"limit": 1})");
    mongo::Cursor cursor = collection.find(id_filter, options.view());
    const bson_t* found = mongo::reading_source([&] { return cursor.next(); });
    if (!found) return std::nullopt;
    return bson::Document::copy_of(found);
}

}  // namespace

SourceDocument SourceLookup::find(mongoc_client_t* source, const Namespace& ns,
                                  const bson_t* id_filter) {
    const std::string uuid = incarnation(source, ns);
    if (uuid.empty()) return SourceDocument{std::nullopt, true};
    for (int attempt = 0; attempt < kMaxLookupAttempts; ++attempt) {
        std::optional<std::string> name = current_name(source, ns.db, uuid);
        if (!name) return SourceDocument{std::nullopt, true};
        std::optional<bson::Document> document = find_by_id(source, {ns.db, *name}, id_filter);
        if (current_name(source, ns.db, uuid) == name) return SourceDocument{std::move(document)};
    }
    mongo::Error error(MONGOC_ERROR_SERVER, 0,
                       "the source collection of '" + ns.full() + "' was renamed during each of " +
                           std::to_string(kMaxLookupAttempts) + " reads of a document");
    error.set_side(mongo::Side::kSource);
    throw error;
}

std::string SourceLookup::incarnation(mongoc_client_t* source, const Namespace& ns) {
    std::string uuid = checkpoint_.incarnation_of(ns.full());
    if (!uuid.empty()) return uuid;
    bson::Document by_name;
    BSON_APPEND_UTF8(by_name.get(), "name", ns.coll.c_str());
    auto entry = first_listed(source, ns.db, by_name);
    uuid = entry ? mongo::get_binary(entry->view(), "info.uuid").value_or("") : "";
    if (!uuid.empty()) checkpoint_.stage_incarnation(ns.full(), uuid);
    return uuid;
}

}  // namespace tributary::replicate
