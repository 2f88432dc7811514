// Collection storage: natural-order records, the _id index and the key tables of unique and
// prepareUnique secondary indexes.
// Capped collections drop their oldest documents as MongoDB's do (no oplog entries for those).
#include "server/collection.h"

namespace tmd {
namespace {

Document parse(const StoredDoc& bytes) {
    return Document::from_bytes(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
}

// The _id index as listIndexes shows it; a clustered collection's is its clusteredIndex option
// plus `clustered: true` (mongod: clustered_util.cpp formatClusterKeyForListIndexes).
Document id_index_spec(const Document& options) {
    const Value* clustered = options.get("clusteredIndex");
    if (clustered && clustered->is_document()) {
        Document spec = clustered->doc();
        spec.push_back("clustered", Value::boolean(true));
        return spec;
    }
    Document key;
    key.push_back("_id", Value::int32(1));
    Document spec;
    spec.push_back("v", Value::int32(2));
    spec.push_back("key", Value::document(std::move(key)));
    spec.push_back("name", Value::string("_id_"));
    // A time-series buckets collection's legacy `clusteredIndex: true`
    // (makeCanonicalClusteredInfoForLegacyFormat: {key: {_id: 1}, unique: true}).
    if (clustered && clustered->truthy()) {
        spec.push_back("unique", Value::boolean(true));
        spec.push_back("clustered", Value::boolean(true));
    }
    return spec;
}

}  // namespace

Collection::Collection(std::string db, std::string name, CollectionUuid uuid, Document options)
    : db_(std::move(db)), name_(std::move(name)), uuid_(uuid), options_(std::move(options)) {
    if (!is_view()) indexes_.emplace_back(id_index_spec(options_));
}

void Collection::rename(std::string db, std::string name) {
    db_ = std::move(db);
    name_ = std::move(name);
}

bool Collection::is_clustered() const {
    return options_.get("clusteredIndex") != nullptr;
}

bool Collection::is_capped() const {
    const Value* capped = options_.get("capped");
    return capped && capped->truthy();
}

const Record* Collection::find_record(RecordId id) const {
    auto it = records_.find(id);
    return it == records_.end() ? nullptr : &it->second;
}

const Index* Collection::find_index(const std::string& name) const {
    for (const auto& index : indexes_) {
        if (index.name() == name) return &index;
    }
    return nullptr;
}

bool Collection::needs_parsed_docs() const {
    for (const auto& index : indexes_) {
        if (index.rejects_new_duplicates()) return true;
    }
    return false;
}

void Collection::check_unique(const Document& doc, RecordId self) const {
    for (const auto& index : indexes_) {
        if (index.rejects_new_duplicates()) index.check_unique(index.keys_of(doc), self, ns());
    }
}

void Collection::index_add(const Document& doc, RecordId rid) {
    for (auto& index : indexes_) {
        if (index.rejects_new_duplicates()) index.add(index.keys_of(doc), rid);
    }
}

void Collection::index_remove(const Document& doc, RecordId rid) {
    for (auto& index : indexes_) {
        if (index.rejects_new_duplicates()) index.remove(index.keys_of(doc), rid);
    }
}

RecordId Collection::insert(StoredDoc bytes, Value id, const Document* doc) {
    if (id_index_.count(id)) {
        Document pattern;
        pattern.push_back("_id", Value::int32(1));
        Document value;
        value.push_back("_id", id);
        throw_duplicate_key(ns(), "_id_", pattern, value);
    }
    RecordId rid = next_record_;
    if (needs_parsed_docs()) {
        Document parsed = doc ? Document() : parse(bytes);
        const Document& d = doc ? *doc : parsed;
        check_unique(d, rid);
        index_add(d, rid);
    }
    ++next_record_;
    data_size_ += bytes->size();
    id_index_.emplace(id, rid);
    records_.emplace(rid, Record{std::move(bytes), std::move(id)});
    return rid;
}

void Collection::replace(RecordId rid, StoredDoc bytes, const Document* doc) {
    Record& record = records_.at(rid);
    if (needs_parsed_docs()) {
        Document parsed = doc ? Document() : parse(bytes);
        const Document& d = doc ? *doc : parsed;
        check_unique(d, rid);
        index_remove(parse(record.doc), rid);
        index_add(d, rid);
    }
    data_size_ = data_size_ - record.doc->size() + bytes->size();
    record.doc = std::move(bytes);
}

void Collection::remove(RecordId rid) {
    auto it = records_.find(rid);
    if (it == records_.end()) return;
    if (needs_parsed_docs()) index_remove(parse(it->second.doc), rid);
    data_size_ -= it->second.doc->size();
    id_index_.erase(it->second.id);
    records_.erase(it);
}

void Collection::truncate() {
    records_.clear();
    id_index_.clear();
    for (auto& index : indexes_)
        index.clear();
    data_size_ = 0;
}

void Collection::enforce_capped_limits() {
    if (!is_capped()) return;
    const Value* size = options_.get("size");
    const Value* max = options_.get("max");
    auto over = [&] {
        if (records_.size() <= 1) return false;
        if (size && size->is_number() && data_size_ > static_cast<size_t>(size->as_int64())) {
            return true;
        }
        return max && max->is_number() && max->as_int64() > 0 &&
               records_.size() > static_cast<size_t>(max->as_int64());
    };
    while (over())
        remove(records_.begin()->first);
}

void Collection::add_index(Index index) {
    fill_key_table(index);
    indexes_.push_back(std::move(index));
}

void Collection::fill_key_table(Index& index) {
    index.clear();
    if (!index.rejects_new_duplicates()) return;
    for (const auto& [rid, record] : records_) {
        auto keys = index.keys_of(parse(record.doc));
        if (index.unique()) index.check_unique(keys, rid, ns());
        index.add(keys, rid);
    }
}

std::vector<std::vector<Value>> Collection::duplicate_ids(const Index& index) const {
    std::vector<std::vector<Value>> groups;
    for (const auto& records : index.duplicate_groups()) {
        auto& ids = groups.emplace_back();
        for (RecordId rid : records)
            ids.push_back(records_.at(rid).id);
    }
    return groups;
}

void Collection::drop_index(const std::string& name) {
    std::erase_if(indexes_, [&](const Index& index) { return index.name() == name; });
}

}  // namespace tmd
