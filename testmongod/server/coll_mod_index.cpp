// collMod's `index` option, as mongod 6.0/7.0 parse and apply it (mongod:
// src/mongo/db/catalog/coll_mod.cpp parseCollModRequest, coll_mod_index.cpp) and as the manual
// describes the conversion ("Convert an Existing Index to a Unique Index",
// https://www.mongodb.com/docs/manual/core/index-unique/convert-to-unique/); jstests
// core/ddl/collmod_convert_index_uniqueness.js and collmod_convert_to_unique_violations.js.
#include "server/coll_mod_index.h"

#include <set>

#include "server/index.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

const std::set<std::string> kIndexFields44 = {"name", "keyPattern", "expireAfterSeconds", "hidden"};
const std::set<std::string> kIndexFields = {"name",          "keyPattern", "expireAfterSeconds",
                                            "hidden",        "unique",     "prepareUnique",
                                            "forceNonUnique"};

void check_fields(const Document& spec, bool with_unique_conversion) {
    const auto& known = with_unique_conversion ? kIndexFields : kIndexFields44;
    for (const auto& field : spec.fields()) {
        if (known.count(field.name)) continue;
        if (with_unique_conversion) {
            throw MongoError(code::Location40415,
                             "BSON field 'collMod.index." + field.name + "' is an unknown field.");
        }
        throw MongoError(code::InvalidOptions,
                         "Unrecognized field '" + field.name + "' in 'index' option");
    }
}

std::optional<bool> optional_bool(const Document& spec, const char* field) {
    if (!spec.get(field)) return std::nullopt;
    return bool_argument(spec, "collMod.index", field, false);
}

Index& find_index(Collection& coll, const Document& spec) {
    const Value* name = spec.get("name");
    const Value* key = spec.get("keyPattern");
    if (name && key)
        throw MongoError(code::InvalidOptions, "Cannot specify both key pattern and name.");
    if (!name && !key) {
        throw MongoError(code::InvalidOptions, "Must specify either index name or key pattern.");
    }
    if (name) {
        if (!name->is_string())
            throw MongoError(code::InvalidOptions, "Index name must be a string.");
        for (auto& index : coll.indexes()) {
            if (index.name() == name->str()) return index;
        }
        throw MongoError(code::IndexNotFound,
                         "cannot find index " + name->str() + " for ns " + coll.ns());
    }
    if (!key->is_document())
        throw MongoError(code::InvalidOptions, "Key pattern must be an object.");
    std::vector<Index*> matches;
    for (auto& index : coll.indexes()) {
        if (compare_documents(index.key_pattern(), key->doc()) == 0) matches.push_back(&index);
    }
    if (matches.empty()) {
        throw MongoError(code::IndexNotFound,
                         "cannot find index " + key->to_json() + " for ns " + coll.ns());
    }
    if (matches.size() > 1) {
        throw MongoError(code::AmbiguousIndexKeyPattern,
                         "index keyPattern " + key->to_json() + " matches " +
                             std::to_string(matches.size()) + " indexes, must use index name.");
    }
    return *matches.front();
}

void validate_unique_options(const CollModIndexRequest& request) {
    if (request.unique && request.force_non_unique) {
        throw MongoError(code::InvalidOptions,
                         "collMod does not support 'unique' and 'forceNonUnique' options at the "
                         "same time");
    }
    if (request.unique && !*request.unique) {
        throw MongoError(code::BadValue, "Cannot make index non-unique");
    }
    // One-step conversion is refused: prepareUnique must be set by an earlier collMod.
    if (request.converts_to_unique() && !request.index->prepare_unique()) {
        throw MongoError(code::InvalidOptions,
                         "Cannot make index unique with 'prepareUnique=false'. Run collMod to set "
                         "it first.");
    }
    if (request.force_non_unique && !*request.force_non_unique) {
        throw MongoError(code::BadValue, "'forceNonUnique: false' is not supported");
    }
}

// mongod's catalog keeps hidden, unique and prepareUnique in an index spec only while true.
void set_flag(Index& index, const std::string& option, bool value) {
    if (value) {
        index.set_option(option, Value::boolean(true));
    } else {
        index.remove_option(option);
    }
}

}  // namespace

CollModIndexRequest parse_coll_mod_index(Collection& coll, const Value& spec_value,
                                         bool with_unique_conversion) {
    if (!spec_value.is_document()) {
        throw MongoError(code::TypeMismatch, "BSON field 'collMod.index' is the wrong type '" +
                                                 type_name(spec_value.type()) +
                                                 "', expected type 'object'");
    }
    const Document& spec = spec_value.doc();
    check_fields(spec, with_unique_conversion);
    CollModIndexRequest request;
    if (const Value* ttl = spec.get("expireAfterSeconds")) request.expire_after_seconds = *ttl;
    request.hidden = optional_bool(spec, "hidden");
    request.unique = optional_bool(spec, "unique");
    request.prepare_unique = optional_bool(spec, "prepareUnique");
    request.force_non_unique = optional_bool(spec, "forceNonUnique");
    request.modifications = (request.expire_after_seconds ? 1 : 0) + (request.hidden ? 1 : 0) +
                            (request.unique ? 1 : 0) + (request.prepare_unique ? 1 : 0) +
                            (request.force_non_unique ? 1 : 0);
    if (request.modifications == 0) {
        throw MongoError(code::InvalidOptions,
                         with_unique_conversion
                             ? "no expireAfterSeconds, hidden, unique, or prepareUnique field"
                             : "no expireAfterSeconds or hidden field");
    }
    request.index = &find_index(coll, spec);
    if (request.hidden && request.index->is_id_index()) {
        throw MongoError(code::BadValue, "can't hide _id index");
    }
    validate_unique_options(request);
    return request;
}

void check_convertible_to_unique(const Collection& coll, const Index& index) {
    auto groups = coll.duplicate_ids(index);
    if (groups.empty()) return;
    Array violations;
    for (auto& ids : groups) {
        Document violation;
        violation.push_back("ids", Value::array(std::move(ids)));
        violations.push_back(Value::document(std::move(violation)));
    }
    Document info;
    info.push_back("violations", Value::array(std::move(violations)));
    throw DetailedError(code::CannotConvertIndexToUnique,
                        "Cannot convert the index to unique. Please resolve conflicting documents "
                        "before running collMod again.",
                        std::move(info));
}

// Each option that would not change the index is a no-op left out of the reply, as in mongod.
void apply_coll_mod_index(Collection& coll, const CollModIndexRequest& request, bson_t* reply) {
    Index& index = *request.index;
    if (request.converts_to_unique()) check_convertible_to_unique(coll, index);
    if (request.expire_after_seconds) {
        if (const Value* old = index.spec().get("expireAfterSeconds")) {
            append_value(reply, "expireAfterSeconds_old", *old);
        }
        append_value(reply, "expireAfterSeconds_new", *request.expire_after_seconds);
        index.set_option("expireAfterSeconds", *request.expire_after_seconds);
    }
    const Value* hidden = index.spec().get("hidden");
    bool was_hidden = hidden && hidden->truthy();
    if (request.hidden && *request.hidden != was_hidden) {
        BSON_APPEND_BOOL(reply, "hidden_old", was_hidden);
        BSON_APPEND_BOOL(reply, "hidden_new", *request.hidden);
        set_flag(index, "hidden", *request.hidden);
    }
    bool uniqueness_changes = false;
    if (request.converts_to_unique()) {
        set_flag(index, "unique", true);
        set_flag(index, "prepareUnique", false);
        BSON_APPEND_BOOL(reply, "unique_new", true);
        uniqueness_changes = true;
    }
    if (request.prepare_unique && *request.prepare_unique != index.prepare_unique() &&
        !index.unique()) {
        BSON_APPEND_BOOL(reply, "prepareUnique_old", index.prepare_unique());
        BSON_APPEND_BOOL(reply, "prepareUnique_new", *request.prepare_unique);
        set_flag(index, "prepareUnique", *request.prepare_unique);
        uniqueness_changes = true;
    }
    if (request.force_non_unique && index.unique()) {
        set_flag(index, "unique", false);
        BSON_APPEND_BOOL(reply, "forceNonUnique_new", true);
        uniqueness_changes = true;
    }
    if (uniqueness_changes) coll.fill_key_table(index);
}

}  // namespace tmd
