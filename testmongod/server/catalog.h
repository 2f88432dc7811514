// Catalog: testmongod's databases and collections — creation (explicit and implicit), drop,
// rename, views, and the --dbpath persistence hooks — and the locks that guard them.
//
// Locking, as mongod's multi-granularity locks (manual, "FAQ: Concurrency": an operation locks
// the level it works on and every level above it in an intent mode, so writers to different
// collections do not wait for each other):
// - The catalog lock, Catalog::mutex(), stands for mongod's global and database locks. It guards
//   the set of collections and each one's catalog entry (name, UUID, options, index specs).
//   Shared (IS/IX) by every operation on a collection's documents; exclusive (X) for catalog
//   changes: create (also implicit creation), drop, rename, dropDatabase, collMod,
//   createIndexes, dropIndexes, $out/$merge, and a transaction commit that creates a collection.
// - The collection lock, Collection::mutex(), taken after the catalog lock: shared (S) to read
//   the collection's documents, exclusive (X) to change them (mongod takes IX here and leaves
//   document-level concurrency to WiredTiger; testmongod's storage is not concurrent, so writers
//   to one collection take turns). A holder of the exclusive catalog lock needs none. More than
//   one collection is locked only by a transaction commit, in namespace order.
// A writer appends its oplog entries while it holds its collection's exclusive lock, so the
// oplog is in commit order (see oplog.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>
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
    // Appends a committed change, its stamped oplog entry, to DIR/journal (written to the OS
    // before it returns, so a kill -9 after the reply keeps it); called under the oplog's mutex
    // (Oplog::Persist). `coll`: the collection as it is after a catalog change.
    void journal(const OplogEntry& entry, const Collection* coll);

    // Every accessor below expects the caller to hold mutex(): shared to read, unique to change
    // the catalog (see "Locking" above).
    SharedMutex& mutex() { return mutex_; }
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
    // How many entries the calling thread has appended to the server's oplog: a statement
    // compares the count before and after it runs to know whether it wrote anything, whatever
    // other threads write meanwhile.
    static uint64_t entries_appended_by_this_thread();

  private:
    using Database = std::map<std::string, std::unique_ptr<Collection>>;

    void write_snapshot();
    void replay_journal(const std::string& path, const std::string& generation);
    void replay(const Document& record);
    void replay_metadata(const Document& header);
    bool restore_oplog_record(const Document& record);
    void drop_temporary_collections();
    void start_journal();

    ServerState& server_;
    CatalogView* view_ = nullptr;
    mutable SharedMutex mutex_;
    std::map<std::string, Database> databases_;
    std::mutex journal_mutex_;  // writers of different collections append records one at a time
    int journal_fd_ = -1;
};

using SharedLock = std::shared_lock<SharedMutex>;

// The collection lock of `coll` in shared mode, for a caller that holds the catalog lock shared
// (one that holds it exclusively needs none: pass `needed` false).
std::shared_lock<SharedMutex> read_lock(const Collection& coll, bool needed = true);

// The locks of an operation on one collection's documents: the catalog shared, then the
// collection shared (Mode::Read) or exclusive (Mode::Write); released in the reverse order.
class CollectionLock {
  public:
    enum class Mode { Read, Write };
    // collection() is nullptr when it does not exist (it is not created).
    CollectionLock(Catalog& catalog, const std::string& db, const std::string& coll, Mode mode);
    // For a write that creates a missing collection (insert, upsert): creates it (oplog Create)
    // under the exclusive catalog lock first and then takes the locks above, as mongod's implicit
    // creation (write_ops_exec.cpp makeCollection, then the acquisition again). Throws
    // CommandNotSupportedOnView (166) for a view. `created`: whether this call created it.
    static CollectionLock creating(Catalog& catalog, const std::string& db, const std::string& coll,
                                   bool* created = nullptr);

    Collection* collection() const { return coll_; }

  private:
    SharedLock catalog_;
    SharedLock shared_;
    std::unique_lock<SharedMutex> exclusive_;
    Collection* coll_ = nullptr;
};

}  // namespace tmd
