// Transactions: snapshot copies, first-writer-wins conflicts and the commit; see transaction.h.
#include "server/transaction.h"

#include <algorithm>

#include <limits>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "server/server_state.h"
#include "server/session.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

bool is_document_write(ChangeKind kind) {
    return kind == ChangeKind::Insert || kind == ChangeKind::Update ||
           kind == ChangeKind::Replace || kind == ChangeKind::Delete;
}

Value id_of(const OplogEntry& entry) {
    return *to_document(entry.document_key).get("_id");
}

// mongod: WriteConflictException's message.
constexpr const char* kWriteConflictMessage =
    "Caused by :: Write conflict during plan execution and yielding is disabled. :: Please retry "
    "your operation or multi-document transaction.";

[[noreturn]] void write_conflict() {
    throw MongoError(code::WriteConflict, kWriteConflictMessage);
}

std::string claim_key(const std::string& db, const std::string& coll,
                      const std::string& document_key) {
    return db + "." + coll + '\0' + document_key;
}

// The claim keys of the keys `doc` holds in the unique indexes of `coll` other than _id (whose
// claim is the document's own).
std::vector<std::string> unique_key_claims(const Collection& coll, const StoredDoc& bytes,
                                           const Document* doc) {
    std::vector<std::string> claims;
    if (!bytes || !coll.needs_parsed_docs()) return claims;
    Document parsed = doc ? Document() : to_document(bytes);
    const Document& source = doc ? *doc : parsed;
    for (const Index& index : coll.indexes()) {
        if (!index.rejects_new_duplicates() || index.is_id_index()) continue;
        for (const IndexKey& key : index.keys_of(source)) {
            claims.push_back(claim_key(coll.db(), coll.name(),
                                       index.name() + '\0' + *to_stored(index.key_value(key))));
        }
    }
    return claims;
}

std::string describe(ClusterTime time) {
    return "Timestamp(" + std::to_string(time.t) + ", " + std::to_string(time.i) + ")";
}

// The entries appended after `snapshot`; SnapshotTooOld (239) when the oplog no longer holds
// them (mongod: the snapshot is older than the storage engine's history window).
std::vector<OplogEntry> entries_since(const Oplog& oplog, ClusterTime snapshot) {
    bool lost = false;
    auto entries = oplog.read_after(snapshot, std::numeric_limits<size_t>::max(), &lost);
    if (lost) {
        throw MongoError(code::SnapshotTooOld,
                         "Read timestamp " + describe(snapshot) +
                             " is older than the oldest available timestamp.");
    }
    return entries;
}

// Undoes one document change on a snapshot copy.
void undo(Collection& copy, const OplogEntry& entry) {
    Value id = id_of(entry);
    auto found = copy.id_index().find(id);
    if (entry.kind == ChangeKind::Delete) {
        Document doc = to_document(entry.pre_image);
        copy.insert(entry.pre_image, id, &doc);
        return;
    }
    if (found == copy.id_index().end()) return;
    if (entry.kind == ChangeKind::Insert) {
        copy.remove(found->second);
    } else {
        Document doc = to_document(entry.pre_image);
        copy.replace(found->second, entry.pre_image, &doc);
    }
}

// The locks a commit holds: the catalog shared and every written collection exclusive, taken in
// namespace order so that two commits cannot deadlock; the catalog exclusive instead when the
// commit creates a collection (a Create statement, or a collection dropped since it was written).
class CommitLocks {
  public:
    CommitLocks(Catalog& catalog, const std::vector<OplogEntry>& writes)
        : shared_(catalog.mutex()) {
        std::map<std::string, Collection*> written;  // by namespace
        for (const OplogEntry& write : writes) {
            Collection* coll = catalog.find(write.db, write.coll);
            if (write.kind == ChangeKind::Create || !coll) {
                shared_.unlock();
                exclusive_ = std::unique_lock(catalog.mutex());
                return;
            }
            written[write.db + "." + write.coll] = coll;
        }
        for (const auto& [ns, coll] : written)
            collections_.emplace_back(coll->mutex());
    }

  private:
    SharedLock shared_;
    std::unique_lock<SharedMutex> exclusive_;
    std::vector<std::unique_lock<SharedMutex>> collections_;  // released before the catalog
};

}  // namespace

std::unique_ptr<Transaction> snapshot_read(const CommandRequest& request) {
    bool reads =
        request.name == "find" || request.name == "aggregate" || request.name == "distinct";
    bson_iter_t iter, level;
    if (!reads || (request.session && request.session->transaction()) ||
        !bson_iter_init_find(&iter, request.body, "readConcern") ||
        !BSON_ITER_HOLDS_DOCUMENT(&iter) || !bson_iter_recurse(&iter, &level) ||
        !bson_iter_find(&level, "level") || !BSON_ITER_HOLDS_UTF8(&level) ||
        std::string(bson_iter_utf8(&level, nullptr)) != "snapshot") {
        return nullptr;
    }
    if (request.server->profile().max_wire_version < 13) {
        throw MongoError(code::InvalidOptions,
                         "readConcern level snapshot is only valid in multi-statement "
                         "transactions");
    }
    ClusterTime now = request.server->oplog().now();
    ClusterTime at = now;
    bson_iter_t time;
    if (bson_iter_recurse(&iter, &time) && bson_iter_find(&time, "atClusterTime") &&
        BSON_ITER_HOLDS_TIMESTAMP(&time)) {
        bson_iter_timestamp(&time, &at.t, &at.i);
    }
    check_not_ahead(at, now);
    return std::make_unique<Transaction>(*request.server, at);
}

void check_not_ahead(ClusterTime at, ClusterTime now) {
    if (now < at) {
        throw MongoError(code::InvalidOptions,
                         "readConcern atClusterTime value must not be greater than the current "
                         "clusterTime. Requested clusterTime: " +
                             describe(at) + "; current clusterTime: " + describe(now));
    }
}

std::string document_claim_key(const OplogEntry& entry) {
    return claim_key(entry.db, entry.coll, *entry.document_key);
}

DocumentClaimed::DocumentClaimed(std::string key)
    : MongoError(code::WriteConflict, kWriteConflictMessage), key_(std::move(key)) {}

void check_not_claimed(Catalog& catalog, const Collection& coll, const Value& id) {
    if (catalog.is_private()) return;  // a transaction's own writes claim (Transaction::capture)
    std::string key = claim_key(coll.db(), coll.name(), *document_key_of(id));
    if (catalog.server().sessions().claimed(key)) throw DocumentClaimed(std::move(key));
}

void check_unique_keys_not_claimed(Catalog& catalog, const Collection& coll, const StoredDoc& bytes,
                                   const Document* doc) {
    if (catalog.is_private()) return;
    for (std::string& key : unique_key_claims(coll, bytes, doc)) {
        if (catalog.server().sessions().claimed(key)) throw DocumentClaimed(std::move(key));
    }
}

Transaction::Transaction(ServerState& server, ClusterTime snapshot)
    : server_(server),
      snapshot_(snapshot),
      started_(std::chrono::steady_clock::now()),
      catalog_(server, this) {}

Transaction::~Transaction() {
    release_claims();
}

bool Transaction::expired() const {
    auto limit = std::chrono::seconds(server_.transaction_lifetime_limit_seconds());
    return std::chrono::steady_clock::now() - started_ > limit;
}

void Transaction::release_claims() {
    server_.sessions().release(this);
}

void Transaction::abort() {
    if (state_ != State::InProgress) return;
    state_ = State::Aborted;
    writes_.clear();
    release_claims();
}

// The collection as of the snapshot. A collection created, dropped, renamed or changed in its
// catalog entry since then cannot be read at the snapshot: SnapshotUnavailable (246), as mongod
// answers ("pending collection catalog changes").
std::unique_ptr<Collection> Transaction::load(const std::string& db, const std::string& coll) {
    std::string ns = db + "." + coll;
    if (absent_.count(ns)) return nullptr;
    // The collection's shared lock keeps its writers out, so the oplog holds exactly the changes
    // its current documents reflect.
    CollectionLock lock(server_.catalog(), db, coll, CollectionLock::Mode::Read);
    std::vector<OplogEntry> later = entries_since(server_.oplog(), snapshot_);
    for (const OplogEntry& entry : later) {
        bool same = (entry.db == db && entry.coll == coll) ||
                    (entry.kind == ChangeKind::DropDatabase && entry.db == db);
        if (same && !is_document_write(entry.kind)) {
            throw MongoError(code::SnapshotUnavailable,
                             "Unable to read from a snapshot due to pending collection catalog "
                             "changes; please retry the operation. Snapshot timestamp is " +
                                 describe(snapshot_) + ". Collection minimum is " +
                                 describe(entry.time));
        }
    }
    Collection* current = lock.collection();
    if (!current) {
        absent_.insert(ns);
        return nullptr;
    }
    auto copy = std::make_unique<Collection>(*current);
    for (auto it = later.rbegin(); it != later.rend(); ++it) {
        if (it->db == db && it->coll == coll) undo(*copy, *it);
    }
    return copy;
}

// The claim keys of the unique-index keys (other than _id) `write`'s images hold.
std::vector<std::string> Transaction::unique_keys_of(const OplogEntry& write) {
    std::vector<std::string> keys;
    const Collection* coll = catalog_.find(write.db, write.coll);
    if (!coll) return keys;
    for (const StoredDoc* image : {&write.pre_image, &write.post_image}) {
        for (std::string& key : unique_key_claims(*coll, *image, nullptr)) {
            keys.push_back(std::move(key));
        }
    }
    return keys;
}

// The document, or a key of a unique index it holds, was written after the snapshot by a write
// the snapshot does not see (jstests core/txns/transactions_write_conflicts_unique_indexes.js).
bool Transaction::changed_since_snapshot(const OplogEntry& write) {
    std::string key = document_claim_key(write);
    std::vector<std::string> unique_keys = unique_keys_of(write);
    std::sort(unique_keys.begin(), unique_keys.end());
    for (const OplogEntry& entry : entries_since(server_.oplog(), snapshot_)) {
        if (!is_document_write(entry.kind)) continue;
        if (document_claim_key(entry) == key) return true;
        if (unique_keys.empty() || entry.db != write.db || entry.coll != write.coll) continue;
        for (const std::string& other : unique_keys_of(entry)) {
            if (std::binary_search(unique_keys.begin(), unique_keys.end(), other)) return true;
        }
    }
    return false;
}

// Claims the written document and the unique-index keys of its images before and after.
bool Transaction::claim_written_keys(const OplogEntry& write) {
    if (!server_.sessions().claim(document_claim_key(write), this)) return false;
    for (const std::string& key : unique_keys_of(write)) {
        if (!server_.sessions().claim(key, this)) return false;
    }
    return true;
}

// First writer wins (manual, "Transactions and Operations: In-progress Transactions and Write
// Conflicts"): a document another transaction has written, or that was changed after this
// transaction's snapshot, fails the statement with WriteConflict and aborts the transaction.
void Transaction::capture(OplogEntry entry) {
    if (is_document_write(entry.kind)) {
        if (Collection* coll = catalog_.find(entry.db, entry.coll); coll && coll->is_capped()) {
            throw MongoError(code::OperationNotSupportedInTransaction,
                             "Collection '" + entry.db + "." + entry.coll +
                                 "' is a capped collection. Writes in transactions are not "
                                 "allowed on capped collections.");
        }
        if (!claim_written_keys(entry) || changed_since_snapshot(entry)) {
            failure_ = MongoError(code::WriteConflict, kWriteConflictMessage);
            write_conflict();
        }
    } else if (entry.kind == ChangeKind::CreateIndexes) {
        // Manual, "Create Collections and Indexes in a Transaction": only on a collection the
        // transaction creates (mongod: "Cannot create new indexes on existing collection").
        if (!absent_.count(entry.db + "." + entry.coll)) {
            throw MongoError(code::OperationNotSupportedInTransaction,
                             "Cannot create new indexes on existing collection " + entry.db + "." +
                                 entry.coll + " in a multi-document transaction.");
        }
    } else if (entry.kind != ChangeKind::Create) {
        throw MongoError(code::OperationNotSupportedInTransaction,
                         "Cannot run this catalog change in a multi-document transaction.");
    }
    writes_.push_back(std::move(entry));
}

void Transaction::check_commit_preconditions(Catalog& catalog) {
    for (const OplogEntry& write : writes_) {
        bool conflict = write.kind == ChangeKind::Create
                            ? catalog.find(write.db, write.coll) != nullptr
                        : is_document_write(write.kind) ? changed_since_snapshot(write)
                                                        : false;
        if (conflict) write_conflict();
    }
}

// One captured change applied to the server's catalog; returns the entry to log.
OplogEntry Transaction::apply(Catalog& catalog, OplogEntry write) const {
    Collection* coll = catalog.find(write.db, write.coll);
    if (!coll) coll = &catalog.find_or_create(write.db, write.coll);
    write.uuid = coll->uuid();
    Value id = id_of(write);
    auto found = coll->id_index().find(id);
    if (write.kind == ChangeKind::Insert) {
        Document doc = to_document(write.post_image);
        coll->insert(write.post_image, id, &doc);
    } else if (found != coll->id_index().end()) {
        write.pre_image = coll->find_record(found->second)->doc;
        if (write.kind == ChangeKind::Delete) {
            coll->remove(found->second);
        } else {
            Document doc = to_document(write.post_image);
            coll->replace(found->second, write.post_image, &doc);
        }
    }
    return write;
}

// An index the transaction built on a collection it created: built on the committed
// collection, with its own createIndexes oplog entry (as the collection's create entry).
void Transaction::create_index(Catalog& catalog, const OplogEntry& write) const {
    Collection& coll = catalog.find_or_create(write.db, write.coll);
    const Document details = to_document(write.details);
    coll.add_index(Index(details.get("indexes")->array().front().doc()));
    catalog.log(ChangeKind::CreateIndexes, coll, write.details);
}

void Transaction::commit(const Document& lsid, int64_t txn_number) {
    if (state_ == State::Committed) return;
    if (state_ == State::Aborted || expired()) {
        abort();
        throw MongoError(
            code::NoSuchTransaction,
            "Transaction with { txnNumber: " + std::to_string(txn_number) + " } has been aborted.");
    }
    Catalog& catalog = server_.catalog();
    CommitLocks locks(catalog, writes_);
    check_commit_preconditions(catalog);
    StoredDoc lsid_bytes = to_stored(lsid);
    std::vector<OplogEntry> entries;
    for (OplogEntry& write : writes_) {
        if (write.kind == ChangeKind::Create) {
            const Document details = to_document(write.details);  // outlives `options`
            const Value* options = details.get("collectionOptions");
            catalog.create(write.db, write.coll, options ? options->doc() : Document());
            continue;
        }
        if (write.kind == ChangeKind::CreateIndexes) {
            create_index(catalog, write);
            continue;
        }
        OplogEntry entry = apply(catalog, std::move(write));
        entry.lsid = lsid_bytes;
        entry.txn_number = txn_number;
        entry.txn_op_index = static_cast<uint32_t>(entries.size());
        entries.push_back(std::move(entry));
    }
    if (!entries.empty()) {
        server_.oplog().append_transaction(
            std::move(entries), [&](const OplogEntry& entry) { catalog.journal(entry, nullptr); });
    }
    writes_.clear();
    state_ = State::Committed;
    release_claims();
}

}  // namespace tmd
