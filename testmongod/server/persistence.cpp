// --dbpath persistence: at clean shutdown every collection (options, UUID, indexes, documents) is
// written to DIR/testmongod.data as a stream of BSON documents; startup reads it back.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "server/catalog.h"
#include "server/server_state.h"

namespace tmd {
namespace {

constexpr const char* kDataFile = "testmongod.data";

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

}  // namespace

void Catalog::save() {
    const std::string& dir = server_.options().dbpath;
    if (dir.empty()) return;
    std::shared_lock lock(mutex_);
    std::filesystem::create_directories(dir);
    auto final_path = std::filesystem::path(dir) / kDataFile;
    auto temp_path = final_path;
    temp_path += ".tmp";
    {
        std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
        for (const auto& [db_name, db] : databases_) {
            for (const auto& [name, coll] : db) {
                out << header_of(*coll).to_bytes();
                for (const auto& [rid, record] : coll->records())
                    out << *record.doc;
            }
        }
        if (!out.flush())
            throw MongoError(code::InternalError, "cannot write " + temp_path.string());
    }
    // Rename is atomic: a crash during save leaves the previous file intact.
    std::filesystem::rename(temp_path, final_path);
}

void Catalog::load() {
    const std::string& dir = server_.options().dbpath;
    if (dir.empty()) return;
    auto path = std::filesystem::path(dir) / kDataFile;
    if (!std::filesystem::exists(path)) return;
    std::unique_lock lock(mutex_);
    std::string data = read_file(path);
    size_t offset = 0;
    while (offset < data.size()) {
        Document header = parse(next_document(data, offset));
        const auto& uuid_bytes = std::get<Binary>(header.get("uuid")->payload()).bytes;
        CollectionUuid uuid{};
        std::copy_n(uuid_bytes.begin(), std::min(uuid_bytes.size(), uuid.size()), uuid.begin());
        auto coll = std::make_unique<Collection>(header.get("db")->str(), header.get("name")->str(),
                                                 uuid, header.get("options")->doc());
        for (const auto& spec : header.get("indexes")->array()) {
            Index index(spec.doc());
            if (!index.is_id_index()) coll->add_index(std::move(index));
        }
        for (int64_t i = header.get("count")->as_int64(); i > 0; --i) {
            StoredDoc doc = next_document(data, offset);
            bson_t view = view_of(doc);
            bson_iter_t iter;
            Value id = bson_iter_init_find(&iter, &view, "_id") ? Value::from_iter(iter) : Value();
            coll->insert(std::move(doc), std::move(id));
        }
        databases_[coll->db()][coll->name()] = std::move(coll);
    }
}

}  // namespace tmd
