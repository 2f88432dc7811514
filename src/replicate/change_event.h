// A change-stream event as the replicator needs it: the operation, its namespace(s), the
// document key, full document and update description, parsed once from the server's BSON.
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bson/document.h"

namespace tributary::replicate {

// The operationType values of MongoDB's Change Events reference; kUnknown covers event types a
// newer server may add (they are treated as catalog barriers, never silently applied as data).
enum class OperationType {
    kInsert,
    kUpdate,
    kReplace,
    kDelete,
    kCreate,
    kDrop,
    kRename,
    kDropDatabase,
    kCreateIndexes,
    kDropIndexes,
    kModify,
    kInvalidate,
    kShardCollection,
    kUnknown,
};

OperationType operation_type_from(std::string_view name);

struct Namespace {
    std::string db;
    std::string coll;  // empty for database-level events (dropDatabase)

    std::string full() const { return coll.empty() ? db : db + "." + coll; }
    bool operator==(const Namespace&) const = default;
    auto operator<=>(const Namespace&) const = default;
};

struct TruncatedArray {
    std::string field;
    int32_t new_size = 0;
};

// One component of a disambiguated path: a field name (a string in the event) or an array
// index (an int32).
struct PathComponent {
    std::string field;
    bool is_array_index = false;
};

// updateDescription of an update event (MongoDB 5.0+ shape; older shapes lack the last two).
struct UpdateDescription {
    bson::Document updated_fields;
    std::vector<std::string> removed_fields;
    std::vector<TruncatedArray> truncated_arrays;
    // disambiguatedPaths (6.1+ with showExpandedEvents): for the updatedFields / removedFields
    // keys whose dotted form is ambiguous (a field name containing a dot, or a numeric field
    // name past the first component), the path's real components. Other keys are not listed.
    std::map<std::string, std::vector<PathComponent>, std::less<>> disambiguated_paths;
};

// The source transaction an event belongs to: its lsid (as BSON bytes) and txnNumber, which
// change events carry only for operations of a multi-document transaction (manual, "Change
// Events": lsid, txnNumber).
struct TransactionId {
    std::string lsid;
    int64_t txn_number = 0;
    bool operator==(const TransactionId&) const = default;
};

class ChangeEvent {
  public:
    // Parses one event; throws std::invalid_argument when a required field is missing.
    static ChangeEvent parse(const bson_t* event);

    OperationType type() const { return type_; }
    std::string_view type_name() const { return type_name_; }
    const Namespace& ns() const { return ns_; }
    // Destination namespace of a rename event.
    const std::optional<Namespace>& to() const { return to_; }
    const bson_t* resume_token() const { return resume_token_.view(); }
    // Moves the token out, for a caller that keeps it; resume_token() is empty afterwards.
    bson::Document take_resume_token() { return std::move(resume_token_); }
    bson::Timestamp cluster_time() const { return cluster_time_; }
    // collectionUUID (6.0+ with showExpandedEvents): the 16 bytes of the incarnation the event
    // concerns; empty when the event has none.
    const std::string& collection_uuid() const { return collection_uuid_; }
    // {_id: ...} (plus shard key fields on sharded sources); empty for catalog events.
    const bson_t* document_key() const { return document_key_.view(); }
    // The full document, or nullptr when the event has none (or it is null: updateLookup found
    // the document deleted).
    const bson_t* full_document() const {
        return full_document_ ? full_document_->view() : nullptr;
    }
    const std::optional<UpdateDescription>& update_description() const { return update_; }
    // Set for the events of a multi-document transaction.
    const std::optional<TransactionId>& transaction() const { return transaction_; }
    // operationDescription of expanded DDL events (create, createIndexes, modify, ...).
    const bson_t* operation_description() const {
        return operation_description_ ? operation_description_->view() : nullptr;
    }

    bool is_data_event() const;
    bool is_catalog_event() const { return !is_data_event(); }

  private:
    ChangeEvent() = default;

    OperationType type_ = OperationType::kUnknown;
    std::string type_name_;
    Namespace ns_;
    std::optional<Namespace> to_;
    bson::Document resume_token_;
    bson::Timestamp cluster_time_;
    std::string collection_uuid_;
    bson::Document document_key_;
    std::optional<bson::Document> full_document_;
    std::optional<UpdateDescription> update_;
    std::optional<TransactionId> transaction_;
    std::optional<bson::Document> operation_description_;
};

// The _id of a document key (or of any document), as a one-field document {_id: <value>}.
bson::Document id_filter(const bson_t* document);

}  // namespace tributary::replicate
