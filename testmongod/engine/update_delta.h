// The $v:2 update delta (mongod's doc_diff format), what an update oplog entry records and change
// streams report: {d: {name: false}, u: {name: value}, i: {name: value}, s<name>: <sub-delta>} for
// a document, {a: true, l: <new length>, u<index>: value, s<index>: <sub-delta>} for an array.
// Operator updates log it as they apply (DeltaLog, mongod's V2LogBuilder); pipeline updates diff
// the two images (compute_delta, mongod's doc_diff::computeOplogDiff).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/value.h"

namespace tmd {

// One component of the path an update took: a field name, or an index into an array.
struct DeltaPathPart {
    std::string name;
    bool array_index = false;
};
using DeltaPath = std::vector<DeltaPathPart>;

// mongod's v2_log_builder::V2LogBuilder: collects what each modifier did into the delta tree.
class DeltaLog {
  public:
    DeltaLog();
    ~DeltaLog();
    DeltaLog(DeltaLog&&) noexcept;
    DeltaLog& operator=(DeltaLog&&) noexcept;

    // An existing field got a new value.
    void updated(const DeltaPath& path, Value value);
    // The path was created from component `first_new` on; `value` is the leaf's value.
    void created(const DeltaPath& path, size_t first_new, Value value);
    // A field was removed from its document.
    void deleted(const DeltaPath& path);

    bool empty() const;
    // The "diff" document of the oplog entry.
    Document to_document() const;

    struct Node;

  private:
    std::unique_ptr<Node> root_;
};

// kSizeOfDeltaOplogEntryMetadata: what {$v: 2, diff: ...} adds around the diff.
constexpr size_t kDeltaOplogEntryMetadataSize = 15;

// doc_diff::computeOplogDiff: the delta from `pre` to `post`, or nullopt when it is not smaller
// than `post` (mongod then logs the update as a replacement).
std::optional<Document> compute_delta(const bson_t& pre, const bson_t& post);

// Whether a (sub-)delta is an array's ({a: true, ...}).
bool is_array_delta(const Document& delta);

// doc_diff::applyDiff: `pre` with the delta applied. Throws MongoError for a malformed delta.
Document apply_delta(const Document& pre, const Document& delta);

}  // namespace tmd
