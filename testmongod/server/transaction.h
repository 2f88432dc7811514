// Multi-document transactions (manual, "Transactions"; mongod: transaction_participant.cpp).
// A transaction reads and writes a private catalog: each collection it touches is copied from
// the server's catalog as of the transaction's snapshot (the current collection with the oplog
// entries written since the snapshot undone), and its writes change only that copy while the
// matching oplog entries are captured. Commit applies the captured changes to the server's
// catalog under its unique lock and appends them to the oplog with one cluster time.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/error.h"
#include "server/catalog.h"

namespace tmd {

class ServerState;
struct CommandRequest;

class Transaction : public CatalogView {
  public:
    enum class State { InProgress, Committed, Aborted };

    // `snapshot`: the cluster time whose data the transaction reads.
    Transaction(ServerState& server, ClusterTime snapshot);
    ~Transaction() override;

    Catalog& catalog() { return catalog_; }
    State state() const { return state_; }
    ClusterTime snapshot() const { return snapshot_; }
    // Older than transactionLifetimeLimitSeconds: mongod's reaper aborts such a transaction.
    bool expired() const;
    // The error that fails the statement as a whole (a WriteConflict found while writing), which
    // write commands would otherwise report as a writeError.
    const std::optional<MongoError>& failure() const { return failure_; }

    void abort();
    // Applies the transaction's writes; their oplog entries carry lsid and txnNumber and share
    // one cluster time. Throws WriteConflict (112) when a written document changed since the
    // snapshot, NoSuchTransaction (251) when the transaction expired.
    void commit(const Document& lsid, int64_t txn_number);

    // CatalogView
    std::unique_ptr<Collection> load(const std::string& db, const std::string& coll) override;
    void capture(OplogEntry entry) override;

  private:
    bool claim_written_keys(const OplogEntry& write);
    std::vector<std::string> unique_keys_of(const OplogEntry& write);
    bool changed_since_snapshot(const OplogEntry& write);
    void check_commit_preconditions(Catalog& catalog);
    OplogEntry apply(Catalog& catalog, OplogEntry write) const;
    void create_index(Catalog& catalog, const OplogEntry& write) const;
    void release_claims();

    ServerState& server_;
    ClusterTime snapshot_;
    std::chrono::steady_clock::time_point started_;
    Catalog catalog_;
    // Read by writers waiting on this transaction's documents (SessionCatalog::claimed).
    std::atomic<State> state_ = State::InProgress;
    std::vector<OplogEntry> writes_;  // in statement order
    std::set<std::string> absent_;    // namespaces that did not exist at the snapshot
    std::optional<MongoError> failure_;
};

// A find, aggregate or distinct outside a transaction with readConcern {level: "snapshot",
// atClusterTime?} (5.0+; manual, "Read Concern \"snapshot\""): a read-only transaction at
// atClusterTime (default: the current cluster time) whose catalog the command reads. nullptr
// for any other command. Throws InvalidOptions (72) on 4.4 and for a time in the future.
std::unique_ptr<Transaction> snapshot_read(const CommandRequest& request);

// Throws InvalidOptions (72) when a readConcern's atClusterTime is ahead of the cluster time
// `now` (jstests noPassthrough/readConcern_atClusterTime.js).
void check_not_ahead(ClusterTime at, ClusterTime now);

// The key a written document is claimed under: namespace and _id.
std::string document_claim_key(const OplogEntry& entry);

// A write outside a transaction met a document a transaction in progress wrote (mongod's
// WriteConflictException, which such a write retries): the write command waits for the claim's
// release and runs the statement again.
class DocumentClaimed : public MongoError {
  public:
    explicit DocumentClaimed(std::string key);
    const std::string& key() const { return key_; }

  private:
    std::string key_;
};

// Throws DocumentClaimed when `catalog` is the server's (not a transaction's private one) and a
// transaction in progress claims the document `id` of `coll`. Called before a write changes it.
void check_not_claimed(Catalog& catalog, const Collection& coll, const Value& id);

// The same for the keys `doc` (its stored form `bytes`, parsed as `doc` when not nullptr) holds
// in the collection's unique indexes: a unique index's entry is keyed by the key alone, so two
// writers of one key conflict as two writers of one document do (jstests
// core/txns/transactions_write_conflicts_unique_indexes.js).
void check_unique_keys_not_claimed(Catalog& catalog, const Collection& coll, const StoredDoc& bytes,
                                   const Document* doc = nullptr);

}  // namespace tmd
