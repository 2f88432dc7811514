// Index: one index of a collection — its listed spec (createIndexes options), key extraction with
// MongoDB's multikey/sparse/partial rules, and the key table that enforces unique and
// prepareUnique indexes.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/matcher.h"
#include "engine/value.h"

namespace tmd {

using RecordId = uint64_t;

// A MongoError that carries extra reply fields: keyPattern/keyValue for duplicate keys, errInfo
// for validation failures. Write commands copy them into writeErrors.
class DetailedError : public MongoError {
  public:
    DetailedError(int code, std::string message, Document info)
        : MongoError(code, std::move(message)), info_(std::move(info)) {}
    const Document& info() const { return info_; }

  private:
    Document info_;
};

// An index key: one value per key-pattern field.
using IndexKey = std::vector<Value>;
struct IndexKeyLess {
    bool operator()(const IndexKey& a, const IndexKey& b) const;
};

// The values a dotted path reaches in a document, traversing arrays as index keys do (each array
// element a separate key, an empty array the key undefined). Missing: empty result.
std::vector<Value> path_values(const Document& doc, const std::string& path);

class Index {
  public:
    // `spec` is the normalised spec as listIndexes shows it ({v: 2, key, name, ...options}).
    explicit Index(Document spec);

    const std::string& name() const { return name_; }
    const Document& key_pattern() const { return key_; }
    const Document& spec() const { return spec_; }
    bool unique() const { return unique_; }
    bool prepare_unique() const { return prepare_unique_; }
    // Unique and prepareUnique indexes refuse writes that add a key another record holds; only
    // unique ones refuse to be built over duplicates (prepareUnique keeps existing ones).
    bool rejects_new_duplicates() const { return unique_ || prepare_unique_; }
    // The _id index, or a clustered collection's clustered index (named as its option says).
    bool is_id_index() const { return name_ == "_id_" || clustered_; }
    // Replaces or removes one option in the spec (collMod: expireAfterSeconds, hidden, unique,
    // prepareUnique). The caller rebuilds the key table when uniqueness changes.
    void set_option(const std::string& option, Value value);
    void remove_option(const std::string& option);

    // The keys this document contributes (none when sparse/partial exclude it).
    std::vector<IndexKey> keys_of(const Document& doc) const;

    // Indexes that reject new duplicates: throws DuplicateKey (11000) if a key this record does
    // not hold yet belongs to another record.
    void check_unique(const std::vector<IndexKey>& keys, RecordId self,
                      const std::string& ns) const;
    void add(const std::vector<IndexKey>& keys, RecordId id);
    void remove(const std::vector<IndexKey>& keys, RecordId id);
    void clear() { entries_.clear(); }
    size_t entry_count() const { return entries_.size(); }
    // The records sharing a key, one group per key in key order (records in insertion order):
    // what converting the index to unique would violate.
    std::vector<std::vector<RecordId>> duplicate_groups() const;

    // The key-pattern document with this key's values, for errors: {a: 1} -> {a: <value>}.
    Document key_value(const IndexKey& key) const;

  private:
    void read_options();

    Document spec_;
    Document key_;
    std::string name_;
    bool unique_ = false;
    bool prepare_unique_ = false;
    bool clustered_ = false;
    bool sparse_ = false;
    std::shared_ptr<Matcher> partial_;
    // Only for indexes that reject new duplicates.
    std::map<IndexKey, std::set<RecordId>, IndexKeyLess> entries_;
};

// Throws DuplicateKey (11000) with mongod's message and keyPattern/keyValue.
[[noreturn]] void throw_duplicate_key(const std::string& ns, const std::string& index_name,
                                      const Document& key_pattern, const Document& key_value);

// The default name mongod gives an index: field_direction pairs joined by '_' ("a_1_b_-1").
std::string default_index_name(const Document& key);

}  // namespace tmd
