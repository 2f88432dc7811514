// Collection: one collection's documents in natural (insertion) order as shared immutable BSON,
// its ordered _id index, secondary indexes, and the options create/collMod gave it (capped,
// validator, view definition).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/index.h"
#include "server/lock.h"
#include "server/oplog.h"

namespace tmd {

// Orders the _id index. Same-type int32/int64/ObjectId keys (the common _id types) compare
// directly, with the same result compare_values gives; everything else goes through it.
struct ValueLess {
    bool operator()(const Value& a, const Value& b) const {
        if (a.type() == b.type()) {
            switch (a.type()) {
                case BSON_TYPE_INT32:
                    return a.as_int32() < b.as_int32();
                case BSON_TYPE_INT64:
                    return std::get<int64_t>(a.payload()) < std::get<int64_t>(b.payload());
                case BSON_TYPE_OID:
                    return bson_oid_compare(&std::get<bson_oid_t>(a.payload()),
                                            &std::get<bson_oid_t>(b.payload())) < 0;
                default:
                    break;
            }
        }
        return compare_values(a, b) < 0;
    }
};

struct Record {
    StoredDoc doc;
    Value id;
};

class Collection {
  public:
    Collection(std::string db, std::string name, CollectionUuid uuid, Document options);

    const std::string& db() const { return db_; }
    const std::string& name() const { return name_; }
    std::string ns() const { return db_ + "." + name_; }
    const CollectionUuid& uuid() const { return uuid_; }
    const Document& options() const { return options_; }
    Document& options() { return options_; }
    void rename(std::string db, std::string name);

    // The collection lock (catalog.h, "Locking"): shared to read the documents, exclusive to
    // change them.
    SharedMutex& mutex() const { return lock_.mutex; }

    bool is_view() const { return options_.get("viewOn") != nullptr; }
    bool is_capped() const;
    // Clustered by _id (create's clusteredIndex, 5.3+): the _id index is the clustered index.
    bool is_clustered() const;

    // Documents in natural order.
    const std::map<RecordId, Record>& records() const { return records_; }
    size_t count() const { return records_.size(); }
    size_t data_size() const { return data_size_; }
    // The _id index: _id value to record.
    const std::map<Value, RecordId, ValueLess>& id_index() const { return id_index_; }
    const Record* find_record(RecordId id) const;

    std::vector<Index>& indexes() { return indexes_; }
    const std::vector<Index>& indexes() const { return indexes_; }
    const Index* find_index(const std::string& name) const;

    // Storage changes. `doc` is the parsed form of `bytes` when the caller already has it
    // (needed only when secondary unique indexes exist). Unique violations throw DetailedError
    // (11000) and leave the collection unchanged.
    RecordId insert(StoredDoc bytes, Value id, const Document* doc = nullptr);
    void replace(RecordId rid, StoredDoc bytes, const Document* doc = nullptr);
    void remove(RecordId rid);
    void truncate();
    // Capped collections: removes the oldest documents beyond size/max.
    void enforce_capped_limits();

    // Builds and adds an index over the current documents; throws 11000 on duplicates (unique
    // indexes; prepareUnique ones keep them).
    void add_index(Index index);
    // Rebuilds an index's key table after its uniqueness options changed (collMod).
    void fill_key_table(Index& index);
    // The _id values of the documents sharing a key of `index`, one group per key.
    std::vector<std::vector<Value>> duplicate_ids(const Index& index) const;
    void drop_index(const std::string& name);
    // Whether the collection has an index that needs the parsed document on writes.
    bool needs_parsed_docs() const;

  private:
    void check_unique(const Document& doc, RecordId self) const;
    void index_add(const Document& doc, RecordId rid);
    void index_remove(const Document& doc, RecordId rid);

    // A copy (a transaction's snapshot of the collection) gets a lock of its own.
    struct OwnLock {
        OwnLock() = default;
        OwnLock(const OwnLock&) {}
        OwnLock& operator=(const OwnLock&) { return *this; }
        mutable SharedMutex mutex;
    };

    std::string db_;
    std::string name_;
    CollectionUuid uuid_;
    Document options_;
    std::map<RecordId, Record> records_;
    std::map<Value, RecordId, ValueLess> id_index_;
    std::vector<Index> indexes_;
    RecordId next_record_ = 1;
    size_t data_size_ = 0;
    OwnLock lock_;
};

}  // namespace tmd
