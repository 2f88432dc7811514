// Parses change-stream events (MongoDB "Change Events" reference) into ChangeEvent values.
// Unknown fields are ignored so that events of newer servers still parse.
#include "replicate/change_event.h"

#include <array>
#include <stdexcept>
#include <utility>

namespace tributary::replicate {
namespace {

constexpr std::array<std::pair<std::string_view, OperationType>, 13> kOperationTypes{{
    {"insert", OperationType::kInsert},
    {"update", OperationType::kUpdate},
    {"replace", OperationType::kReplace},
    {"delete", OperationType::kDelete},
    {"create", OperationType::kCreate},
    {"drop", OperationType::kDrop},
    {"rename", OperationType::kRename},
    {"dropDatabase", OperationType::kDropDatabase},
    {"createIndexes", OperationType::kCreateIndexes},
    {"dropIndexes", OperationType::kDropIndexes},
    {"modify", OperationType::kModify},
    {"invalidate", OperationType::kInvalidate},
    {"shardCollection", OperationType::kShardCollection},
}};

std::optional<bson::Document> optional_subdocument(const bson_t* event, const char* key) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, event, key) || !BSON_ITER_HOLDS_DOCUMENT(&iter)) {
        return std::nullopt;
    }
    return bson::Document::copy_of_subdocument(iter);
}

std::string utf8_field(const bson_t* doc, const char* key) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, doc, key) || !BSON_ITER_HOLDS_UTF8(&iter)) return {};
    return bson_iter_utf8(&iter, nullptr);
}

// {db: ..., coll: ...} read in place: no copy of the subdocument.
Namespace namespace_of(const bson_iter_t& iter) {
    Namespace ns;
    bson_iter_t child;
    bson_iter_recurse(&iter, &child);
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_UTF8(&child)) continue;
        std::string_view key = bson_iter_key(&child);
        if (key == "db") ns.db = bson_iter_utf8(&child, nullptr);
        if (key == "coll") ns.coll = bson_iter_utf8(&child, nullptr);
    }
    return ns;
}

// The bytes of a subdocument (lsid), kept as they are for comparison.
std::string subdocument_bytes(const bson_iter_t& iter) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&iter, &length, &data);
    return std::string(reinterpret_cast<const char*>(data), length);
}

std::vector<std::string> string_array(const bson_t* doc, const char* key) {
    std::vector<std::string> values;
    bson_iter_t iter;
    bson_iter_t child;
    if (!bson_iter_init_find(&iter, doc, key) || !BSON_ITER_HOLDS_ARRAY(&iter)) return values;
    bson_iter_recurse(&iter, &child);
    while (bson_iter_next(&child)) {
        if (BSON_ITER_HOLDS_UTF8(&child)) values.emplace_back(bson_iter_utf8(&child, nullptr));
    }
    return values;
}

std::vector<TruncatedArray> truncated_arrays(const bson_t* doc) {
    std::vector<TruncatedArray> arrays;
    bson_iter_t iter;
    bson_iter_t child;
    if (!bson_iter_init_find(&iter, doc, "truncatedArrays") || !BSON_ITER_HOLDS_ARRAY(&iter)) {
        return arrays;
    }
    bson_iter_recurse(&iter, &child);
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&child)) continue;
        bson::Document entry = bson::Document::copy_of_subdocument(child);
        bson_iter_t size;
        TruncatedArray array{utf8_field(entry.view(), "field"), 0};
        if (bson_iter_init_find(&size, entry.view(), "newSize") && BSON_ITER_HOLDS_NUMBER(&size)) {
            array.new_size = static_cast<int32_t>(bson_iter_as_int64(&size));
        }
        arrays.push_back(std::move(array));
    }
    return arrays;
}

std::vector<PathComponent> path_components(const bson_iter_t& array) {
    std::vector<PathComponent> components;
    bson_iter_t child;
    bson_iter_recurse(&array, &child);
    while (bson_iter_next(&child)) {
        if (BSON_ITER_HOLDS_UTF8(&child)) {
            components.push_back(PathComponent{bson_iter_utf8(&child, nullptr), false});
        } else {
            components.push_back(PathComponent{std::to_string(bson_iter_as_int64(&child)), true});
        }
    }
    return components;
}

std::map<std::string, std::vector<PathComponent>, std::less<>> disambiguated_paths(
    const bson_t* doc) {
    std::map<std::string, std::vector<PathComponent>, std::less<>> paths;
    bson_iter_t iter;
    bson_iter_t child;
    if (!bson_iter_init_find(&iter, doc, "disambiguatedPaths") ||
        !BSON_ITER_HOLDS_DOCUMENT(&iter)) {
        return paths;
    }
    bson_iter_recurse(&iter, &child);
    while (bson_iter_next(&child)) {
        if (BSON_ITER_HOLDS_ARRAY(&child)) {
            paths.emplace(bson_iter_key(&child), path_components(child));
        }
    }
    return paths;
}

// Read in place: only the parts kept (updatedFields) are copied.
UpdateDescription parse_update_description(const bson_iter_t& iter) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&iter, &length, &data);
    bson_t description;
    bson_init_static(&description, data, length);
    const bson_t* doc = &description;
    UpdateDescription update;
    if (auto fields = optional_subdocument(doc, "updatedFields")) {
        update.updated_fields = std::move(*fields);
    }
    update.removed_fields = string_array(doc, "removedFields");
    update.truncated_arrays = truncated_arrays(doc);
    update.disambiguated_paths = disambiguated_paths(doc);
    return update;
}

}  // namespace

OperationType operation_type_from(std::string_view name) {
    for (const auto& [text, type] : kOperationTypes) {
        if (text == name) return type;
    }
    return OperationType::kUnknown;
}

ChangeEvent ChangeEvent::parse(const bson_t* event) {
    ChangeEvent parsed;
    // One pass over the event's fields (a lookup per field would scan the event a dozen times:
    // the largest item of the replicator's profile, bench/RESULTS.md).
    bool has_token = false;
    std::optional<std::string> lsid;
    std::optional<int64_t> txn_number;
    bson_iter_t iter;
    bson_iter_init(&iter, event);
    while (bson_iter_next(&iter)) {
        const std::string_view key = bson_iter_key(&iter);
        const bool is_document = BSON_ITER_HOLDS_DOCUMENT(&iter);
        if (key == "_id" && is_document) {
            parsed.resume_token_ = bson::Document::copy_of_subdocument(iter);
            has_token = true;
        } else if (key == "operationType" && BSON_ITER_HOLDS_UTF8(&iter)) {
            parsed.type_name_ = bson_iter_utf8(&iter, nullptr);
        } else if (key == "clusterTime" && BSON_ITER_HOLDS_TIMESTAMP(&iter)) {
            bson_iter_timestamp(&iter, &parsed.cluster_time_.t, &parsed.cluster_time_.i);
        } else if (key == "collectionUUID" && BSON_ITER_HOLDS_BINARY(&iter)) {
            bson_subtype_t subtype;
            uint32_t length = 0;
            const uint8_t* bytes = nullptr;
            bson_iter_binary(&iter, &subtype, &length, &bytes);
            parsed.collection_uuid_.assign(reinterpret_cast<const char*>(bytes), length);
        } else if (key == "lsid" && is_document) {
            lsid = subdocument_bytes(iter);
        } else if (key == "txnNumber" && BSON_ITER_HOLDS_INT(&iter)) {
            txn_number = bson_iter_as_int64(&iter);
        } else if (key == "ns" && is_document) {
            parsed.ns_ = namespace_of(iter);
        } else if (key == "to" && is_document) {
            parsed.to_ = namespace_of(iter);
        } else if (key == "documentKey" && is_document) {
            parsed.document_key_ = bson::Document::copy_of_subdocument(iter);
        } else if (key == "fullDocument" && is_document) {
            parsed.full_document_ = bson::Document::copy_of_subdocument(iter);
        } else if (key == "updateDescription" && is_document) {
            parsed.update_ = parse_update_description(iter);
        } else if (key == "operationDescription" && is_document) {
            parsed.operation_description_ = bson::Document::copy_of_subdocument(iter);
        }
    }
    if (!has_token) {
        throw std::invalid_argument("change event without a resume token: " + bson::to_json(event));
    }
    if (parsed.type_name_.empty()) {
        throw std::invalid_argument("change event without operationType: " + bson::to_json(event));
    }
    parsed.type_ = operation_type_from(parsed.type_name_);
    if (lsid && txn_number) parsed.transaction_ = TransactionId{std::move(*lsid), *txn_number};
    if (parsed.is_data_event() && bson_empty(parsed.document_key_.view())) {
        throw std::invalid_argument("data change event without documentKey: " +
                                    bson::to_json(event));
    }
    return parsed;
}

bool ChangeEvent::is_data_event() const {
    switch (type_) {
        case OperationType::kInsert:
        case OperationType::kUpdate:
        case OperationType::kReplace:
        case OperationType::kDelete:
            return true;
        default:
            return false;
    }
}

bson::Document id_filter(const bson_t* document) {
    bson::Document filter;
    bson_iter_t iter;
    if (bson_iter_init_find(&iter, document, "_id")) {
        bson_append_value(filter.get(), "_id", 3, bson_iter_value(&iter));
    }
    return filter;
}

}  // namespace tributary::replicate
