// Neutralized indexes: what is left out during a sync, how a destination index is recognised as
// a neutralized copy of the source's, and how the options are put back.
#include "catalog/neutralized_indexes.h"

#include <map>

#include "catalog/catalog.h"
#include "mongo/collection.h"

namespace tributary::catalog {

namespace {

constexpr const char* kNeutralizedOptions[] = {"unique", "prepareUnique", "expireAfterSeconds"};
constexpr const char* kUniquenessOptions[] = {"unique", "prepareUnique"};

// maxWireVersion of the first releases with collMod index conversions (MongoDB's wire version
// table): 5.1 adds expireAfterSeconds to a non-TTL index, 6.0 prepareUnique and unique.
constexpr int32_t kWireVersion51 = 14;
constexpr int32_t kWireVersion60 = 17;

bool has_field(const bson_t* doc, const char* key) {
    return bson_has_field(doc, key);
}

bool is_set(const bson_t* spec, const char* option) {
    bson_iter_t iter;
    return bson_iter_init_find(&iter, spec, option) && bson_iter_as_bool(&iter);
}

bson::Document without(const bson_t* spec, const std::vector<const char*>& fields) {
    bson::Document result;
    bson_iter_t iter;
    if (!bson_iter_init(&iter, spec)) return result;
    while (bson_iter_next(&iter)) {
        bool dropped = false;
        for (const char* field : fields)
            dropped = dropped || std::string(bson_iter_key(&iter)) == field;
        if (!dropped) bson_append_iter(result.get(), nullptr, 0, &iter);
    }
    return result;
}

std::map<std::string, bson::Document> specs_by_name(std::vector<bson::Document> specs) {
    std::map<std::string, bson::Document> named;
    for (bson::Document& spec : specs) {
        std::string name = mongo::get_string(spec.view(), "name").value_or("");
        named.emplace(std::move(name), std::move(spec));
    }
    return named;
}

// collMod {index: {name, <option>: <value>}} with `option` = {<option>: <value>}; false when the
// reply does not report the change (`<option>_new`, as mongod's collMod replies), i.e. the
// server did not apply it.
bool coll_mod_index(mongoc_client_t* destination, const NeutralizedIndex& index,
                    const bson::Document& option) {
    bson::Document command;
    BSON_APPEND_UTF8(command.get(), "collMod", index.coll.c_str());
    bson_t spec;
    BSON_APPEND_DOCUMENT_BEGIN(command.get(), "index", &spec);
    BSON_APPEND_UTF8(&spec, "name", index.name().c_str());
    bson_concat(&spec, option.view());
    bson_append_document_end(command.get(), &spec);
    bson::Document reply = mongo::run_command(destination, index.db, command.view());
    bson_iter_t iter;
    bson_iter_init(&iter, option.view());
    bson_iter_next(&iter);
    return has_field(reply.view(), (std::string(bson_iter_key(&iter)) + "_new").c_str());
}

bson::Document flag(const char* option, bool value) {
    bson::Document doc;
    BSON_APPEND_BOOL(doc.get(), option, value);
    return doc;
}

// The collMod steps that give the destination the source's uniqueness. mongod: an index becomes
// unique only once it has prepareUnique (manual, collMod "Convert an Existing Index to a Unique
// Index"); prepareUnique alone makes the server refuse new duplicates meanwhile.
std::vector<bson::Document> uniqueness_steps(const bson_t* source_spec) {
    std::vector<bson::Document> steps;
    steps.push_back(flag("prepareUnique", true));
    if (is_set(source_spec, "unique")) steps.push_back(flag("unique", true));
    return steps;
}

// The collMod step that gives a non-TTL index the source's expireAfterSeconds (5.1+).
std::vector<bson::Document> ttl_steps(const bson_t* source_spec) {
    std::vector<bson::Document> steps(1);
    bson_iter_t value;
    if (bson_iter_init_find(&value, source_spec, "expireAfterSeconds"))
        bson_append_iter(steps[0].get(), nullptr, 0, &value);
    return steps;
}

// Applies `steps` by collMod; false when one was not applied (not supported for this index or
// by this server: rebuild instead). Duplicates are thrown after taking prepareUnique back, so
// that replicated writes are not refused by an index that stays non-unique.
bool coll_mod_steps(mongoc_client_t* destination, const NeutralizedIndex& index,
                    const std::vector<bson::Document>& steps) {
    for (const bson::Document& step : steps) {
        try {
            if (!coll_mod_index(destination, index, step)) return false;
        } catch (const mongo::Error& error) {
            if (!is_duplicate_key_error(error)) return false;
            coll_mod_index(destination, index, flag("prepareUnique", false));
            throw;
        }
    }
    return true;
}

void rebuild(mongoc_client_t* destination, const NeutralizedIndex& index, bool with_ttl) {
    std::vector<bson::Document> wanted;
    wanted.push_back(with_ttl ? index.source_spec.copy()
                              : without(index.source_spec.view(), {"expireAfterSeconds"}));
    drop_index(destination, index.db, index.coll, index.name());
    try {
        create_indexes(destination, index.db, index.coll, wanted, IndexForm::kAsSource);
    } catch (const mongo::Error& error) {
        if (!is_duplicate_key_error(error)) throw;
        create_indexes(destination, index.db, index.coll, wanted, IndexForm::kNeutralized);
        throw;
    }
}

}  // namespace

bool is_duplicate_key_error(const mongo::Error& error) {
    return error.code() == mongo::codes::kDuplicateKey ||
           error.code() == mongo::codes::kCannotConvertIndexToUnique;
}

bson::Document neutralized_spec(const bson_t* spec) {
    return without(spec, {std::begin(kNeutralizedOptions), std::end(kNeutralizedOptions)});
}

bson::Document expected_during_sync(const bson_t* source, const bson_t* destination) {
    std::vector<const char*> absent;
    for (const char* option : kNeutralizedOptions) {
        if (!has_field(destination, option)) absent.push_back(option);
    }
    return without(source, absent);
}

std::string NeutralizedIndex::name() const {
    return mongo::get_string(source_spec.view(), "name").value_or("");
}

std::vector<NeutralizedIndex> find_neutralized(mongoc_client_t* source,
                                               mongoc_client_t* destination,
                                               const NamespaceFilter& filter) {
    std::vector<NeutralizedIndex> found;
    for (const CollectionInfo& info : list_all(source, filter)) {
        if (info.is_view()) continue;
        auto present =
            specs_by_name(mongo::Collection(destination, info.db, info.name).list_indexes());
        for (const bson::Document& spec : info.indexes) {
            auto match = present.find(mongo::get_string(spec.view(), "name").value_or(""));
            if (match == present.end()) continue;
            const bson_t* here = match->second.view();
            NeutralizedIndex index{info.db, info.name, spec.copy()};
            for (const char* option : kUniquenessOptions) {
                index.uniqueness =
                    index.uniqueness || (is_set(spec.view(), option) && !is_set(here, option));
            }
            index.ttl = has_field(spec.view(), "expireAfterSeconds") &&
                        !has_field(here, "expireAfterSeconds");
            if (index.uniqueness || index.ttl) found.push_back(std::move(index));
        }
    }
    return found;
}

void restore(mongoc_client_t* destination, int32_t destination_wire_version,
             const NeutralizedIndex& index, bool with_ttl) {
    bool done = true;
    if (index.uniqueness) {
        done = destination_wire_version >= kWireVersion60 &&
               coll_mod_steps(destination, index, uniqueness_steps(index.source_spec.view()));
    }
    if (done && with_ttl && index.ttl) {
        done = destination_wire_version >= kWireVersion51 &&
               coll_mod_steps(destination, index, ttl_steps(index.source_spec.view()));
    }
    if (!done) rebuild(destination, index, with_ttl);
}

}  // namespace tributary::catalog
