// The checkpoint State as BSON: the run's fields, and one entry per collection, either together
// in one document (a `collections` array: the file store, and format version 1 everywhere) or
// apart (the destination store since version 2). Namespaces contain dots, awkward as field names.
#include <stdexcept>

#include "checkpoint/checkpoint.h"
#include "mongo/collection.h"

namespace tributary::checkpoint {

namespace {

// 2: collections carry their copy generation; the destination store keeps them in documents of
// their own. Version 1 documents read as generation 0.
constexpr int32_t kFormatVersion = 2;

const char* kPhaseNames[] = {"notStarted", "inProgress", "complete", "creating", "stale"};

CopyPhase parse_phase(const std::string& name) {
    for (int i = 0; i < 5; ++i) {
        if (name == kPhaseNames[i]) return static_cast<CopyPhase>(i);
    }
    throw std::runtime_error("unknown copy phase '" + name + "' in checkpoint");
}

void append_strings(bson_t* parent, const char* key, const std::vector<std::string>& values) {
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(parent, key, &array);
    for (size_t i = 0; i < values.size(); ++i) {
        BSON_APPEND_UTF8(&array, std::to_string(i).c_str(), values[i].c_str());
    }
    bson_append_array_end(parent, &array);
}

// Iterates the elements of an array field, calling visit(iter) for each.
template <typename Visit>
void for_each_element(const bson_t* doc, const char* key, Visit visit) {
    bson_iter_t iter;
    bson_iter_t child;
    if (!bson_iter_init_find(&iter, doc, key) || !bson_iter_recurse(&iter, &child)) return;
    while (bson_iter_next(&child))
        visit(child);
}

// Calls visit(const bson_t*) for each embedded document of an array field.
template <typename Visit>
void for_each_document(const bson_t* doc, const char* key, Visit visit) {
    for_each_element(doc, key, [&](const bson_iter_t& item) {
        uint32_t length = 0;
        const uint8_t* data = nullptr;
        if (BSON_ITER_HOLDS_DOCUMENT(&item)) bson_iter_document(&item, &length, &data);
        bson_t entry;
        if (data && bson_init_static(&entry, data, length)) visit(&entry);
    });
}

std::vector<std::string> read_strings(const bson_t* doc, const char* key) {
    std::vector<std::string> values;
    for_each_element(doc, key, [&](const bson_iter_t& item) {
        if (BSON_ITER_HOLDS_UTF8(&item)) values.emplace_back(bson_iter_utf8(&item, nullptr));
    });
    return values;
}

void append_identity(bson_t* parent, const Identity& identity) {
    bson_t child;
    BSON_APPEND_DOCUMENT_BEGIN(parent, "identity", &child);
    BSON_APPEND_UTF8(&child, "source", identity.source.c_str());
    BSON_APPEND_UTF8(&child, "destination", identity.destination.c_str());
    append_strings(&child, "databases", identity.databases);
    append_strings(&child, "include", identity.include);
    append_strings(&child, "exclude", identity.exclude);
    bson_append_document_end(parent, &child);
}

Identity read_identity(const bson_t* doc) {
    Identity identity;
    identity.source = mongo::get_string(doc, "source").value_or("");
    identity.destination = mongo::get_string(doc, "destination").value_or("");
    identity.databases = read_strings(doc, "databases");
    identity.include = read_strings(doc, "include");
    identity.exclude = read_strings(doc, "exclude");
    return identity;
}

void append_uuid(bson_t* parent, const char* key, const std::string& uuid) {
    BSON_APPEND_BINARY(parent, key, BSON_SUBTYPE_UUID,
                       reinterpret_cast<const uint8_t*>(uuid.data()),
                       static_cast<uint32_t>(uuid.size()));
}

void append_collection_fields(bson_t* out, const std::string& ns, const CollectionCopy& copy) {
    BSON_APPEND_UTF8(out, "ns", ns.c_str());
    BSON_APPEND_UTF8(out, "phase", to_string(copy.phase));
    if (!copy.uuid.empty()) append_uuid(out, "uuid", copy.uuid);
    BSON_APPEND_TIMESTAMP(out, "listedAt", copy.listed_at.t, copy.listed_at.i);
    BSON_APPEND_ARRAY(out, "splitPoints", copy.split_points.view());
    bson_t done;
    BSON_APPEND_ARRAY_BEGIN(out, "rangesDone", &done);
    for (size_t i = 0; i < copy.ranges_done.size(); ++i) {
        BSON_APPEND_BOOL(&done, std::to_string(i).c_str(), copy.ranges_done[i]);
    }
    bson_append_array_end(out, &done);
    BSON_APPEND_INT64(out, "documentsCopied", copy.documents_copied);
    BSON_APPEND_INT64(out, "generation", copy.generation);
}

CollectionCopy read_collection(const bson_t* doc) {
    CollectionCopy copy;
    copy.phase = parse_phase(mongo::get_string(doc, "phase").value_or("notStarted"));
    copy.uuid = mongo::get_binary(doc, "uuid").value_or("");
    copy.listed_at = mongo::get_timestamp(doc, "listedAt").value_or(bson::Timestamp{});
    if (auto points = mongo::get_document(doc, "splitPoints"))
        copy.split_points = std::move(*points);
    for_each_element(doc, "rangesDone", [&](const bson_iter_t& item) {
        copy.ranges_done.push_back(bson_iter_as_bool(&item));
    });
    copy.documents_copied = mongo::get_int(doc, "documentsCopied").value_or(0);
    copy.generation = mongo::get_int(doc, "generation").value_or(0);
    return copy;
}

// [{ns, uuid}]: the uuid is absent when unknown.
void append_incarnations(bson_t* parent, const std::map<std::string, std::string>& incarnations) {
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(parent, "incarnations", &array);
    size_t index = 0;
    for (const auto& [ns, uuid] : incarnations) {
        bson_t child;
        const std::string key = std::to_string(index++);
        BSON_APPEND_DOCUMENT_BEGIN(&array, key.c_str(), &child);
        BSON_APPEND_UTF8(&child, "ns", ns.c_str());
        if (!uuid.empty()) append_uuid(&child, "uuid", uuid);
        bson_append_document_end(&array, &child);
    }
    bson_append_array_end(parent, &array);
}

std::map<std::string, std::string> read_incarnations(const bson_t* doc) {
    std::map<std::string, std::string> incarnations;
    for_each_document(doc, "incarnations", [&](const bson_t* entry) {
        incarnations[mongo::get_string(entry, "ns").value_or("")] =
            mongo::get_binary(entry, "uuid").value_or("");
    });
    return incarnations;
}

bson::Document embedded(const bson_t* doc, const char* key) {
    auto value = mongo::get_document(doc, key);
    return value ? std::move(*value) : bson::Document();
}

// {token, startAfter, appended, bytes, applied}; absent while no spool is active.
void append_spool(bson_t* parent, const SpoolState& spool) {
    if (!spool.active()) return;
    bson_t child;
    BSON_APPEND_DOCUMENT_BEGIN(parent, "spool", &child);
    BSON_APPEND_DOCUMENT(&child, "token", spool.token.view());
    BSON_APPEND_BOOL(&child, "startAfter", spool.start_after);
    BSON_APPEND_INT64(&child, "appended", spool.appended);
    BSON_APPEND_INT64(&child, "bytes", spool.bytes);
    BSON_APPEND_INT64(&child, "applied", spool.applied);
    bson_append_document_end(parent, &child);
}

SpoolState read_spool(const bson_t* doc) {
    SpoolState spool;
    spool.token = embedded(doc, "spool.token");
    spool.start_after = mongo::get_bool(doc, "spool.startAfter").value_or(false);
    spool.appended = mongo::get_int(doc, "spool.appended").value_or(0);
    spool.bytes = mongo::get_int(doc, "spool.bytes").value_or(0);
    spool.applied = mongo::get_int(doc, "spool.applied").value_or(0);
    return spool;
}

}  // namespace

const char* to_string(CopyPhase phase) {
    return kPhaseNames[static_cast<int>(phase)];
}

CollectionCopy CollectionCopy::copy() const {
    CollectionCopy result;
    result.phase = phase;
    result.uuid = uuid;
    result.listed_at = listed_at;
    result.split_points = split_points.copy();
    result.ranges_done = ranges_done;
    result.documents_copied = documents_copied;
    result.generation = generation;
    return result;
}

size_t CollectionCopy::ranges_remaining() const {
    size_t remaining = 0;
    for (bool done : ranges_done)
        remaining += done ? 0 : 1;
    return remaining;
}

std::string Identity::describe() const {
    auto join = [](const std::vector<std::string>& values) {
        std::string text;
        for (const auto& value : values)
            text += (text.empty() ? "" : ",") + value;
        return text.empty() ? std::string("-") : text;
    };
    return "source " + source + ", destination " + destination + ", databases " + join(databases) +
           ", include " + join(include) + ", exclude " + join(exclude);
}

bson::Document State::collection_to_bson(const std::string& ns, const CollectionCopy& copy) {
    bson::Document doc;
    append_collection_fields(doc.get(), ns, copy);
    return doc;
}

StartPoint State::replication_start() const {
    if (resume_token.empty()) return {start.resume_token.copy(), start.operation_time};
    return {resume_token.copy(), applied_cluster_time, resume_start_after};
}

bson::Document State::to_bson() const {
    bson::Document doc = run_to_bson();
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(doc.get(), "collections", &array);
    size_t index = 0;
    for (const auto& [ns, copy] : collections) {
        bson_t child;
        const std::string key = std::to_string(index++);
        BSON_APPEND_DOCUMENT_BEGIN(&array, key.c_str(), &child);
        append_collection_fields(&child, ns, copy);
        bson_append_document_end(&array, &child);
    }
    bson_append_array_end(doc.get(), &array);
    return doc;
}

bson::Document State::run_to_bson() const {
    bson::Document doc;
    bson_t* out = doc.get();
    BSON_APPEND_UTF8(out, "_id", "sync");
    BSON_APPEND_INT32(out, "version", kFormatVersion);
    BSON_APPEND_UTF8(out, "runId", run_id.c_str());
    append_identity(out, identity);
    bson_t start_doc;
    BSON_APPEND_DOCUMENT_BEGIN(out, "start", &start_doc);
    BSON_APPEND_DOCUMENT(&start_doc, "resumeToken", start.resume_token.view());
    BSON_APPEND_TIMESTAMP(&start_doc, "operationTime", start.operation_time.t,
                          start.operation_time.i);
    bson_append_document_end(out, &start_doc);
    BSON_APPEND_BOOL(out, "copyComplete", copy_complete);
    BSON_APPEND_DOCUMENT(out, "resumeToken", resume_token.view());
    BSON_APPEND_BOOL(out, "resumeStartAfter", resume_start_after);
    BSON_APPEND_TIMESTAMP(out, "appliedClusterTime", applied_cluster_time.t,
                          applied_cluster_time.i);
    BSON_APPEND_TIMESTAMP(out, "uniqueConversionAt", unique_conversion_at.t,
                          unique_conversion_at.i);
    BSON_APPEND_BOOL(out, "finalized", finalized);
    append_incarnations(out, incarnations);
    BSON_APPEND_INT64(out, "copyGeneration", copy_generation);
    append_spool(out, spool);
    return doc;
}

int32_t State::version_of(const bson_t* doc) {
    return static_cast<int32_t>(mongo::get_int(doc, "version").value_or(0));
}

void State::add_collection(const bson_t* entry) {
    CollectionCopy copy = read_collection(entry);
    if (copy.generation < copy_generation) copy.phase = CopyPhase::kStale;
    collections[mongo::get_string(entry, "ns").value_or("")] = std::move(copy);
}

State State::from_bson(const bson_t* doc) {
    const int32_t version = version_of(doc);
    if (version > kFormatVersion) {
        throw std::runtime_error("written by a newer tributary (checkpoint format version " +
                                 std::to_string(version) + ", this one reads up to " +
                                 std::to_string(kFormatVersion) + ")");
    }
    if (version < 1) throw std::runtime_error("not a tributary checkpoint");
    State state;
    state.run_id = mongo::get_string(doc, "runId").value_or("");
    state.identity = read_identity(embedded(doc, "identity").view());
    state.start.resume_token = embedded(doc, "start.resumeToken");
    state.start.operation_time =
        mongo::get_timestamp(doc, "start.operationTime").value_or(bson::Timestamp{});
    state.copy_generation = mongo::get_int(doc, "copyGeneration").value_or(0);
    for_each_document(doc, "collections",
                      [&](const bson_t* entry) { state.add_collection(entry); });
    state.copy_complete = mongo::get_bool(doc, "copyComplete").value_or(false);
    state.resume_token = embedded(doc, "resumeToken");
    state.resume_start_after = mongo::get_bool(doc, "resumeStartAfter").value_or(false);
    state.applied_cluster_time =
        mongo::get_timestamp(doc, "appliedClusterTime").value_or(bson::Timestamp{});
    state.unique_conversion_at =
        mongo::get_timestamp(doc, "uniqueConversionAt").value_or(bson::Timestamp{});
    state.finalized = mongo::get_bool(doc, "finalized").value_or(false);
    state.incarnations = read_incarnations(doc);
    state.spool = read_spool(doc);
    return state;
}

}  // namespace tributary::checkpoint
