// Index commands: createIndexes, listIndexes, dropIndexes — spec validation, conflicts with
// existing indexes, unique builds, and their oplog entries.
// https://www.mongodb.com/docs/manual/reference/command/createIndexes/
#include <mutex>
#include <set>
#include <shared_mutex>

#include "engine/matcher.h"
#include "server/catalog.h"
#include "server/server_state.h"
#include "server/storage_util.h"
#include "server/timeseries.h"

namespace tmd {
namespace {

// Index options mongod accepts in a spec (besides key, name, v).
const std::set<std::string> kIndexOptions = {"unique",
                                             "sparse",
                                             "partialFilterExpression",
                                             "expireAfterSeconds",
                                             "hidden",
                                             "collation",
                                             "background",
                                             "weights",
                                             "default_language",
                                             "language_override",
                                             "textIndexVersion",
                                             "2dsphereIndexVersion",
                                             "bits",
                                             "min",
                                             "max",
                                             "wildcardProjection",
                                             "storageEngine",
                                             "prepareUnique",
                                             "clustered",
                                             "bucketSize"};
const std::set<std::string> kKeyTypes = {"text", "2dsphere", "2d", "hashed", "geoHaystack"};
// Options that do not make two indexes different.
const std::set<std::string> kIgnoredForComparison = {"v", "name", "background", "key"};

Catalog& catalog_of(const CommandRequest& request) {
    return request.server->catalog();
}

void validate_key_pattern(const Document& key) {
    if (key.empty()) throw MongoError(code::CannotCreateIndex, "Index keys cannot be empty.");
    for (const auto& field : key.fields()) {
        const Value& v = field.value;
        bool ok =
            (v.is_number() && v.as_double() != 0) || (v.is_string() && kKeyTypes.count(v.str()));
        if (v.is_string() && !kKeyTypes.count(v.str())) {
            throw MongoError(code::CannotCreateIndex, "Unknown index plugin '" + v.str() + "'");
        }
        if (!ok) {
            throw MongoError(code::CannotCreateIndex,
                             "Values in v:2 index key pattern cannot be of type " +
                                 type_name(v.type()) +
                                 ". Only numbers > 0, numbers < 0, and strings are allowed.");
        }
    }
}

// The spec as listIndexes shows it: {v: 2, key, name, ...options in the order given}.
// `prepare_unique`: the option exists (6.0+; 4.4 refuses it as any unknown option).
Document normalise_spec(const Document& given, bool prepare_unique) {
    const Value* key = given.get("key");
    if (!key || !key->is_document()) {
        throw MongoError(code::FailedToParse,
                         "The 'key' field is a required property of an index "
                         "specification");
    }
    const Value* name = given.get("name");
    if (!name || !name->is_string()) {
        throw MongoError(code::FailedToParse,
                         "The 'name' field is a required property of an "
                         "index specification");
    }
    if (name->str().empty())
        throw MongoError(code::CannotCreateIndex, "index name cannot be empty");
    validate_key_pattern(key->doc());
    Document spec;
    spec.push_back("v", Value::int32(2));
    spec.push_back("key", *key);
    spec.push_back("name", *name);
    for (const auto& field : given.fields()) {
        if (field.name == "key" || field.name == "name" || field.name == "v" ||
            field.name == "ns") {
            continue;
        }
        if (!kIndexOptions.count(field.name) ||
            (field.name == "prepareUnique" && !prepare_unique)) {
            throw MongoError(
                code::InvalidIndexSpecificationOption,
                "The field '" + field.name +
                    "' is not valid for an index specification. Specification: " + given.to_json());
        }
        spec.push_back(field.name, field.value);
    }
    // mongod refuses only sparse: true beside a partial filter (index_key_validate.cpp).
    const Value* sparse = spec.get("sparse");
    if (sparse && sparse->truthy() && spec.get("partialFilterExpression")) {
        throw MongoError(code::CannotCreateIndex,
                         "cannot mix \"partialFilterExpression\" and \"sparse\" options");
    }
    if (const Value* partial = spec.get("partialFilterExpression")) {
        if (!partial->is_document()) {
            throw MongoError(code::CannotCreateIndex,
                             "\"partialFilterExpression\" for an index must be a document");
        }
        Matcher validated(partial->doc());
    }
    if (name->str() == "_id_" &&
        compare_documents(key->doc(), Document::from_json(R"({"_id": 1})")) != 0) {
        throw MongoError(code::BadValue,
                         "The index name '_id_' is reserved for the _id index, "
                         "which must have key pattern {_id: 1}");
    }
    return spec;
}

// Whether two specs have the same options, ignoring order and options that do not matter.
bool same_options(const Document& a, const Document& b) {
    auto options_of = [](const Document& spec) {
        std::vector<const Field*> fields;
        for (const auto& f : spec.fields()) {
            if (!kIgnoredForComparison.count(f.name)) fields.push_back(&f);
        }
        return fields;
    };
    auto fa = options_of(a), fb = options_of(b);
    if (fa.size() != fb.size()) return false;
    for (const Field* f : fa) {
        const Value* other = b.get(f->name);
        if (!other || !values_equal(f->value, *other)) return false;
    }
    return true;
}

// Returns true when an identical index already exists; throws on a conflicting one.
bool already_exists(const Collection& coll, const Document& spec) {
    const std::string& name = spec.get("name")->str();
    const Document& key = spec.get("key")->doc();
    for (const auto& index : coll.indexes()) {
        bool same_name = index.name() == name;
        bool same_key = compare_documents(index.key_pattern(), key) == 0;
        if (same_name && same_key && same_options(index.spec(), spec)) return true;
        if (same_name && !same_key) {
            throw MongoError(code::IndexKeySpecsConflict,
                             "An existing index has the same name as the requested index. When "
                             "index names are not specified, they are auto generated and can "
                             "cause conflicts. Please refer to our documentation. Requested "
                             "index: " +
                                 spec.to_json() + ", existing index: " + index.spec().to_json());
        }
        if (same_name) {
            throw MongoError(code::IndexOptionsConflict,
                             "An equivalent index already exists with the same name but "
                             "different options. Requested index: " +
                                 spec.to_json() + ", existing index: " + index.spec().to_json());
        }
        if (same_key && same_options(index.spec(), spec)) {
            throw MongoError(code::IndexOptionsConflict,
                             "Index already exists with a different name: " + index.name());
        }
    }
    return false;
}

std::vector<Document> requested_specs(const Document& body, bool prepare_unique) {
    const Value* indexes = body.get("indexes");
    if (!indexes) {
        throw MongoError(40414,
                         "BSON field 'createIndexes.indexes' is missing but a required field");
    }
    if (!indexes->is_array()) {
        throw MongoError(code::TypeMismatch,
                         "BSON field 'createIndexes.indexes' is the wrong type '" +
                             type_name(indexes->type()) + "', expected type 'array'");
    }
    if (indexes->array().empty())
        throw MongoError(code::BadValue, "Must specify at least one index.");
    std::vector<Document> specs;
    for (const auto& spec : indexes->array()) {
        if (!spec.is_document()) {
            throw MongoError(code::TypeMismatch,
                             "The elements of the 'indexes' array must be objects");
        }
        specs.push_back(normalise_spec(spec.doc(), prepare_unique));
    }
    return specs;
}

void cmd_create_indexes(const CommandRequest& request, bson_t* reply) {
    std::string name = collection_argument(request);
    validate_collection_name(request.db, name);
    // prepareUnique (6.0+): https://www.mongodb.com/docs/manual/reference/command/createIndexes/
    bool prepare_unique = request.server->profile().max_wire_version >= 17;
    std::vector<Document> specs = requested_specs(body_of(request), prepare_unique);
    // A transaction's own catalog too: createIndexes may run in one, on a new collection.
    Catalog& catalog = request.catalog();
    std::unique_lock lock(catalog.mutex());
    bool created = false;
    Collection& coll = catalog.find_or_create(request.db, name, &created);
    int32_t before = static_cast<int32_t>(coll.indexes().size());
    std::vector<Document> to_build;
    for (auto& spec : specs) {
        if (!already_exists(coll, spec)) to_build.push_back(std::move(spec));
    }
    for (auto& spec : to_build) {
        coll.add_index(Index(spec));
        catalog.log(ChangeKind::CreateIndexes, coll, indexes_details(spec));
    }
    BSON_APPEND_INT32(reply, "numIndexesBefore", before);
    BSON_APPEND_INT32(reply, "numIndexesAfter", static_cast<int32_t>(coll.indexes().size()));
    BSON_APPEND_BOOL(reply, "createdCollectionAutomatically", created);
    if (to_build.empty()) BSON_APPEND_UTF8(reply, "note", "all indexes already exist");
}

Collection& existing_collection(Catalog& catalog, const std::string& db, const std::string& name,
                                const std::string& missing_message) {
    Collection* coll = catalog.find(db, name);
    if (!coll) throw MongoError(code::NamespaceNotFound, missing_message);
    if (coll->is_view()) {
        throw MongoError(code::CommandNotSupportedOnView,
                         "Namespace " + coll->ns() + " is a view, not a collection");
    }
    return *coll;
}

// https://www.mongodb.com/docs/manual/reference/command/listIndexes/
void cmd_list_indexes(const CommandRequest& request, bson_t* reply) {
    std::string name = collection_argument(request);
    validate_collection_name(request.db, name);
    Document body = body_of(request);
    auto cursor = document_argument(body, "listIndexes", "cursor");
    int64_t batch_size =
        cursor ? non_negative_argument(*cursor, "listIndexes", "batchSize", 101) : 101;
    std::vector<StoredDoc> specs;
    {
        Catalog& catalog = catalog_of(request);
        std::shared_lock lock(catalog.mutex());
        Collection* target = catalog.find(request.db, name);
        if (Collection* buckets = target ? buckets_of(catalog, *target) : nullptr) {
            for (const Document& spec : timeseries_index_specs(*buckets, *bucket_spec_of(*buckets)))
                specs.push_back(to_stored(spec));
        } else {
            Collection& coll = existing_collection(catalog, request.db, name,
                                                   "ns does not exist: " + request.db + "." + name);
            for (const auto& index : coll.indexes())
                specs.push_back(to_stored(index.spec()));
        }
    }
    request.server->cursors().reply_first_batch(
        std::make_unique<StoredDocsCursor>(std::move(specs)),
        request.db + ".$cmd.listIndexes." + name, batch_size, false, request.body, reply);
}

// The names an `index` argument of dropIndexes designates ("*", a name, a key pattern or a list
// of names); throws IndexNotFound (27) or InvalidOptions (72) for the _id index.
std::vector<std::string> indexes_to_drop(const Collection& coll, const Value& which) {
    std::vector<std::string> names;
    if (which.is_string() && which.str() == "*") {
        for (const auto& index : coll.indexes()) {
            if (!index.is_id_index()) names.push_back(index.name());
        }
        return names;
    }
    auto by_name = [&](const std::string& name) {
        const Index* index = coll.find_index(name);
        if (name == "_id_" || (index && index->is_id_index())) {
            throw MongoError(code::InvalidOptions, "cannot drop _id index");
        }
        if (!index) {
            throw MongoError(code::IndexNotFound, "index not found with name [" + name + "]");
        }
        names.push_back(name);
    };
    if (which.is_string()) {
        by_name(which.str());
    } else if (which.is_array()) {
        for (const auto& name : which.array()) {
            if (!name.is_string())
                throw MongoError(code::TypeMismatch, "dropIndexes index names must be strings");
            by_name(name.str());
        }
    } else if (which.is_document()) {
        for (const auto& index : coll.indexes()) {
            if (compare_documents(index.key_pattern(), which.doc()) == 0) {
                by_name(index.name());
                return names;
            }
        }
        throw MongoError(code::IndexNotFound, "can't find index with key: " + which.to_json());
    } else {
        throw MongoError(code::TypeMismatch, "BSON field 'dropIndexes.index' is the wrong type '" +
                                                 type_name(which.type()) + "'");
    }
    return names;
}

// https://www.mongodb.com/docs/manual/reference/command/dropIndexes/
void cmd_drop_indexes(const CommandRequest& request, bson_t* reply) {
    std::string name = collection_argument(request);
    validate_collection_name(request.db, name);
    Document body = body_of(request);
    const Value* which = body.get("index");
    if (!which)
        throw MongoError(40414, "BSON field 'dropIndexes.index' is missing but a required field");
    Catalog& catalog = catalog_of(request);
    std::unique_lock lock(catalog.mutex());
    Collection& coll =
        existing_collection(catalog, request.db, name, "ns not found " + request.db + "." + name);
    int32_t before = static_cast<int32_t>(coll.indexes().size());
    for (const auto& index_name : indexes_to_drop(coll, *which)) {
        StoredDoc details = indexes_details(coll.find_index(index_name)->spec());
        coll.drop_index(index_name);
        catalog.log(ChangeKind::DropIndexes, coll, std::move(details));
    }
    BSON_APPEND_INT32(reply, "nIndexesWas", before);
    if (which->is_string() && which->str() == "*") {
        BSON_APPEND_UTF8(reply, "msg", "non-_id indexes dropped for collection");
    }
}

}  // namespace

StoredDoc indexes_details(const Document& spec) {
    Document details;
    details.push_back("indexes", Value::array({Value::document(spec)}));
    return to_stored(details);
}

void register_index_commands(CommandRegistry& registry) {
    registry.add("createIndexes", cmd_create_indexes);
    registry.add("listIndexes", cmd_list_indexes);
    registry.add("dropIndexes", cmd_drop_indexes);
    registry.add("deleteIndexes", cmd_drop_indexes);
}

}  // namespace tmd
