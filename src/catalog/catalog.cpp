// Catalog enumeration and creation. Collection options are passed to create exactly as
// listCollections reports them (the create command accepts the same fields), indexes likewise
// after dropping "ns" (removed from listIndexes output in 4.4, rejected by newer createIndexes).
#include "catalog/catalog.h"

#include <algorithm>
#include <map>

#include "catalog/neutralized_indexes.h"
#include "mongo/collection.h"

namespace tributary::catalog {

namespace {

bson::Document index_spec_for_create(const bson_t* spec) {
    bson::Document cleaned;
    bson_copy_to_excluding_noinit(spec, cleaned.get(), "ns", nullptr);
    return cleaned;
}

std::string type_of(const bson_t* entry) {
    return mongo::get_string(entry, "type").value_or("collection");
}

bson::Document options_of(const bson_t* entry) {
    auto options = mongo::get_document(entry, "options");
    return options ? std::move(*options) : bson::Document();
}

// listCollections' filter for collections named `names`: {name: {$in: [...]}}; null for all.
std::optional<bson::Document> name_filter(const std::optional<std::vector<std::string>>& names) {
    if (!names) return std::nullopt;
    bson::Document filter;
    bson_t name, in;
    BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "name", &name);
    BSON_APPEND_ARRAY_BEGIN(&name, "$in", &in);
    for (size_t i = 0; i < names->size(); ++i)
        BSON_APPEND_UTF8(&in, std::to_string(i).c_str(), (*names)[i].c_str());
    bson_append_array_end(&name, &in);
    bson_append_document_end(filter.get(), &name);
    return filter;
}

// info.uuid (binary subtype 4) as its 16 bytes; views have none.
std::string uuid_of(const bson_t* entry) {
    return mongo::get_binary(entry, "info.uuid").value_or("");
}

}  // namespace

bool CollectionInfo::is_capped() const {
    return mongo::get_bool(options.view(), "capped").value_or(false);
}

std::vector<std::string> list_databases(mongoc_client_t* client, const NamespaceFilter& filter) {
    std::vector<std::string> selected;
    for (std::string& db : mongo::list_database_names(client)) {
        if (filter.database_selected(db)) selected.push_back(std::move(db));
    }
    std::sort(selected.begin(), selected.end());
    return selected;
}

std::vector<CollectionInfo> list_collections(mongoc_client_t* client, const std::string& db,
                                             const NamespaceFilter& filter,
                                             const std::optional<std::vector<std::string>>& names,
                                             IndexListing listing) {
    std::vector<CollectionInfo> collections;
    const std::optional<bson::Document> listing_filter = name_filter(names);
    for (const bson::Document& entry :
         mongo::list_collections(client, db, listing_filter ? listing_filter->view() : nullptr)) {
        std::string name = mongo::get_string(entry.view(), "name").value_or("");
        if (!filter.matches(db, name)) continue;
        CollectionInfo info{
            db, name, type_of(entry.view()), options_of(entry.view()), {}, uuid_of(entry.view())};
        if (listing == IndexListing::kWithIndexes && !info.is_view()) {
            info.indexes = mongo::Collection(client, db, name).list_indexes();
            // Every collection has its _id index (a clustered one too); none means it was
            // dropped or renamed after listCollections named it. It is gone: its drop or rename
            // event follows, and comparing against its empty index list would drop the
            // destination's.
            if (info.type == "collection" && info.indexes.empty()) continue;
        }
        collections.push_back(std::move(info));
    }
    std::stable_sort(collections.begin(), collections.end(),
                     [](const CollectionInfo& a, const CollectionInfo& b) {
                         return !a.is_view() && b.is_view();
                     });
    return collections;
}

std::vector<CollectionInfo> list_all(mongoc_client_t* client, const NamespaceFilter& filter,
                                     IndexListing listing) {
    std::vector<CollectionInfo> all;
    for (const std::string& db : list_databases(client, filter)) {
        for (CollectionInfo& info : list_collections(client, db, filter, std::nullopt, listing))
            all.push_back(std::move(info));
    }
    return all;
}

std::string collection_uuid(mongoc_client_t* client, const std::string& db,
                            const std::string& name) {
    bson::Document filter(BCON_NEW("name", BCON_UTF8(name.c_str())));
    std::vector<bson::Document> entries = mongo::list_collections(client, db, filter.view());
    return entries.empty() ? "" : uuid_of(entries.front().view());
}

void create_collection(mongoc_client_t* client, const CollectionInfo& info) {
    bson::Document command;
    BSON_APPEND_UTF8(command.get(), "create", info.name.c_str());
    bson_concat(command.get(), info.options.view());
    try {
        mongo::run_command(client, info.db, command.view());
    } catch (const mongo::Error& error) {
        if (error.code() != mongo::codes::kNamespaceExists) throw;
    }
}

void create_indexes(mongoc_client_t* client, const std::string& db, const std::string& coll,
                    const std::vector<bson::Document>& indexes, IndexForm form) {
    bson::Document command;
    BSON_APPEND_UTF8(command.get(), "createIndexes", coll.c_str());
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(command.get(), "indexes", &array);
    uint32_t count = 0;
    for (const bson::Document& spec : indexes) {
        // _id_ exists with the collection; a clustered index is part of its create options.
        if (mongo::get_string(spec.view(), "name").value_or("") == "_id_" ||
            mongo::get_bool(spec.view(), "clustered").value_or(false)) {
            continue;
        }
        bson::Document cleaned = index_spec_for_create(
            form == IndexForm::kNeutralized ? neutralized_spec(spec.view()).view() : spec.view());
        std::string key = std::to_string(count++);
        BSON_APPEND_DOCUMENT(&array, key.c_str(), cleaned.view());
    }
    bson_append_array_end(command.get(), &array);
    if (count > 0) mongo::run_command(client, db, command.view());
}

void drop_index(mongoc_client_t* client, const std::string& db, const std::string& coll,
                const std::string& name) {
    bson::Document command(
        BCON_NEW("dropIndexes", BCON_UTF8(coll.c_str()), "index", BCON_UTF8(name.c_str())));
    try {
        mongo::run_command(client, db, command.view());
    } catch (const mongo::Error& error) {
        if (error.code() != mongo::codes::kIndexNotFound &&
            error.code() != mongo::codes::kNamespaceNotFound) {
            throw;
        }
    }
}

void coll_mod(mongoc_client_t* client, const std::string& db, const std::string& coll,
              const bson_t* options) {
    bson::Document command;
    BSON_APPEND_UTF8(command.get(), "collMod", coll.c_str());
    bson_concat(command.get(), options);
    mongo::run_command(client, db, command.view());
}

bool CatalogDiff::empty() const {
    return missing_collections.empty() && missing_indexes.empty() && extra_indexes.empty() &&
           changed_options.empty();
}

namespace {

// Index or option fields as canonical text by name, so the comparison ignores field order and
// the fields servers add or drop on their own (v, ns, background).
std::map<std::string, std::string> comparable_fields(const bson_t* doc) {
    std::map<std::string, std::string> fields;
    bson_iter_t iter;
    if (!bson_iter_init(&iter, doc)) return fields;
    while (bson_iter_next(&iter)) {
        std::string key = bson_iter_key(&iter);
        if (key == "v" || key == "ns" || key == "background") continue;
        bson::Document single;
        bson_append_iter(single.get(), nullptr, 0, &iter);
        fields[key] = single.to_json();
    }
    return fields;
}

std::map<std::string, const bson::Document*> by_name(const std::vector<bson::Document>& indexes) {
    std::map<std::string, const bson::Document*> named;
    for (const bson::Document& spec : indexes) {
        named[mongo::get_string(spec.view(), "name").value_or("")] = &spec;
    }
    return named;
}

void diff_indexes(const CollectionInfo& source, const CollectionInfo& destination,
                  CatalogDiff& out) {
    auto wanted = by_name(source.indexes);
    auto present = by_name(destination.indexes);
    for (const auto& [name, spec] : wanted) {
        auto found = present.find(name);
        bool same =
            found != present.end() &&
            comparable_fields(expected_during_sync(spec->view(), found->second->view()).view()) ==
                comparable_fields(found->second->view());
        if (same) continue;
        if (found != present.end()) {
            out.extra_indexes.push_back({source.db, source.name, found->second->copy()});
        }
        out.missing_indexes.push_back({source.db, source.name, spec->copy()});
    }
    for (const auto& [name, spec] : present) {
        if (!wanted.contains(name) && name != "_id_") {  // _id_ goes only with its collection
            out.extra_indexes.push_back({source.db, source.name, spec->copy()});
        }
    }
}

// Options collMod can change in place: validation rules, view definitions, TTL of time series.
constexpr const char* kModifiableOptions[] = {"validator",
                                              "validationLevel",
                                              "validationAction",
                                              "viewOn",
                                              "pipeline",
                                              "expireAfterSeconds",
                                              "changeStreamPreAndPostImages"};

void diff_options(const CollectionInfo& source, const CollectionInfo& destination,
                  CatalogDiff& out) {
    auto wanted = comparable_fields(source.options.view());
    auto present = comparable_fields(destination.options.view());
    bson::Document changes;
    for (const char* option : kModifiableOptions) {
        auto in_source = wanted.find(option);
        if (in_source == wanted.end() || present[option] == in_source->second) continue;
        bson_iter_t iter;
        if (bson_iter_init_find(&iter, source.options.view(), option)) {
            bson_append_iter(changes.get(), nullptr, 0, &iter);
        }
    }
    if (!changes.empty())
        out.changed_options.push_back({source.db, source.name, std::move(changes)});
}

// Adds the differences of database `db` (of its collections `names` when given) to `out`.
void diff_into(mongoc_client_t* source, mongoc_client_t* destination, const NamespaceFilter& filter,
               const std::string& db, const std::optional<std::vector<std::string>>& names,
               CatalogDiff& out) {
    std::map<std::string, CollectionInfo> present;
    for (CollectionInfo& info : list_collections(destination, db, filter, names)) {
        present.emplace(info.name, std::move(info));
    }
    for (CollectionInfo& wanted : list_collections(source, db, filter, names)) {
        auto found = present.find(wanted.name);
        if (found == present.end()) {
            out.missing_collections.push_back(std::move(wanted));
            continue;
        }
        diff_indexes(wanted, found->second, out);
        diff_options(wanted, found->second, out);
    }
}

}  // namespace

CatalogDiff diff(mongoc_client_t* source, mongoc_client_t* destination,
                 const NamespaceFilter& filter) {
    CatalogDiff out;
    for (const std::string& db : list_databases(source, filter))
        diff_into(source, destination, filter, db, std::nullopt, out);
    return out;
}

CatalogDiff diff_database(mongoc_client_t* source, mongoc_client_t* destination,
                          const NamespaceFilter& filter, const std::string& db,
                          const std::optional<std::vector<std::string>>& names) {
    CatalogDiff out;
    if (filter.database_selected(db)) diff_into(source, destination, filter, db, names, out);
    return out;
}

void apply(mongoc_client_t* destination, const CatalogDiff& changes) {
    for (const CollectionInfo& info : changes.missing_collections) {
        create_collection(destination, info);
        if (!info.is_view()) create_indexes(destination, info.db, info.name, info.indexes);
    }
    for (const auto& change : changes.extra_indexes) {
        drop_index(destination, change.db, change.coll,
                   mongo::get_string(change.spec.view(), "name").value_or(""));
    }
    for (const auto& change : changes.missing_indexes) {
        std::vector<bson::Document> one;
        one.push_back(change.spec.copy());
        create_indexes(destination, change.db, change.coll, one);
    }
    for (const auto& change : changes.changed_options) {
        coll_mod(destination, change.db, change.coll, change.coll_mod.view());
    }
}

}  // namespace tributary::catalog
