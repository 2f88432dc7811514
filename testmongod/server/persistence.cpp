// --dbpath persistence: a snapshot (DIR/testmongod.data: every collection's options, UUID, indexes
// and documents, then the oplog's entries, as a stream of BSON documents) plus a journal
// (DIR/journal: one BSON record per committed change, its oplog entry, written before the reply)
// replayed on top of it at startup. The oplog survives restarts, a kill -9 included, as mongod's
// local.oplog.rs does, so change streams resume from tokens taken before the restart
// (https://www.mongodb.com/docs/manual/core/replica-set-oplog/), still bounded by
// --oplog-size-mb.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include "server/catalog.h"
#include "server/server_state.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

constexpr const char* kDataFile = "testmongod.data";
constexpr const char* kJournalFile = "journal";

// One collection's header record: {db, name, uuid, options, indexes, count}.
Document header_of(const Collection& coll) {
    Binary uuid{BSON_SUBTYPE_UUID, std::string(coll.uuid().begin(), coll.uuid().end())};
    Array indexes;
    for (const auto& index : coll.indexes())
        indexes.push_back(Value::document(index.spec()));
    Document header;
    header.push_back("db", Value::string(coll.db()));
    header.push_back("name", Value::string(coll.name()));
    header.push_back("uuid", Value(BSON_TYPE_BINARY, uuid));
    header.push_back("options", Value::document(coll.options()));
    header.push_back("indexes", Value::array(std::move(indexes)));
    header.push_back("count", Value::int64(static_cast<int64_t>(coll.count())));
    return header;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Reads the BSON document at `offset`; throws on a truncated or corrupt file.
StoredDoc next_document(const std::string& data, size_t& offset) {
    int32_t length = 0;
    if (offset + 4 > data.size()) throw MongoError(code::InternalError, "truncated data file");
    std::memcpy(&length, data.data() + offset, 4);
    if (length < 5 || offset + static_cast<size_t>(length) > data.size()) {
        throw MongoError(code::InternalError, "corrupt data file");
    }
    auto doc = std::make_shared<const std::string>(data.substr(offset, length));
    offset += length;
    return doc;
}

Document parse(const StoredDoc& bytes) {
    return Document::from_bytes(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
}

// A snapshot and the journal written after it share a generation (a random id): the snapshot's
// first record {generation} and the journal's first record. A journal from another generation
// predates the snapshot (a crash between writing a snapshot and emptying the journal) and is
// already part of it.
std::string new_generation() {
    std::random_device random;
    return std::to_string(random()) + std::to_string(random());
}

Document generation_record(const std::string& generation) {
    Document record;
    record.push_back("generation", Value::string(generation));
    return record;
}

// Collection options and indexes as a journal record carries them.
Document metadata_of(const Collection& coll) {
    Document header = header_of(coll);
    header.remove("count");
    return header;
}

CollectionUuid uuid_of(const Document& header) {
    const auto& bytes = std::get<Binary>(header.get("uuid")->payload()).bytes;
    CollectionUuid uuid{};
    std::copy_n(bytes.begin(), std::min(bytes.size(), uuid.size()), uuid.begin());
    return uuid;
}

Value id_of(const StoredDoc& doc) {
    bson_t view = view_of(doc);
    bson_iter_t iter;
    return bson_iter_init_find(&iter, &view, "_id") ? Value::from_iter(iter) : Value();
}

StoredDoc stored_value(const Value& value) {
    return std::make_shared<const std::string>(value.doc().to_bytes());
}

// Makes the collection's indexes those of the header (by name), keeping its documents.
void sync_indexes(Collection& coll, const Array& specs) {
    std::set<std::string> wanted;
    for (const auto& spec : specs) {
        Index index(spec.doc());
        wanted.insert(index.name());
        if (!index.is_id_index() && !coll.find_index(index.name()))
            coll.add_index(std::move(index));
    }
    std::vector<std::string> dropped;
    for (const auto& index : coll.indexes()) {
        if (!wanted.count(index.name())) dropped.push_back(index.name());
    }
    for (const auto& name : dropped)
        coll.drop_index(name);
}

// An oplog entry as --dbpath keeps it (the journal's "op", the snapshot's oplog records). Built
// with libbson so that stored documents are copied, not parsed.
void append_entry(bson_t* out, const char* key, const OplogEntry& entry) {
    bson_t doc;
    bson_append_document_begin(out, key, -1, &doc);
    bson_append_timestamp(&doc, "ts", -1, entry.time.t, entry.time.i);
    BSON_APPEND_INT64(&doc, "wall", entry.wall_time_ms);
    BSON_APPEND_INT32(&doc, "k", static_cast<int32_t>(entry.kind));
    BSON_APPEND_UTF8(&doc, "db", entry.db.c_str());
    BSON_APPEND_UTF8(&doc, "coll", entry.coll.c_str());
    if (entry.uuid) BSON_APPEND_BINARY(&doc, "uuid", BSON_SUBTYPE_UUID, entry.uuid->data(), 16);
    auto append_stored = [&](const char* name, const StoredDoc& stored) {
        if (!stored) return;
        bson_t view = view_of(stored);
        BSON_APPEND_DOCUMENT(&doc, name, &view);
    };
    append_stored("key", entry.document_key);
    append_stored("pre", entry.pre_image);
    append_stored("post", entry.post_image);
    append_stored("delta", entry.delta);
    append_stored("details", entry.details);
    append_stored("lsid", entry.lsid);
    BSON_APPEND_INT64(&doc, "txn", entry.txn_number);
    BSON_APPEND_INT64(&doc, "txnOp", entry.txn_op_index);
    bson_append_document_end(out, &doc);
}

OplogEntry entry_from(const Document& doc) {
    auto stored = [&](const char* name) -> StoredDoc {
        const Value* value = doc.get(name);
        return value ? stored_value(*value) : nullptr;
    };
    const auto& ts = std::get<Timestamp>(doc.get("ts")->payload());
    OplogEntry entry;
    entry.time = ClusterTime{ts.t, ts.i};
    entry.wall_time_ms = doc.get("wall")->as_int64();
    entry.kind = static_cast<ChangeKind>(doc.get("k")->as_int32());
    entry.db = doc.get("db")->str();
    entry.coll = doc.get("coll")->str();
    if (doc.get("uuid")) entry.uuid = uuid_of(doc);
    entry.document_key = stored("key");
    entry.pre_image = stored("pre");
    entry.post_image = stored("post");
    entry.delta = stored("delta");
    entry.details = stored("details");
    entry.lsid = stored("lsid");
    entry.txn_number = doc.get("txn")->as_int64();
    entry.txn_op_index = static_cast<uint32_t>(doc.get("txnOp")->as_int64());
    return entry;
}

// A record holding an oplog entry under "op" and, when given, a collection's metadata ("meta").
std::string entry_record(const OplogEntry& entry, const Document* meta = nullptr) {
    bson_t record = BSON_INITIALIZER;
    append_entry(&record, "op", entry);
    if (meta) append_document(&record, "meta", *meta);
    std::string bytes(reinterpret_cast<const char*>(bson_get_data(&record)), record.len);
    bson_destroy(&record);
    return bytes;
}

// The snapshot's record before its oplog entries: {oplog: {droppedUpTo}}.
Document oplog_start_record(ClusterTime dropped_up_to) {
    Document start;
    start.push_back("droppedUpTo", Value::timestamp(dropped_up_to.t, dropped_up_to.i));
    Document record;
    record.push_back("oplog", Value::document(std::move(start)));
    return record;
}

// Catalog changes whose journal record carries the collection's resulting metadata.
bool carries_metadata(ChangeKind kind) {
    return kind == ChangeKind::Rename || kind == ChangeKind::Create || kind == ChangeKind::Modify ||
           kind == ChangeKind::CreateIndexes || kind == ChangeKind::DropIndexes;
}

// The next complete BSON document, or nothing at the end or before a truncated last record.
std::optional<Document> next_complete(const std::string& data, size_t& offset) {
    int32_t length = 0;
    if (offset + 4 > data.size()) return std::nullopt;
    std::memcpy(&length, data.data() + offset, 4);
    if (length < 5 || offset + static_cast<size_t>(length) > data.size()) return std::nullopt;
    Document doc =
        Document::from_bytes(reinterpret_cast<const uint8_t*>(data.data() + offset), length);
    offset += length;
    return doc;
}

}  // namespace

Catalog::~Catalog() {
    if (journal_fd_ >= 0) ::close(journal_fd_);
}

// Journal records: {op: the oplog entry} plus, for catalog changes, the collection's resulting
// options and indexes ("meta"). Replaying them in order redoes the changes and refills the oplog.
// Written under the oplog's mutex (Oplog::Persist), so records are in cluster-time order.
void Catalog::journal(const OplogEntry& entry, const Collection* coll) {
    if (journal_fd_ < 0) return;
    std::optional<Document> meta;
    if (carries_metadata(entry.kind)) meta = metadata_of(*coll);
    std::string bytes = entry_record(entry, meta ? &*meta : nullptr);
    std::lock_guard lock(journal_mutex_);
    write_all(journal_fd_, bytes, "the journal");
}

// Creates the collection the header describes when missing (with its UUID), then gives it the
// header's options and indexes.
void Catalog::replay_metadata(const Document& header) {
    const std::string& db = header.get("db")->str();
    const std::string& name = header.get("name")->str();
    auto& slot = databases_[db][name];
    if (!slot) {
        slot = std::make_unique<Collection>(db, name, uuid_of(header), Document());
    }
    slot->options() = header.get("options")->doc();
    sync_indexes(*slot, header.get("indexes")->array());
}

void Catalog::replay(const Document& record) {
    const Document& op = record.get("op")->doc();
    auto kind = static_cast<ChangeKind>(op.get("k")->as_int32());
    const std::string& db = op.get("db")->str();
    const std::string& name = op.get("coll")->str();
    Collection* coll = find(db, name);
    bool needs_collection = kind == ChangeKind::Insert || kind == ChangeKind::Update ||
                            kind == ChangeKind::Replace || kind == ChangeKind::Delete ||
                            kind == ChangeKind::Rename;
    if (needs_collection && !coll) {
        throw MongoError(code::InternalError, "corrupt journal: no collection " + db + "." + name);
    }
    switch (kind) {
        case ChangeKind::Insert:
        case ChangeKind::Update:
        case ChangeKind::Replace: {
            StoredDoc doc = stored_value(*op.get("post"));
            Value id = id_of(doc);
            auto found = coll->id_index().find(id);
            if (found == coll->id_index().end()) {
                coll->insert(std::move(doc), std::move(id));
                coll->enforce_capped_limits();
            } else {
                coll->replace(found->second, std::move(doc));
            }
            break;
        }
        case ChangeKind::Delete: {
            auto found = coll->id_index().find(*op.get("key")->doc().get("_id"));
            if (found != coll->id_index().end()) coll->remove(found->second);
            break;
        }
        case ChangeKind::Rename: {
            const Document& to = op.get("details")->doc().get("to")->doc();
            Document meta = record.get("meta")->doc();
            meta.set("db", *to.get("db"));
            meta.set("name", *to.get("coll"));
            auto node = databases_[db].extract(name);
            if (databases_[db].empty()) databases_.erase(db);
            node.mapped()->rename(to.get("db")->str(), to.get("coll")->str());
            databases_[to.get("db")->str()][to.get("coll")->str()] = std::move(node.mapped());
            replay_metadata(meta);
            break;
        }
        case ChangeKind::Create:
        case ChangeKind::Modify:
        case ChangeKind::CreateIndexes:
        case ChangeKind::DropIndexes:
            replay_metadata(record.get("meta")->doc());
            break;
        case ChangeKind::Drop:
            databases_[db].erase(name);
            if (databases_[db].empty()) databases_.erase(db);
            break;
        case ChangeKind::DropDatabase:
            databases_.erase(db);
            break;
    }
    server_.oplog().restore(entry_from(op));
}

// Replays the journal written after the snapshot of `generation`. A truncated last record (the
// process died while writing it, so it was never acknowledged) ends the replay.
void Catalog::replay_journal(const std::string& path, const std::string& generation) {
    if (!std::filesystem::exists(path)) return;
    std::string data = read_file(path);
    size_t offset = 0;
    std::optional<Document> first = next_complete(data, offset);
    const Value* marker = first ? first->get("generation") : nullptr;
    if (!marker || marker->str() != generation) return;
    size_t replayed = 0;
    for (auto record = next_complete(data, offset); record; record = next_complete(data, offset)) {
        replay(*record);
        ++replayed;
    }
    log_line(LogLevel::Info, "journal: replayed " + std::to_string(replayed) + " changes");
}

// An $out killed midway leaves its temporary collection; mongod drops temporary collections at
// startup, so the target is as before the $out.
void Catalog::drop_temporary_collections() {
    for (auto db = databases_.begin(); db != databases_.end();) {
        std::erase_if(db->second,
                      [](const auto& entry) { return entry.first.rfind("tmp.agg_out.", 0) == 0; });
        db = db->second.empty() ? databases_.erase(db) : std::next(db);
    }
}

// Writes the snapshot (atomically, by rename) under a new generation and empties the journal.
// The caller keeps writers out (the exclusive catalog lock, or no other thread yet).
void Catalog::write_snapshot() {
    const std::string& dir = server_.options().dbpath;
    std::filesystem::create_directories(dir);
    auto final_path = std::filesystem::path(dir) / kDataFile;
    auto temp_path = final_path;
    temp_path += ".tmp";
    std::string generation = new_generation();
    {
        std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
        out << generation_record(generation).to_bytes();
        for (const auto& [db_name, db] : databases_) {
            for (const auto& [name, coll] : db) {
                out << header_of(*coll).to_bytes();
                for (const auto& [rid, record] : coll->records())
                    out << *record.doc;
            }
        }
        out << oplog_start_record(server_.oplog().dropped_up_to()).to_bytes();
        server_.oplog().for_each([&](const OplogEntry& entry) { out << entry_record(entry); });
        if (!out.flush())
            throw MongoError(code::InternalError, "cannot write " + temp_path.string());
    }
    // Rename is atomic: a crash during save leaves the previous snapshot and journal intact.
    std::filesystem::rename(temp_path, final_path);
    if (journal_fd_ >= 0) ::close(journal_fd_);
    auto journal_path = std::filesystem::path(dir) / kJournalFile;
    journal_fd_ = ::open(journal_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (journal_fd_ < 0)
        throw MongoError(code::InternalError, "cannot open " + journal_path.string());
    write_all(journal_fd_, generation_record(generation).to_bytes(), "the journal");
}

void Catalog::save() {
    if (server_.options().dbpath.empty()) return;
    std::unique_lock lock(mutex_);
    write_snapshot();
}

// The snapshot's oplog records (see write_snapshot); false for any other record.
bool Catalog::restore_oplog_record(const Document& record) {
    if (const Value* start = record.get("oplog")) {
        const auto& ts = std::get<Timestamp>(start->doc().get("droppedUpTo")->payload());
        server_.oplog().restore_dropped_up_to(ClusterTime{ts.t, ts.i});
        return true;
    }
    if (const Value* op = record.get("op")) {
        server_.oplog().restore(entry_from(op->doc()));
        return true;
    }
    return false;
}

void Catalog::load() {
    const std::string& dir = server_.options().dbpath;
    if (dir.empty()) return;
    std::unique_lock lock(mutex_);
    auto path = std::filesystem::path(dir) / kDataFile;
    std::string data = std::filesystem::exists(path) ? read_file(path) : std::string();
    size_t offset = 0;
    std::string generation;
    while (offset < data.size()) {
        Document header = parse(next_document(data, offset));
        if (const Value* marker = header.get("generation")) {
            generation = marker->str();
            continue;
        }
        if (restore_oplog_record(header)) continue;
        auto coll = std::make_unique<Collection>(header.get("db")->str(), header.get("name")->str(),
                                                 uuid_of(header), header.get("options")->doc());
        for (const auto& spec : header.get("indexes")->array()) {
            Index index(spec.doc());
            if (!index.is_id_index()) coll->add_index(std::move(index));
        }
        for (int64_t i = header.get("count")->as_int64(); i > 0; --i) {
            StoredDoc doc = next_document(data, offset);
            Value id = id_of(doc);
            coll->insert(std::move(doc), std::move(id));
        }
        databases_[coll->db()][coll->name()] = std::move(coll);
    }
    replay_journal((std::filesystem::path(dir) / kJournalFile).string(), generation);
    drop_temporary_collections();
    // Checkpoint: the replayed changes go into a new snapshot and the journal starts empty.
    write_snapshot();
}

}  // namespace tmd
