// Catalog: testmongod's databases and collections — creation (explicit and implicit), drop,
// rename, views, and the --dbpath persistence hooks. One catalog-wide shared_mutex guards it all.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "server/collection.h"
#include "server/oplog.h"

namespace tmd {

class ServerState;

// The private catalog of a transaction (server/transaction.h) loads collections as of its
// snapshot and captures changes instead of logging them.
class CatalogView {
  public:
    virtual ~CatalogView() = default;
    // The collection as the view sees it, or nullptr when it does not exist there.
    virtual std::unique_ptr<Collection> load(const std::string& db, const std::string& coll) = 0;
    virtual void capture(OplogEntry entry) = 0;
};

// Validates a database name as mongod does; throws InvalidNamespace (73).
void validate_db_name(const std::string& db);
// Validates a collection name as mongod does; throws InvalidNamespace (73).
void validate_collection_name(const std::string& db, const std::string& coll);

class Catalog {
  public:
    // `view`: set for a transaction's private catalog.
    explicit Catalog(ServerState& server, CatalogView* view = nullptr);
    ~Catalog();

    // --dbpath persistence (persistence.cpp): load() at startup reads the snapshot, replays the
    // journal and checkpoints; save() at clean shutdown writes a snapshot and starts an empty
    // journal. No-ops without dbpath.
    void load();
    void save();
    // Appends a committed change to DIR/journal (written to the OS before it returns, so a
    // kill -9 after the reply keeps it). `coll`: the collection as it is after a catalog change.
    void journal(const OplogEntry& entry, const Collection* coll);

    // Every accessor below expects the caller to hold mutex(): shared to read, unique to change.
    std::shared_mutex& mutex() { return mutex_; }
    ServerState& server() { return server_; }
    // A transaction's private catalog (its changes are captured, not applied).
    bool is_private() const { return view_ != nullptr; }

    // The collection or view, or nullptr. A private catalog loads it from its view first.
    Collection* find(const std::string& db, const std::string& coll);
    // Like find(), but creates a plain collection (oplog Create) when missing, as an insert or
    // createIndexes does. Throws CommandNotSupportedOnView (166) for a view.
    Collection& find_or_create(const std::string& db, const std::string& coll,
                               bool* created = nullptr);
    // Creates a collection or view from create-command options (already validated by the
    // caller); appends the Create oplog entry. Throws NamespaceExists (48).
    Collection& create(const std::string& db, const std::string& coll, Document options);
    // Drops a collection or view; appends a Drop entry. Returns false when it did not exist.
    bool drop(const std::string& db, const std::string& coll);
    // Drops every collection of the database (Drop entries), then appends DropDatabase.
    // Returns false when the database did not exist.
    bool drop_database(const std::string& db);
    // renameCollection; see catalog_commands.cpp for the checks done before calling.
    void rename(const std::string& from_db, const std::string& from_coll, const std::string& to_db,
                const std::string& to_coll, bool drop_target);

    std::vector<std::string> database_names() const;
    // Collections and views of a database, in name order.
    std::vector<Collection*> collections(const std::string& db);
    bool database_exists(const std::string& db) const { return databases_.count(db) > 0; }

    // Appends a catalog change to the oplog (caller holds the unique lock).
    ClusterTime log(ChangeKind kind, const Collection& coll, StoredDoc details = nullptr);
    // Journals and appends an entry (`coll`: as for journal()); a private catalog hands it to its
    // view instead and returns a zero time.
    ClusterTime record(OplogEntry entry, const Collection* coll);

  private:
    using Database = std::map<std::string, std::unique_ptr<Collection>>;

    void write_snapshot();
    void replay_journal(const std::string& path, const std::string& generation);
    void replay(const Document& record);
    void replay_metadata(const Document& header);
    void drop_temporary_collections();
    void start_journal();

    ServerState& server_;
    CatalogView* view_ = nullptr;
    mutable std::shared_mutex mutex_;
    std::map<std::string, Database> databases_;
    int journal_fd_ = -1;
};

}  // namespace tmd
