// Catalog: namespace validation, collection/view lifecycle and the catalog oplog entries
// (create, drop, rename, dropDatabase) that change streams report.
#include "server/catalog.h"

#include <optional>
#include <random>

#include "server/server_state.h"

namespace tmd {
namespace {

thread_local uint64_t appended_by_this_thread = 0;  // Catalog::entries_appended_by_this_thread

CollectionUuid random_uuid() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    CollectionUuid uuid;
    for (size_t i = 0; i < uuid.size(); i += 8) {
        uint64_t bits = rng();
        for (size_t j = 0; j < 8; ++j)
            uuid[i + j] = static_cast<uint8_t>(bits >> (8 * j));
    }
    uuid[6] = (uuid[6] & 0x0f) | 0x40;  // RFC 4122 version 4
    uuid[8] = (uuid[8] & 0x3f) | 0x80;  // variant
    return uuid;
}

StoredDoc stored(const Document& doc) {
    return std::make_shared<const std::string>(doc.to_bytes());
}

[[noreturn]] void invalid_namespace(const std::string& ns) {
    throw MongoError(code::InvalidNamespace, "Invalid namespace specified '" + ns + "'");
}

}  // namespace

// Database names: non-empty, under 64 bytes, none of  /\. "$ or NUL.
// https://www.mongodb.com/docs/manual/reference/limits/#naming-restrictions
void validate_db_name(const std::string& db) {
    if (db.empty() || db.size() >= 64 ||
        db.find_first_of(std::string("/\\. \"$\0", 7)) != std::string::npos) {
        throw MongoError(code::InvalidNamespace, "Invalid database name: '" + db + "'");
    }
}

// Collection names: non-empty, no '$' or NUL, not starting with "system." (reserved), and the
// namespace "db.coll" at most 255 bytes (MongoDB 4.4+).
void validate_collection_name(const std::string& db, const std::string& coll) {
    validate_db_name(db);
    std::string ns = db + "." + coll;
    if (coll.empty() || coll.find('$') != std::string::npos ||
        coll.find('\0') != std::string::npos || coll.front() == '.' || ns.size() > 255 ||
        (coll.rfind("system.", 0) == 0 && coll.rfind("system.buckets.", 0) != 0)) {
        // Time-series buckets collections are read and written by name (server/timeseries.h).
        invalid_namespace(ns);
    }
}

Catalog::Catalog(ServerState& server, CatalogView* view) : server_(server), view_(view) {}

ClusterTime Catalog::log(ChangeKind kind, const Collection& coll, StoredDoc details) {
    OplogEntry entry;
    entry.kind = kind;
    entry.db = coll.db();
    entry.coll = coll.name();
    entry.uuid = coll.uuid();
    entry.details = std::move(details);
    return record(std::move(entry), &coll);
}

ClusterTime Catalog::record(OplogEntry entry, const Collection* coll) {
    if (view_) {
        view_->capture(std::move(entry));
        return ClusterTime{};
    }
    ++appended_by_this_thread;
    return server_.oplog().append(std::move(entry),
                                  [&](const OplogEntry& stamped) { journal(stamped, coll); });
}

uint64_t Catalog::entries_appended_by_this_thread() {
    return appended_by_this_thread;
}

Collection* Catalog::find(const std::string& db, const std::string& coll) {
    if (auto database = databases_.find(db); database != databases_.end()) {
        if (auto it = database->second.find(coll); it != database->second.end()) {
            return it->second.get();
        }
    }
    if (!view_) return nullptr;
    auto loaded = view_->load(db, coll);
    if (!loaded) return nullptr;
    return (databases_[db][coll] = std::move(loaded)).get();
}

Collection& Catalog::find_or_create(const std::string& db, const std::string& coll, bool* created) {
    if (created) *created = false;
    if (Collection* existing = find(db, coll)) {
        if (existing->is_view()) {
            throw MongoError(code::CommandNotSupportedOnView,
                             "Namespace " + db + "." + coll + " is a view, not a collection");
        }
        return *existing;
    }
    validate_collection_name(db, coll);
    if (created) *created = true;
    return create(db, coll, Document());
}

Collection& Catalog::create(const std::string& db, const std::string& coll, Document options) {
    if (find(db, coll)) {
        throw MongoError(code::NamespaceExists,
                         "Collection " + db + "." + coll + " already exists.");
    }
    Document details;
    details.push_back("collectionOptions", Value::document(options));
    auto collection = std::make_unique<Collection>(db, coll, random_uuid(), std::move(options));
    Collection& ref = *collection;
    databases_[db][coll] = std::move(collection);
    log(ChangeKind::Create, ref, stored(details));
    return ref;
}

bool Catalog::drop(const std::string& db, const std::string& coll) {
    auto database = databases_.find(db);
    if (database == databases_.end()) return false;
    auto it = database->second.find(coll);
    if (it == database->second.end()) return false;
    log(ChangeKind::Drop, *it->second);
    database->second.erase(it);
    if (database->second.empty()) databases_.erase(database);
    return true;
}

bool Catalog::drop_database(const std::string& db) {
    auto database = databases_.find(db);
    if (database == databases_.end()) return false;
    for (const auto& [name, coll] : database->second)
        log(ChangeKind::Drop, *coll);
    OplogEntry entry;
    entry.kind = ChangeKind::DropDatabase;
    entry.db = db;
    record(std::move(entry), nullptr);
    databases_.erase(database);
    return true;
}

void Catalog::rename(const std::string& from_db, const std::string& from_coll,
                     const std::string& to_db, const std::string& to_coll, bool drop_target) {
    auto& source_db = databases_.at(from_db);
    auto node = source_db.extract(from_coll);
    std::optional<CollectionUuid> dropped_uuid;
    if (auto target_db = databases_.find(to_db); target_db != databases_.end()) {
        if (auto target = target_db->second.find(to_coll); target != target_db->second.end()) {
            dropped_uuid = target->second->uuid();
            target_db->second.erase(target);
        }
    }
    Document to;
    to.push_back("db", Value::string(to_db));
    to.push_back("coll", Value::string(to_coll));
    Document details;
    details.push_back("to", Value::document(std::move(to)));
    // mongod's renameCollection oplog entry names the dropped target by its UUID.
    if (drop_target && dropped_uuid) {
        details.push_back(
            "dropTarget",
            Value(BSON_TYPE_BINARY, Binary{BSON_SUBTYPE_UUID, std::string(dropped_uuid->begin(),
                                                                          dropped_uuid->end())}));
    }
    log(ChangeKind::Rename, *node.mapped(), stored(details));
    node.mapped()->rename(to_db, to_coll);
    if (source_db.empty()) databases_.erase(from_db);
    databases_[to_db][to_coll] = std::move(node.mapped());
}

std::shared_lock<SharedMutex> read_lock(const Collection& coll, bool needed) {
    return needed ? std::shared_lock(coll.mutex()) : std::shared_lock<SharedMutex>();
}

CollectionLock::CollectionLock(Catalog& catalog, const std::string& db, const std::string& coll,
                               Mode mode)
    : catalog_(catalog.mutex()), coll_(catalog.find(db, coll)) {
    if (!coll_) return;
    if (mode == Mode::Read) {
        shared_ = SharedLock(coll_->mutex());
    } else {
        exclusive_ = std::unique_lock(coll_->mutex());
    }
}

CollectionLock CollectionLock::creating(Catalog& catalog, const std::string& db,
                                        const std::string& coll, bool* created) {
    if (created) *created = false;
    while (true) {
        {
            CollectionLock lock(catalog, db, coll, Mode::Write);
            if (lock.collection() && !lock.collection()->is_view()) return lock;
        }
        // Missing (or a view, which find_or_create refuses). A drop between this and the locks
        // above sends the loop round again.
        std::unique_lock exclusive(catalog.mutex());
        bool made = false;
        catalog.find_or_create(db, coll, &made);
        if (created) *created = *created || made;
    }
}

std::vector<std::string> Catalog::database_names() const {
    std::vector<std::string> names;
    for (const auto& [name, db] : databases_)
        names.push_back(name);
    return names;
}

std::vector<Collection*> Catalog::collections(const std::string& db) {
    std::vector<Collection*> result;
    auto database = databases_.find(db);
    if (database == databases_.end()) return result;
    for (const auto& [name, coll] : database->second)
        result.push_back(coll.get());
    return result;
}

}  // namespace tmd
