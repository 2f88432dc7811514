// Catalog commands: create, drop, dropDatabase, renameCollection, collMod, listCollections,
// listDatabases, collStats and dbStats, with mongod's replies and error codes.
#include <algorithm>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "engine/matcher.h"
#include "engine/pipeline.h"
#include "server/catalog.h"
#include "server/coll_mod_index.h"
#include "server/command_fields.h"
#include "server/server_state.h"
#include "server/storage_util.h"
#include "server/timeseries.h"

namespace tmd {
namespace {

// Options `create` stores and listCollections reports, in mongod's spelling.
const std::set<std::string> kCreateOptions = {"capped",
                                              "size",
                                              "max",
                                              "validator",
                                              "validationLevel",
                                              "validationAction",
                                              "collation",
                                              "viewOn",
                                              "pipeline",
                                              "storageEngine",
                                              "indexOptionDefaults",
                                              "changeStreamPreAndPostImages",
                                              "expireAfterSeconds"};
// clusteredIndex is stored too, normalised by clustered_index_option.

// Inside a transaction (where only create reaches here) the transaction's catalog.
Catalog& catalog_of(const CommandRequest& request) {
    return request.catalog();
}
bool profile_before_7(const CommandRequest& request) {
    return request.server->options().version_profile != "7.0";
}

// changeStreamPreAndPostImages exists from 6.0; 4.4 rejects it as an unknown option.
bool supports_pre_and_post_images(const CommandRequest& request) {
    return request.server->profile().expanded_events;
}

Value uuid_value(const CollectionUuid& uuid) {
    return Value(BSON_TYPE_BINARY,
                 Binary{BSON_SUBTYPE_UUID, std::string(uuid.begin(), uuid.end())});
}

// changeStreamPreAndPostImages: {enabled: <bool>} (6.0+), parsed by mongod's IDL
// (https://www.mongodb.com/docs/manual/reference/command/collMod/#change-streams-with-document-pre--and-post-images).
void validate_pre_and_post_images(const Document& options) {
    const Value* option = options.get("changeStreamPreAndPostImages");
    if (!option) return;
    if (!option->is_document()) {
        throw MongoError(code::TypeMismatch,
                         "BSON field 'changeStreamPreAndPostImages' is the wrong type '" +
                             type_name(option->type()) + "', expected type 'object'");
    }
    for (const auto& field : option->doc().fields()) {
        if (field.name != "enabled") {
            throw MongoError(code::Location40415, "BSON field 'changeStreamPreAndPostImages." +
                                                      field.name + "' is an unknown field.");
        }
    }
    const Value* enabled = option->doc().get("enabled");
    if (!enabled) {
        throw MongoError(40414,
                         "BSON field 'changeStreamPreAndPostImages.enabled' is missing but a "
                         "required field");
    }
    if (enabled->type() != BSON_TYPE_BOOL) {
        throw MongoError(code::TypeMismatch,
                         "BSON field 'changeStreamPreAndPostImages.enabled' is the wrong type '" +
                             type_name(enabled->type()) + "', expected type 'bool'");
    }
}

// mongod keeps the option only while enabled: collection options list it as {enabled: true} and
// drop it when it is turned off.
void drop_disabled_pre_and_post_images(Document& options) {
    const Value* option = options.get("changeStreamPreAndPostImages");
    if (option && !option->doc().get("enabled")->truthy()) {
        options.remove("changeStreamPreAndPostImages");
    }
}

void validate_view_options(const Document& options) {
    const Value* view_on = options.get("viewOn");
    if (!view_on->is_string()) {
        throw MongoError(code::TypeMismatch, "BSON field 'create.viewOn' is the wrong type '" +
                                                 type_name(view_on->type()) +
                                                 "', expected type 'string'");
    }
    if (view_on->str().empty()) {
        throw MongoError(code::BadValue, "'viewOn' cannot be empty");
    }
    for (const char* option : {"capped", "validator", "size", "max"}) {
        if (options.get(option)) {
            throw MongoError(code::InvalidOptions,
                             std::string("option not supported on a view: ") + option);
        }
    }
    validate_pre_and_post_images(options);
    const Value* images = options.get("changeStreamPreAndPostImages");
    if (images && images->doc().get("enabled")->truthy()) {
        throw MongoError(code::InvalidOptions,
                         "option not supported on a view: changeStreamPreAndPostImages");
    }
    const Value* pipeline = options.get("pipeline");
    if (pipeline && !pipeline->is_array()) {
        throw MongoError(code::TypeMismatch, "BSON field 'create.pipeline' is the wrong type '" +
                                                 type_name(pipeline->type()) +
                                                 "', expected type 'array'");
    }
    if (pipeline) Pipeline validated(pipeline->array());
}

void validate_collection_options(const Document& options) {
    const Value* capped = options.get("capped");
    if (capped && capped->truthy()) {
        const Value* size = options.get("size");
        if (!size || !size->is_number()) {
            throw MongoError(code::InvalidOptions,
                             "the 'size' field is required when 'capped' is true");
        }
        if (size->as_int64() < 0) throw MongoError(code::BadValue, "size has to be >= 0");
    }
    if (const Value* validator = options.get("validator")) {
        if (!validator->is_document()) {
            throw MongoError(code::TypeMismatch, "'validator' must be an object");
        }
        Matcher validated(validator->doc());
    }
    validate_pre_and_post_images(options);
    if (const Value* level = options.get("validationLevel")) {
        if (!level->is_string() ||
            (level->str() != "off" && level->str() != "strict" && level->str() != "moderate")) {
            throw MongoError(code::BadValue, "Enumeration value '" + level->to_json() +
                                                 "' for field 'validationLevel' is not a valid "
                                                 "value.");
        }
    }
    if (const Value* action = options.get("validationAction")) {
        if (!action->is_string() || (action->str() != "error" && action->str() != "warn")) {
            throw MongoError(code::BadValue, "Enumeration value '" + action->to_json() +
                                                 "' for field 'validationAction' is not a valid "
                                                 "value.");
        }
    }
}

// create's clusteredIndex (5.3+; the field table refuses it on 4.4), as listCollections shows it:
// {v: 2, key: {_id: 1}, name (default "_id_"), unique: true}. mongod: clustered_util.cpp and
// clustered_collection_options.idl; manual, "Clustered Collections".
Document clustered_index_option(const Value& given) {
    if (!given.is_document()) {
        throw MongoError(code::TypeMismatch,
                         "BSON field 'create.clusteredIndex' is the wrong type '" +
                             type_name(given.type()) + "', expected types '[bool, object]'");
    }
    const Document& spec = given.doc();
    for (const auto& field : spec.fields()) {
        if (field.name != "key" && field.name != "unique" && field.name != "name" &&
            field.name != "v") {
            throw MongoError(code::Location40415, "BSON field 'ClusteredIndexSpec." + field.name +
                                                      "' is an unknown field.");
        }
    }
    const Value* key = spec.get("key");
    const Value* unique = spec.get("unique");
    if (!key) {
        throw MongoError(40414,
                         "BSON field 'ClusteredIndexSpec.key' is missing but a required field");
    }
    if (!unique) {
        throw MongoError(40414,
                         "BSON field 'ClusteredIndexSpec.unique' is missing but a required field");
    }
    // mongod: clustered_util.cpp, checks in its order, with its codes.
    if (!unique->truthy()) {
        throw MongoError(5979700,
                         "The clusteredIndex option requires unique: true to be specified");
    }
    if (!key->is_document() ||
        compare_documents(key->doc(), Document::from_json(R"({"_id": 1})")) != 0) {
        throw MongoError(code::InvalidIndexSpecificationOption,
                         "The clusteredIndex option is only supported for key: {_id: 1}");
    }
    const Value* name = spec.get("name");
    Document option;
    option.push_back("v", Value::int32(2));
    option.push_back("key", *key);
    option.push_back("name", name && name->is_string() ? *name : Value::string("_id_"));
    option.push_back("unique", Value::boolean(true));
    return option;
}

// The stored options of a create command, in the order given; rejects unsupported kinds. The
// fields were checked against create's declared list (command_fields.cpp): the others (idIndex,
// autoIndexId, flags, temp, ...) are accepted and not stored.
Document create_options(const Document& body, bool allow_pre_and_post_images) {
    Document options;
    for (size_t i = 1; i < body.size(); ++i) {
        const Field& field = body.fields()[i];
        bool known = kCreateOptions.count(field.name) &&
                     (field.name != "changeStreamPreAndPostImages" || allow_pre_and_post_images);
        if (known) {
            options.push_back(field.name, field.value);
        } else if (field.name == "clusteredIndex") {
            options.push_back(field.name, Value::document(clustered_index_option(field.value)));
        }
    }
    if (options.get("viewOn")) {
        validate_view_options(options);
        if (!options.get("pipeline")) options.push_back("pipeline", Value::array({}));
    } else {
        validate_collection_options(options);
        drop_disabled_pre_and_post_images(options);
    }
    return options;
}

// https://www.mongodb.com/docs/manual/reference/command/create/ — creating an existing
// collection with identical options succeeds (7.0); otherwise NamespaceExists.
void cmd_create(const CommandRequest& request, bson_t* /*reply*/) {
    std::string name = collection_argument(request);
    validate_collection_name(request.db, name);
    Document body = body_of(request);
    Catalog& catalog = catalog_of(request);
    if (body.get("timeseries")) {  // the 4.4 profile's field table refused it already
        std::unique_lock lock(catalog.mutex());
        create_timeseries(request, catalog, name);
        return;
    }
    Document options = create_options(body, supports_pre_and_post_images(request));
    std::unique_lock lock(catalog.mutex());
    if (Collection* existing = catalog.find(request.db, name)) {
        if (profile_before_7(request) || compare_documents(existing->options(), options) != 0) {
            throw MongoError(code::NamespaceExists,
                             "Collection " + existing->ns() + " already exists.");
        }
        return;
    }
    catalog.create(request.db, name, std::move(options));
}

// Since 7.0 dropping a missing collection succeeds; before, NamespaceNotFound "ns not found".
void cmd_drop(const CommandRequest& request, bson_t* reply) {
    std::string name = collection_argument(request);
    validate_collection_name(request.db, name);
    Catalog& catalog = catalog_of(request);
    std::unique_lock lock(catalog.mutex());
    Collection* coll = catalog.find(request.db, name);
    if (!coll) {
        if (profile_before_7(request)) throw MongoError(code::NamespaceNotFound, "ns not found");
        return;
    }
    if (!coll->is_view()) {
        BSON_APPEND_INT32(reply, "nIndexesWas", static_cast<int32_t>(coll->indexes().size()));
    }
    BSON_APPEND_UTF8(reply, "ns", coll->ns().c_str());
    Collection* buckets = buckets_of(catalog, *coll);
    std::string buckets_name = buckets ? buckets->name() : "";
    catalog.drop(request.db, name);
    // A time-series collection is its view and its buckets (mongod drops both, view first).
    if (buckets) catalog.drop(request.db, buckets_name);
}

void cmd_drop_database(const CommandRequest& request, bson_t* /*reply*/) {
    validate_db_name(request.db);
    Catalog& catalog = catalog_of(request);
    std::unique_lock lock(catalog.mutex());
    catalog.drop_database(request.db);
}

Document list_collections_entry(Catalog& catalog, const Collection& coll) {
    if (auto timeseries = timeseries_list_entry(catalog, coll)) return std::move(*timeseries);
    Document info;
    info.push_back("readOnly", Value::boolean(coll.is_view()));
    if (!coll.is_view()) info.push_back("uuid", uuid_value(coll.uuid()));
    Document entry;
    entry.push_back("name", Value::string(coll.name()));
    entry.push_back("type", Value::string(coll.is_view() ? "view" : "collection"));
    entry.push_back("options", Value::document(coll.options()));
    entry.push_back("info", Value::document(std::move(info)));
    // A clustered collection has no separate _id index to list (mongod omits idIndex).
    if (!coll.is_view() && !coll.is_clustered()) {
        entry.push_back("idIndex", Value::document(coll.indexes().front().spec()));
    }
    return entry;
}

int64_t cursor_batch_size(const Document& body, const std::string& command) {
    auto cursor = document_argument(body, command, "cursor");
    return cursor ? non_negative_argument(*cursor, command, "batchSize", 101) : 101;
}

// The collection names a listCollections filter asks for exactly, {name: "<string>"} or
// {name: {$in: [<strings>]}} (a regex in the $in: none), sorted and once each. mongod looks
// those names up instead of reading the database's whole catalog, then applies the filter to
// each entry as usual (src/mongo/db/commands/list_collections.cpp, _getExactNameMatches;
// jstests/core/catalog/list_collections_filter.js, SERVER-18622).
std::optional<std::set<std::string>> exact_names(const Document& filter) {
    if (filter.size() != 1 || filter.fields()[0].name != "name") return std::nullopt;
    const Value& name = filter.fields()[0].value;
    if (name.is_string()) return std::set<std::string>{name.str()};
    if (!name.is_document() || name.doc().size() != 1) return std::nullopt;
    const Field& in = name.doc().fields()[0];
    if (in.name != "$in" || !in.value.is_array()) return std::nullopt;
    std::set<std::string> names;
    for (const Value& value : in.value.array()) {
        if (value.type() == BSON_TYPE_REGEX) return std::nullopt;
        if (value.is_string()) names.insert(value.str());
    }
    return names;
}

// The collections and views a listCollections reads: the ones named exactly, else all.
std::vector<Collection*> listed_collections(Catalog& catalog, const std::string& db,
                                            const std::optional<Document>& filter) {
    std::optional<std::set<std::string>> names;
    if (filter) names = exact_names(*filter);
    if (!names) return catalog.collections(db);
    std::vector<Collection*> found;
    for (const std::string& name : *names) {
        if (Collection* coll = catalog.find(db, name)) found.push_back(coll);
    }
    return found;
}

// https://www.mongodb.com/docs/manual/reference/command/listCollections/
void cmd_list_collections(const CommandRequest& request, bson_t* reply) {
    Document body = body_of(request);
    auto filter = document_argument(body, "listCollections", "filter");
    bool name_only = bool_argument(body, "listCollections", "nameOnly", false);
    bool_argument(body, "listCollections", "authorizedCollections", false);
    int64_t batch_size = cursor_batch_size(body, "listCollections");
    std::optional<Matcher> matcher;
    if (filter) matcher.emplace(*filter);
    std::vector<StoredDoc> entries;
    {
        Catalog& catalog = catalog_of(request);
        std::shared_lock lock(catalog.mutex());
        for (const Collection* coll : listed_collections(catalog, request.db, filter)) {
            Document entry = list_collections_entry(catalog, *coll);
            if (matcher && !matcher->matches(entry)) continue;
            if (name_only) entry.fields().resize(2);  // {name, type}
            entries.push_back(to_stored(entry));
        }
    }
    request.server->cursors().reply_first_batch(
        std::make_unique<StoredDocsCursor>(std::move(entries)),
        request.db + ".$cmd.listCollections", batch_size, false, request.body, reply);
}

std::pair<std::string, std::string> split_namespace(const std::string& ns) {
    size_t dot = ns.find('.');
    if (dot == std::string::npos) {
        throw MongoError(code::InvalidNamespace, "Invalid namespace specified '" + ns + "'");
    }
    return {ns.substr(0, dot), ns.substr(dot + 1)};
}

void require_admin(const CommandRequest& request, const std::string& command) {
    if (request.db != "admin") {
        throw MongoError(13,  // Unauthorized
                         command + " may only be run against the admin database.");
    }
}

// https://www.mongodb.com/docs/manual/reference/command/listDatabases/
void cmd_list_databases(const CommandRequest& request, bson_t* reply) {
    require_admin(request, "listDatabases");
    Document body = body_of(request);
    auto filter = document_argument(body, "listDatabases", "filter");
    bool name_only = bool_argument(body, "listDatabases", "nameOnly", false);
    std::optional<Matcher> matcher;
    if (filter) matcher.emplace(*filter);
    Catalog& catalog = catalog_of(request);
    std::shared_lock lock(catalog.mutex());
    bson_t databases;
    bson_append_array_begin(reply, "databases", -1, &databases);
    int64_t total = 0;
    int index = 0;
    for (const auto& name : catalog.database_names()) {
        int64_t size = 0;
        for (const Collection* coll : catalog.collections(name)) {
            SharedLock reading = read_lock(*coll);
            size += static_cast<int64_t>(coll->data_size());
        }
        Document entry;
        entry.push_back("name", Value::string(name));
        if (!name_only) {
            entry.push_back("sizeOnDisk", Value::int64(size));
            entry.push_back("empty", Value::boolean(false));
        }
        if (matcher && !matcher->matches(entry)) continue;
        total += size;
        append_document(&databases, std::to_string(index++).c_str(), entry);
    }
    bson_append_array_end(reply, &databases);
    if (!name_only) {
        BSON_APPEND_INT64(reply, "totalSize", total);
        BSON_APPEND_INT64(reply, "totalSizeMb", total / (1024 * 1024));
    }
}

// https://www.mongodb.com/docs/manual/reference/command/renameCollection/ — an admin command
// taking full namespaces; works across databases; the collection keeps its UUID.
void cmd_rename_collection(const CommandRequest& request, bson_t* /*reply*/) {
    require_admin(request, "renameCollection");
    Document body = body_of(request);
    std::string from = collection_argument(request);
    auto to = string_argument(body, "renameCollection", "to");
    if (!to)
        throw MongoError(40414, "BSON field 'renameCollection.to' is missing but a required field");
    bool drop_target = bool_argument(body, "renameCollection", "dropTarget", false);
    auto [from_db, from_coll] = split_namespace(from);
    auto [to_db, to_coll] = split_namespace(*to);
    validate_collection_name(from_db, from_coll);
    validate_collection_name(to_db, to_coll);
    if (from == *to)
        throw MongoError(code::IllegalOperation, "Can't rename a collection to itself");
    Catalog& catalog = catalog_of(request);
    std::unique_lock lock(catalog.mutex());
    Collection* source = catalog.find(from_db, from_coll);
    if (!source) {
        throw MongoError(code::NamespaceNotFound, "Source collection " + from + " does not exist");
    }
    if (source->is_view()) {
        throw MongoError(code::CommandNotSupportedOnView, "cannot rename view: " + from);
    }
    if (Collection* target = catalog.find(to_db, to_coll)) {
        if (!drop_target) throw MongoError(code::NamespaceExists, "target namespace exists");
        if (target->is_view()) {
            throw MongoError(code::CommandNotSupportedOnView, "cannot rename to a view: " + *to);
        }
    }
    catalog.rename(from_db, from_coll, to_db, to_coll, drop_target);
}

// The unique conversion of collMod's index option (prepareUnique, unique, forceNonUnique) and
// dryRun exist from 6.0 (mongod 5.3+).
bool supports_unique_conversion(const CommandRequest& request) {
    return request.server->profile().max_wire_version >= 17;
}

// collMod's options with dryRun: only `index: {unique: true}` may be checked, nothing changes.
// mongod: coll_mod.cpp _processCollModDryRunMode.
void dry_run_coll_mod(const Collection& coll, const std::optional<CollModIndexRequest>& index,
                      int modifications) {
    if (!index) {
        throw MongoError(code::InvalidOptions,
                         "dry run mode requires an valid index modification.");
    }
    if (!index->unique) {
        throw MongoError(code::InvalidOptions,
                         "dry run mode requires an index modification with unique: true.");
    }
    if (modifications > 1) {
        throw MongoError(code::InvalidOptions,
                         "unique: true cannot be combined with any other modification in dry run "
                         "mode.");
    }
    check_convertible_to_unique(coll, *index->index);
}

// https://www.mongodb.com/docs/manual/reference/command/collMod/ — every option is validated
// before any is applied, so a failing collMod changes nothing.
void cmd_coll_mod(const CommandRequest& request, bson_t* reply) {
    std::string name = collection_argument(request);
    validate_collection_name(request.db, name);
    Document body = body_of(request);
    bool unique_conversion = supports_unique_conversion(request);
    Catalog& catalog = catalog_of(request);
    std::unique_lock lock(catalog.mutex());
    Collection* coll = catalog.find(request.db, name);
    if (!coll) throw MongoError(code::NamespaceNotFound, "ns does not exist");
    Document changes;
    Document options = coll->options();
    std::optional<CollModIndexRequest> index;
    int modifications = 0;
    bool dry_run = false;
    for (size_t i = 1; i < body.size(); ++i) {
        const Field& field = body.fields()[i];
        if (is_generic_argument(field.name)) continue;
        if (field.name == "dryRun" && unique_conversion) {
            dry_run = bool_argument(body, "collMod", "dryRun", false);
            continue;
        }
        changes.push_back(field.name, field.value);
        bool view_option = field.name == "viewOn" || field.name == "pipeline";
        if (view_option != coll->is_view()) {
            throw MongoError(code::InvalidOptions,
                             "option not supported on a " +
                                 std::string(coll->is_view() ? "view" : "collection") + ": " +
                                 field.name);
        }
        if (field.name == "index") {
            index = parse_coll_mod_index(*coll, field.value, unique_conversion);
            modifications += index->modifications;
            continue;
        }
        ++modifications;
        if (view_option || field.name == "validator" || field.name == "validationLevel" ||
            field.name == "validationAction" ||
            (field.name == "changeStreamPreAndPostImages" &&
             supports_pre_and_post_images(request))) {
            options.set(field.name, field.value);
        } else {
            throw MongoError(code::InvalidOptions, "Invalid collection option: " + field.name);
        }
    }
    if (dry_run) return dry_run_coll_mod(*coll, index, modifications);
    if (index && index->prepare_unique && modifications > 1) {
        throw MongoError(code::InvalidOptions,
                         "prepareUnique cannot be combined with any other modification.");
    }
    if (coll->is_view()) {
        validate_view_options(options);
    } else {
        validate_collection_options(options);
        drop_disabled_pre_and_post_images(options);
    }
    if (index) apply_coll_mod_index(*coll, *index, reply);
    coll->options() = std::move(options);
    Document details;
    details.push_back("collMod", Value::string(name));
    for (auto& field : changes.fields())
        details.push_back(field.name, field.value);
    catalog.log(ChangeKind::Modify, *coll, to_stored(details));
}

// Storage figures: testmongod keeps documents uncompressed, so storageSize equals the data size;
// index sizes are estimates (bytes of key values plus a per-entry overhead).
int64_t index_size(const Collection& coll, const Index& index) {
    constexpr int64_t kEntryOverhead = 16;
    int64_t per_entry =
        kEntryOverhead +
        (index.is_id_index() ? 12 : 8 * static_cast<int64_t>(index.key_pattern().size()));
    return per_entry * static_cast<int64_t>(coll.count());
}

// https://www.mongodb.com/docs/manual/reference/command/collStats/
void cmd_coll_stats(const CommandRequest& request, bson_t* reply) {
    std::string name = collection_argument(request);
    validate_collection_name(request.db, name);
    Document body = body_of(request);
    int64_t scale = std::max<int64_t>(1, int_argument(body, "collStats", "scale", 1));
    Catalog& catalog = catalog_of(request);
    std::shared_lock lock(catalog.mutex());
    Collection* coll = catalog.find(request.db, name);
    if (!coll) {
        throw MongoError(code::NamespaceNotFound,
                         "Collection [" + request.db + "." + name + "] not found.");
    }
    if (coll->is_view()) {
        throw MongoError(code::CommandNotSupportedOnView,
                         "Namespace " + coll->ns() + " is a view, not a collection");
    }
    SharedLock reading = read_lock(*coll);
    int64_t size = static_cast<int64_t>(coll->data_size());
    int64_t count = static_cast<int64_t>(coll->count());
    int64_t total_index = 0;
    bson_t sizes;
    for (const auto& index : coll->indexes())
        total_index += index_size(*coll, index);
    BSON_APPEND_UTF8(reply, "ns", coll->ns().c_str());
    BSON_APPEND_INT64(reply, "size", size / scale);
    BSON_APPEND_INT64(reply, "count", count);
    if (count > 0) BSON_APPEND_INT64(reply, "avgObjSize", size / count);
    BSON_APPEND_INT64(reply, "storageSize", size / scale);
    BSON_APPEND_INT64(reply, "freeStorageSize", 0);
    BSON_APPEND_BOOL(reply, "capped", coll->is_capped());
    if (coll->is_capped()) {
        const Value* max = coll->options().get("max");
        const Value* max_size = coll->options().get("size");
        BSON_APPEND_INT64(reply, "max", max && max->is_number() ? max->as_int64() : 0);
        BSON_APPEND_INT64(reply, "maxSize", max_size ? max_size->as_int64() / scale : 0);
    }
    BSON_APPEND_INT32(reply, "nindexes", static_cast<int32_t>(coll->indexes().size()));
    BSON_APPEND_DOCUMENT_BEGIN(reply, "indexSizes", &sizes);
    for (const auto& index : coll->indexes()) {
        BSON_APPEND_INT64(&sizes, index.name().c_str(), index_size(*coll, index) / scale);
    }
    bson_append_document_end(reply, &sizes);
    bson_t builds;
    BSON_APPEND_ARRAY_BEGIN(reply, "indexBuilds", &builds);
    bson_append_array_end(reply, &builds);
    BSON_APPEND_INT64(reply, "totalIndexSize", total_index / scale);
    BSON_APPEND_INT64(reply, "totalSize", (size + total_index) / scale);
    BSON_APPEND_INT32(reply, "scaleFactor", static_cast<int32_t>(scale));
}

// https://www.mongodb.com/docs/manual/reference/command/dbStats/
void cmd_db_stats(const CommandRequest& request, bson_t* reply) {
    validate_db_name(request.db);
    Document body = body_of(request);
    int64_t scale = std::max<int64_t>(1, int_argument(body, "dbStats", "scale", 1));
    Catalog& catalog = catalog_of(request);
    std::shared_lock lock(catalog.mutex());
    int64_t collections = 0, views = 0, objects = 0, data = 0, indexes = 0, index_bytes = 0;
    for (const Collection* coll : catalog.collections(request.db)) {
        if (coll->is_view()) {
            ++views;
            continue;
        }
        ++collections;
        SharedLock reading = read_lock(*coll);
        objects += static_cast<int64_t>(coll->count());
        data += static_cast<int64_t>(coll->data_size());
        indexes += static_cast<int64_t>(coll->indexes().size());
        for (const auto& index : coll->indexes())
            index_bytes += index_size(*coll, index);
    }
    BSON_APPEND_UTF8(reply, "db", request.db.c_str());
    BSON_APPEND_INT64(reply, "collections", collections);
    BSON_APPEND_INT64(reply, "views", views);
    BSON_APPEND_INT64(reply, "objects", objects);
    BSON_APPEND_DOUBLE(reply, "avgObjSize", objects ? static_cast<double>(data) / objects : 0.0);
    BSON_APPEND_INT64(reply, "dataSize", data / scale);
    BSON_APPEND_INT64(reply, "storageSize", data / scale);
    BSON_APPEND_INT64(reply, "indexes", indexes);
    BSON_APPEND_INT64(reply, "indexSize", index_bytes / scale);
    BSON_APPEND_INT64(reply, "totalSize", (data + index_bytes) / scale);
    BSON_APPEND_INT64(reply, "scaleFactor", scale);
    BSON_APPEND_INT64(reply, "fsUsedSize", 0);
    BSON_APPEND_INT64(reply, "fsTotalSize", 0);
}

}  // namespace

void register_catalog_commands(CommandRegistry& registry) {
    registry.add("create", cmd_create);
    registry.add("drop", cmd_drop);
    registry.add("dropDatabase", cmd_drop_database);
    registry.add("listCollections", cmd_list_collections);
    registry.add("listDatabases", cmd_list_databases);
    registry.add("renameCollection", cmd_rename_collection);
    registry.add("collMod", cmd_coll_mod);
    registry.add("collStats", cmd_coll_stats);
    registry.add("dbStats", cmd_db_stats);
    register_index_commands(registry);
    register_search_index_commands(registry);
}

}  // namespace tmd
