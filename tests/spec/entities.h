// Spec runner: the unified format's entity map (clients with command monitoring, databases,
// collections, sessions, change streams and saved values) built from createEntities.
#pragma once

#include <mongoc/mongoc.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bson_util.h"
#include "change_streams.h"

namespace spec {

template <auto DestroyFn>
struct Destroyer {
    template <typename T>
    void operator()(T* p) const {
        DestroyFn(p);
    }
};
using ClientPtr = std::unique_ptr<mongoc_client_t, Destroyer<mongoc_client_destroy>>;
using DatabasePtr = std::unique_ptr<mongoc_database_t, Destroyer<mongoc_database_destroy>>;
using CollectionPtr = std::unique_ptr<mongoc_collection_t, Destroyer<mongoc_collection_destroy>>;
using SessionPtr =
    std::unique_ptr<mongoc_client_session_t, Destroyer<mongoc_client_session_destroy>>;

// One observed command-monitoring event.
struct Event {
    std::string type;  // commandStartedEvent | commandSucceededEvent | commandFailedEvent
    std::string command_name;
    std::string database_name;
    Doc body;  // the command (started) or the reply (succeeded, failed)
};

// A client entity: a libmongoc client whose APM callbacks record the events the test observes.
class ClientEntity {
  public:
    ClientEntity(const std::string& base_uri, const Doc& spec);
    // Detaches the callbacks first: destroying a client sends endSessions.
    ~ClientEntity() { mongoc_client_set_apm_callbacks(client_.get(), nullptr, nullptr); }
    ClientEntity(const ClientEntity&) = delete;
    ClientEntity& operator=(const ClientEntity&) = delete;
    mongoc_client_t* get() { return client_.get(); }
    const std::vector<Event>& events() const { return events_; }
    // Pauses recording, e.g. while the runner configures a fail point through this client.
    void set_recording(bool on) { recording_ = on; }
    // The reply of the last command that failed on the server, observed or not: libmongoc
    // does not keep the raw error response of write commands, APM does (expectError's
    // errorResponse).
    const std::optional<Doc>& last_failure_reply() const { return last_failure_reply_; }
    void forget_last_failure() { last_failure_reply_.reset(); }

  private:
    static void on_started(const mongoc_apm_command_started_t* event);
    static void on_succeeded(const mongoc_apm_command_succeeded_t* event);
    static void on_failed(const mongoc_apm_command_failed_t* event);
    bool observes(const std::string& type, const std::string& command_name,
                  const bson_t* command) const;
    void record(Event event);
    std::string take_database(int64_t request_id);

    ClientPtr client_;
    std::set<std::string> observed_types_;
    std::set<std::string> ignored_commands_;
    bool observe_sensitive_ = false;
    bool recording_ = true;
    std::vector<Event> events_;
    std::map<int64_t, std::string> database_of_request_;
    std::optional<Doc> last_failure_reply_;
};

// Named entities of one test; destroyed in reverse creation order (streams and sessions before
// their clients).
class EntityMap {
  public:
    EntityMap() = default;
    EntityMap(const EntityMap&) = delete;
    EntityMap& operator=(const EntityMap&) = delete;
    ~EntityMap() { clear(); }

    void create(const Doc& entity_spec, const std::string& base_uri);
    void add_value(const std::string& id, Value value);
    void add_change_stream(const std::string& id, ChangeStreamPtr stream);
    void clear();

    bool has(const std::string& id) const { return find(id) != nullptr; }
    ClientEntity& client(const std::string& id);
    mongoc_database_t* database(const std::string& id);
    mongoc_collection_t* collection(const std::string& id);
    // The session of a session entity; TestFailure once endSession ended it.
    mongoc_client_session_t* session(const std::string& id);
    // A session entity's lsid, kept from its creation: $$sessionLsid still names an ended session.
    const bson_t* session_lsid(const std::string& id);
    void end_session(const std::string& id);
    // The stream of a change stream entity; null once closed.
    ChangeStreamPtr& change_stream(const std::string& id);
    const Value& value(const std::string& id);
    // What kind of entity id names: "client", "database", ..., for dispatching operations.
    std::string kind(const std::string& id);
    // The client entity behind a database, collection or session entity.
    ClientEntity& owning_client(const std::string& id);
    std::vector<ClientEntity*> clients();

  private:
    struct Entity {
        std::string kind;
        std::string client_id;  // for database, collection and session entities
        std::unique_ptr<ClientEntity> client;
        DatabasePtr database;
        CollectionPtr collection;
        SessionPtr session;
        Doc lsid;
        ChangeStreamPtr change_stream;
        std::unique_ptr<Value> value;
    };
    Entity* find(const std::string& id);
    const Entity* find(const std::string& id) const;
    Entity& get(const std::string& id, const char* kind);
    void add(const std::string& id, Entity entity);
    void create_client(const std::string& id, const Doc& spec, const std::string& base_uri);
    void create_database(const std::string& id, const Doc& spec);
    void create_collection(const std::string& id, const Doc& spec);
    void create_session(const std::string& id, const Doc& spec);

    std::vector<std::pair<std::string, Entity>> entities_;
};

// Read concern, write concern, read preference and transaction options built from their
// unified-format documents
// ({level}, {w, wtimeoutMS, journal}, {mode, maxStalenessSeconds, tagSets}).
mongoc_read_concern_t* make_read_concern(const Doc& spec);
mongoc_write_concern_t* make_write_concern(const Doc& spec);
mongoc_read_prefs_t* make_read_prefs(const Doc& spec);
// Transaction options from {readConcern, writeConcern, readPreference, maxCommitTimeMS}.
mongoc_transaction_opt_t* make_transaction_opts(const Doc& spec);

}  // namespace spec
