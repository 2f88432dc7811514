// Spec runner: creating and destroying the entities of one test, and recording the command
// monitoring events of client entities through libmongoc's APM callbacks.
#include "entities.h"

#include <algorithm>

namespace spec {
namespace {

// Command Logging and Monitoring spec, "Security": these commands are never observed unless
// observeSensitiveCommands is set; hello/isMaster only when they carry speculativeAuthenticate.
const std::set<std::string> kSensitiveCommands = {
    "authenticate", "saslStart",      "saslContinue",    "getnonce", "createUser",
    "updateUser",   "copydbgetnonce", "copydbsaslstart", "copydb"};

const std::set<std::string> kCommandEventTypes = {"commandStartedEvent", "commandSucceededEvent",
                                                  "commandFailedEvent"};

void set_uri_option(mongoc_uri_t* uri, const char* key, const bson_iter_t& it) {
    std::string name = key;
    bool ok = false;
    if (name == "readConcernLevel" && BSON_ITER_HOLDS_UTF8(&it)) {
        mongoc_read_concern_t* rc = mongoc_read_concern_new();
        mongoc_read_concern_set_level(rc, bson_iter_utf8(&it, nullptr));
        mongoc_uri_set_read_concern(uri, rc);
        mongoc_read_concern_destroy(rc);
        ok = true;
    } else if (name == "readPreference" && BSON_ITER_HOLDS_UTF8(&it)) {
        // A read preference is not a plain option: libmongoc keeps it apart in the URI.
        Doc spec;
        BSON_APPEND_UTF8(spec.get(), "mode", bson_iter_utf8(&it, nullptr));
        mongoc_read_prefs_t* rp = make_read_prefs(spec);
        mongoc_uri_set_read_prefs_t(uri, rp);
        mongoc_read_prefs_destroy(rp);
        ok = true;
    } else if (name == "w") {
        Doc spec;
        bson_append_iter(spec.get(), "w", 1, &it);
        mongoc_write_concern_t* wc = make_write_concern(spec);
        mongoc_uri_set_write_concern(uri, wc);
        mongoc_write_concern_destroy(wc);
        ok = true;
    } else if (BSON_ITER_HOLDS_BOOL(&it)) {
        ok = mongoc_uri_set_option_as_bool(uri, key, bson_iter_bool(&it));
    } else if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it)) {
        ok =
            mongoc_uri_set_option_as_int32(uri, key, static_cast<int32_t>(bson_iter_as_int64(&it)));
    } else if (BSON_ITER_HOLDS_UTF8(&it)) {
        ok = name == "appname" || name == "appName"
                 ? mongoc_uri_set_appname(uri, bson_iter_utf8(&it, nullptr))
                 : mongoc_uri_set_option_as_utf8(uri, key, bson_iter_utf8(&it, nullptr));
    }
    if (!ok) throw TestFailure("unsupported uriOption " + name + ": " + value_json(it));
}

ClientPtr new_client(const std::string& base_uri, const Doc& spec) {
    bson_error_t error;
    mongoc_uri_t* uri = mongoc_uri_new_with_error(base_uri.c_str(), &error);
    if (uri == nullptr) throw TestFailure(std::string("bad URI: ") + error.message);
    try {
        if (auto options = spec.find("uriOptions")) {
            Doc uri_options = Doc::from_iter(*options);
            for_each(uri_options.get(),
                     [&](const char* key, const bson_iter_t& it) { set_uri_option(uri, key, it); });
        }
    } catch (...) {
        mongoc_uri_destroy(uri);
        throw;
    }
    ClientPtr client(mongoc_client_new_from_uri_with_error(uri, &error));
    mongoc_uri_destroy(uri);
    if (!client) throw TestFailure(std::string("cannot create client: ") + error.message);
    mongoc_client_set_error_api(client.get(), MONGOC_ERROR_API_VERSION_2);
    return client;
}

// Applies {readConcern, writeConcern, readPreference} with the setters of a database, a
// collection or transaction options.
template <typename Handle, typename SetRc, typename SetWc, typename SetRp>
void apply_concerns(Handle* handle, const Doc& options, SetRc set_rc, SetWc set_wc, SetRp set_rp) {
    if (options.has("readConcern")) {
        mongoc_read_concern_t* rc = make_read_concern(options.doc("readConcern"));
        set_rc(handle, rc);
        mongoc_read_concern_destroy(rc);
    }
    if (options.has("writeConcern")) {
        mongoc_write_concern_t* wc = make_write_concern(options.doc("writeConcern"));
        set_wc(handle, wc);
        mongoc_write_concern_destroy(wc);
    }
    if (options.has("readPreference")) {
        mongoc_read_prefs_t* rp = make_read_prefs(options.doc("readPreference"));
        set_rp(handle, rp);
        mongoc_read_prefs_destroy(rp);
    }
}

}  // namespace

mongoc_read_concern_t* make_read_concern(const Doc& spec) {
    mongoc_read_concern_t* rc = mongoc_read_concern_new();
    if (auto level = spec.opt_str("level")) mongoc_read_concern_set_level(rc, level->c_str());
    return rc;
}

mongoc_write_concern_t* make_write_concern(const Doc& spec) {
    mongoc_write_concern_t* wc = mongoc_write_concern_new();
    if (auto w = spec.find("w")) {
        if (BSON_ITER_HOLDS_UTF8(&*w)) {
            std::string mode = bson_iter_utf8(&*w, nullptr);
            if (mode == "majority") {
                mongoc_write_concern_set_w(wc, MONGOC_WRITE_CONCERN_W_MAJORITY);
            } else {
                mongoc_write_concern_set_wtag(wc, mode.c_str());
            }
        } else {
            mongoc_write_concern_set_w(wc, static_cast<int32_t>(bson_iter_as_int64(&*w)));
        }
    }
    if (auto timeout = spec.find("wtimeoutMS")) {
        mongoc_write_concern_set_wtimeout_int64(wc, bson_iter_as_int64(&*timeout));
    }
    if (auto journal = spec.find("journal")) {
        mongoc_write_concern_set_journal(wc, bson_iter_as_bool(&*journal));
    }
    return wc;
}

mongoc_read_prefs_t* make_read_prefs(const Doc& spec) {
    static const std::pair<const char*, mongoc_read_mode_t> kModes[] = {
        {"primary", MONGOC_READ_PRIMARY},
        {"primaryPreferred", MONGOC_READ_PRIMARY_PREFERRED},
        {"secondary", MONGOC_READ_SECONDARY},
        {"secondaryPreferred", MONGOC_READ_SECONDARY_PREFERRED},
        {"nearest", MONGOC_READ_NEAREST}};
    std::string mode = spec.str("mode");
    auto found = std::find_if(std::begin(kModes), std::end(kModes), [&](const auto& entry) {
        return strcasecmp(entry.first, mode.c_str()) == 0;
    });
    if (found == std::end(kModes)) throw TestFailure("unknown read preference mode " + mode);
    mongoc_read_prefs_t* rp = mongoc_read_prefs_new(found->second);
    if (auto staleness = spec.find("maxStalenessSeconds")) {
        mongoc_read_prefs_set_max_staleness_seconds(rp, bson_iter_as_int64(&*staleness));
    }
    if (spec.has("tagSets")) mongoc_read_prefs_set_tags(rp, spec.doc("tagSets").get());
    return rp;
}

mongoc_transaction_opt_t* make_transaction_opts(const Doc& spec) {
    mongoc_transaction_opt_t* opts = mongoc_transaction_opts_new();
    apply_concerns(opts, spec, mongoc_transaction_opts_set_read_concern,
                   mongoc_transaction_opts_set_write_concern,
                   mongoc_transaction_opts_set_read_prefs);
    if (auto max_commit = spec.find("maxCommitTimeMS")) {
        mongoc_transaction_opts_set_max_commit_time_ms(opts, bson_iter_as_int64(&*max_commit));
    }
    return opts;
}

ClientEntity::ClientEntity(const std::string& base_uri, const Doc& spec)
    : client_(new_client(base_uri, spec)) {
    for (const char* unsupported : {"serverApi", "storeEventsAsEntities", "observeLogMessages"}) {
        if (spec.has(unsupported)) {
            throw TestFailure(std::string("unsupported client option ") + unsupported);
        }
    }
    if (spec.has("observeEvents")) {
        for (auto& type : strings_of(spec.doc("observeEvents"))) {
            // CMAP and SDAM events are not exposed by libmongoc; tests expecting them are
            // skipped when their expectEvents are checked.
            if (kCommandEventTypes.count(type) > 0) observed_types_.insert(type);
        }
    }
    if (spec.has("ignoreCommandMonitoringEvents")) {
        for (auto& name : strings_of(spec.doc("ignoreCommandMonitoringEvents"))) {
            ignored_commands_.insert(name);
        }
    }
    observe_sensitive_ = spec.flag("observeSensitiveCommands", false);
    mongoc_apm_callbacks_t* callbacks = mongoc_apm_callbacks_new();
    mongoc_apm_set_command_started_cb(callbacks, &ClientEntity::on_started);
    mongoc_apm_set_command_succeeded_cb(callbacks, &ClientEntity::on_succeeded);
    mongoc_apm_set_command_failed_cb(callbacks, &ClientEntity::on_failed);
    mongoc_client_set_apm_callbacks(client_.get(), callbacks, this);
    mongoc_apm_callbacks_destroy(callbacks);
}

bool ClientEntity::observes(const std::string& type, const std::string& command_name,
                            const bson_t* command) const {
    if (!recording_ || observed_types_.count(type) == 0) return false;
    if (ignored_commands_.count(command_name) > 0) return false;
    if (observe_sensitive_) return true;
    if (kSensitiveCommands.count(command_name) > 0) return false;
    bool is_hello = command_name == "hello" || strcasecmp(command_name.c_str(), "isMaster") == 0;
    // Drivers redact the command (and reply) of a hello carrying speculativeAuthenticate.
    return !(is_hello && (command == nullptr || bson_empty(command) ||
                          bson_has_field(command, "speculativeAuthenticate")));
}

void ClientEntity::record(Event event) {
    events_.push_back(std::move(event));
}

std::string ClientEntity::take_database(int64_t request_id) {
    auto found = database_of_request_.find(request_id);
    if (found == database_of_request_.end()) return "";
    std::string name = std::move(found->second);
    database_of_request_.erase(found);
    return name;
}

void ClientEntity::on_started(const mongoc_apm_command_started_t* event) {
    auto* self = static_cast<ClientEntity*>(mongoc_apm_command_started_get_context(event));
    std::string name = mongoc_apm_command_started_get_command_name(event);
    const bson_t* command = mongoc_apm_command_started_get_command(event);
    // libmongoc 1.23 gives the database only to started events; remember it for the reply.
    self->database_of_request_[mongoc_apm_command_started_get_request_id(event)] =
        mongoc_apm_command_started_get_database_name(event);
    if (!self->observes("commandStartedEvent", name, command)) return;
    self->record({"commandStartedEvent", name, mongoc_apm_command_started_get_database_name(event),
                  Doc::copy_of(command)});
}

void ClientEntity::on_succeeded(const mongoc_apm_command_succeeded_t* event) {
    auto* self = static_cast<ClientEntity*>(mongoc_apm_command_succeeded_get_context(event));
    std::string name = mongoc_apm_command_succeeded_get_command_name(event);
    const bson_t* reply = mongoc_apm_command_succeeded_get_reply(event);
    if (!self->observes("commandSucceededEvent", name, reply)) {
        self->take_database(mongoc_apm_command_succeeded_get_request_id(event));
        return;
    }
    self->record({"commandSucceededEvent", name,
                  self->take_database(mongoc_apm_command_succeeded_get_request_id(event)),
                  Doc::copy_of(reply)});
}

void ClientEntity::on_failed(const mongoc_apm_command_failed_t* event) {
    auto* self = static_cast<ClientEntity*>(mongoc_apm_command_failed_get_context(event));
    std::string name = mongoc_apm_command_failed_get_command_name(event);
    const bson_t* reply = mongoc_apm_command_failed_get_reply(event);
    self->last_failure_reply_ = Doc::copy_of(reply);
    if (!self->observes("commandFailedEvent", name, reply)) {
        self->take_database(mongoc_apm_command_failed_get_request_id(event));
        return;
    }
    self->record({"commandFailedEvent", name,
                  self->take_database(mongoc_apm_command_failed_get_request_id(event)),
                  Doc::copy_of(reply)});
}

void EntityMap::create(const Doc& entity_spec, const std::string& base_uri) {
    bson_iter_t it;
    if (!bson_iter_init(&it, entity_spec.get()) || !bson_iter_next(&it)) {
        throw TestFailure("empty entity in createEntities");
    }
    std::string kind = bson_iter_key(&it);
    Doc spec = Doc::from_iter(it);
    std::string id = spec.str("id");
    if (has(id)) throw TestFailure("duplicate entity id " + id);
    if (kind == "client") {
        create_client(id, spec, base_uri);
    } else if (kind == "database") {
        create_database(id, spec);
    } else if (kind == "collection") {
        create_collection(id, spec);
    } else if (kind == "session") {
        create_session(id, spec);
    } else {
        throw TestFailure("unsupported entity type " + kind);
    }
}

void EntityMap::create_client(const std::string& id, const Doc& spec, const std::string& uri) {
    Entity entity;
    entity.kind = "client";
    entity.client = std::make_unique<ClientEntity>(uri, spec);
    add(id, std::move(entity));
}

void EntityMap::create_database(const std::string& id, const Doc& spec) {
    Entity entity;
    entity.kind = "database";
    entity.client_id = spec.str("client");
    entity.database.reset(mongoc_client_get_database(client(entity.client_id).get(),
                                                     spec.str("databaseName").c_str()));
    if (spec.has("databaseOptions")) {
        apply_concerns(entity.database.get(), spec.doc("databaseOptions"),
                       mongoc_database_set_read_concern, mongoc_database_set_write_concern,
                       mongoc_database_set_read_prefs);
    }
    add(id, std::move(entity));
}

void EntityMap::create_collection(const std::string& id, const Doc& spec) {
    Entity entity;
    entity.kind = "collection";
    std::string database_id = spec.str("database");
    entity.client_id = get(database_id, "database").client_id;
    entity.collection.reset(
        mongoc_database_get_collection(database(database_id), spec.str("collectionName").c_str()));
    if (spec.has("collectionOptions")) {
        apply_concerns(entity.collection.get(), spec.doc("collectionOptions"),
                       mongoc_collection_set_read_concern, mongoc_collection_set_write_concern,
                       mongoc_collection_set_read_prefs);
    }
    add(id, std::move(entity));
}

void EntityMap::create_session(const std::string& id, const Doc& spec) {
    Entity entity;
    entity.kind = "session";
    entity.client_id = spec.str("client");
    mongoc_session_opt_t* opts = mongoc_session_opts_new();
    if (auto options_it = spec.find("sessionOptions")) {
        Doc options = Doc::from_iter(*options_it);
        if (auto causal = options.find("causalConsistency")) {
            mongoc_session_opts_set_causal_consistency(opts, bson_iter_as_bool(&*causal));
        }
        if (auto snapshot = options.find("snapshot")) {
            mongoc_session_opts_set_snapshot(opts, bson_iter_as_bool(&*snapshot));
        }
        if (options.has("defaultTransactionOptions")) {
            mongoc_transaction_opt_t* txn =
                make_transaction_opts(options.doc("defaultTransactionOptions"));
            mongoc_session_opts_set_default_transaction_opts(opts, txn);
            mongoc_transaction_opts_destroy(txn);
        }
    }
    bson_error_t error;
    entity.session.reset(mongoc_client_start_session(client(entity.client_id).get(), opts, &error));
    mongoc_session_opts_destroy(opts);
    if (!entity.session) throw TestFailure(std::string("cannot start session: ") + error.message);
    entity.lsid = Doc::copy_of(mongoc_client_session_get_lsid(entity.session.get()));
    add(id, std::move(entity));
}

void EntityMap::add_value(const std::string& id, Value value) {
    Entity entity;
    entity.kind = "value";
    entity.value = std::make_unique<Value>(std::move(value));
    add(id, std::move(entity));
}

void EntityMap::add_change_stream(const std::string& id, ChangeStreamPtr stream) {
    Entity entity;
    entity.kind = "changeStream";
    entity.change_stream = std::move(stream);
    add(id, std::move(entity));
}

void EntityMap::add(const std::string& id, Entity entity) {
    if (has(id)) throw TestFailure("duplicate entity id " + id);
    entities_.emplace_back(id, std::move(entity));
}

void EntityMap::clear() {
    while (!entities_.empty())
        entities_.pop_back();
}

EntityMap::Entity* EntityMap::find(const std::string& id) {
    for (auto& [name, entity] : entities_) {
        if (name == id) return &entity;
    }
    return nullptr;
}

const EntityMap::Entity* EntityMap::find(const std::string& id) const {
    return const_cast<EntityMap*>(this)->find(id);
}

EntityMap::Entity& EntityMap::get(const std::string& id, const char* kind) {
    Entity* entity = find(id);
    if (entity == nullptr) throw TestFailure("undefined entity " + id);
    if (entity->kind != kind) throw TestFailure("entity " + id + " is not a " + kind);
    return *entity;
}

ClientEntity& EntityMap::client(const std::string& id) {
    return *get(id, "client").client;
}
mongoc_database_t* EntityMap::database(const std::string& id) {
    return get(id, "database").database.get();
}
mongoc_collection_t* EntityMap::collection(const std::string& id) {
    return get(id, "collection").collection.get();
}
mongoc_client_session_t* EntityMap::session(const std::string& id) {
    mongoc_client_session_t* session = get(id, "session").session.get();
    if (session == nullptr) throw TestFailure("session " + id + " has ended");
    return session;
}
const bson_t* EntityMap::session_lsid(const std::string& id) {
    return get(id, "session").lsid.get();
}
void EntityMap::end_session(const std::string& id) {
    get(id, "session").session.reset();
}
ChangeStreamPtr& EntityMap::change_stream(const std::string& id) {
    return get(id, "changeStream").change_stream;
}
const Value& EntityMap::value(const std::string& id) {
    return *get(id, "value").value;
}

std::string EntityMap::kind(const std::string& id) {
    Entity* entity = find(id);
    if (entity == nullptr) throw TestFailure("undefined entity " + id);
    return entity->kind;
}

ClientEntity& EntityMap::owning_client(const std::string& id) {
    Entity* entity = find(id);
    if (entity == nullptr) throw TestFailure("undefined entity " + id);
    return entity->kind == "client" ? *entity->client : client(entity->client_id);
}

std::vector<ClientEntity*> EntityMap::clients() {
    std::vector<ClientEntity*> out;
    for (auto& [name, entity] : entities_) {
        if (entity.client) out.push_back(entity.client.get());
    }
    return out;
}

}  // namespace spec
