// Cursors: StoredDocsCursor batching, the CursorManager, and the getMore / killCursors commands.
// Behaviour follows mongod's getmore_cmd.cpp and killcursors_common.cpp.
#include "server/cursor.h"

#include <charconv>
#include <functional>
#include <memory>
#include <optional>
#include <random>

#include "engine/error.h"
#include "server/catalog.h"
#include "server/command.h"
#include "server/server_state.h"

namespace tmd {
namespace {

// mongod waits this long on an awaitData getMore that names no maxTimeMS.
constexpr int64_t kDefaultAwaitMs = 1000;

// Array keys by std::to_chars: bson_uint32_to_string formats keys from 1000 on with snprintf,
// which took about a third of the instructions building large scan replies (callgrind).
void append_indexed(bson_t* array, uint32_t index, const bson_t* doc) {
    char key[16];
    char* end = std::to_chars(key, key + sizeof key, index).ptr;
    bson_append_document(array, key, static_cast<int>(end - key), doc);
}

// The batchSize a cursor-opening command names: find's batchSize or aggregate's cursor.batchSize.
std::optional<int64_t> requested_batch_size(const bson_t* command) {
    if (command == nullptr) return std::nullopt;
    bson_iter_t iter;
    if (bson_iter_init_find(&iter, command, "batchSize") && BSON_ITER_HOLDS_NUMBER(&iter)) {
        return bson_iter_as_int64(&iter);
    }
    if (bson_iter_init(&iter, command) &&
        bson_iter_find_descendant(&iter, "cursor.batchSize", &iter) &&
        BSON_ITER_HOLDS_NUMBER(&iter)) {
        return bson_iter_as_int64(&iter);
    }
    return std::nullopt;
}

std::string lsid_of(const bson_t* command) {
    bson_iter_t iter;
    if (command == nullptr || !bson_iter_init_find(&iter, command, "lsid") ||
        !BSON_ITER_HOLDS_DOCUMENT(&iter)) {
        return {};
    }
    uint32_t length;
    const uint8_t* data;
    bson_iter_document(&iter, &length, &data);
    return std::string(reinterpret_cast<const char*>(data), length);
}

// Appends {cursor: {<batch_field>: [...], <cursor fields>, id, ns}}; returns whether the cursor
// is exhausted.
bool append_cursor_reply(Cursor& cursor, const char* batch_field, int64_t batch_size,
                         int64_t await_ms, bool skip_batch, const std::string& ns,
                         const std::function<int64_t(bool)>& id_for, bson_t* reply) {
    // The batch is written straight into the reply: copying a 16 MiB batch built apart cost a
    // second buffer and a memcpy per getMore (bench/RESULTS.md).
    bson_t cursor_doc, batch;
    BSON_APPEND_DOCUMENT_BEGIN(reply, "cursor", &cursor_doc);
    BSON_APPEND_ARRAY_BEGIN(&cursor_doc, batch_field, &batch);
    bool exhausted = false;
    try {
        exhausted = !skip_batch && cursor.next_batch(batch_size, await_ms, &batch);
    } catch (...) {
        // A cursor may throw MongoError (a change stream's fatal error): close the children so
        // the dispatcher can reset the reply and write the error reply into it.
        bson_append_array_end(&cursor_doc, &batch);
        bson_append_document_end(reply, &cursor_doc);
        throw;
    }
    bson_append_array_end(&cursor_doc, &batch);
    cursor.append_cursor_fields(&cursor_doc);
    BSON_APPEND_INT64(&cursor_doc, "id", id_for(exhausted));
    BSON_APPEND_UTF8(&cursor_doc, "ns", ns.c_str());
    bson_append_document_end(reply, &cursor_doc);
    return exhausted;
}

struct GetMoreArgs {
    int64_t id = 0;
    std::string collection;
    int64_t batch_size = 0;
    std::optional<int64_t> max_time_ms;
};

// getMore is parsed by mongod's IDL: field errors read "BSON field 'getMore.<name>' ...".
GetMoreArgs parse_get_more(const bson_t* body) {
    GetMoreArgs args;
    bson_iter_t iter;
    bson_iter_init(&iter, body);
    bson_iter_next(&iter);
    if (!BSON_ITER_HOLDS_INT64(&iter)) {
        throw MongoError(
            code::TypeMismatch,
            "BSON field 'getMore.getMore' is the wrong type '" +
                std::string(bson_iter_type(&iter) == BSON_TYPE_INT32 ? "int" : "other") +
                "', expected type 'long'");
    }
    args.id = bson_iter_int64(&iter);
    if (!bson_iter_init_find(&iter, body, "collection")) {
        throw MongoError(40414, "BSON field 'getMore.collection' is missing but a required field");
    }
    if (!BSON_ITER_HOLDS_UTF8(&iter)) {
        throw MongoError(
            code::TypeMismatch,
            "BSON field 'getMore.collection' is the wrong type, expected type 'string'");
    }
    args.collection = bson_iter_utf8(&iter, nullptr);
    if (bson_iter_init_find(&iter, body, "batchSize")) {
        if (!BSON_ITER_HOLDS_NUMBER(&iter)) {
            throw MongoError(code::TypeMismatch,
                             "BSON field 'getMore.batchSize' is the wrong type");
        }
        args.batch_size = bson_iter_as_int64(&iter);
        if (args.batch_size <= 0) {
            throw MongoError(code::BadValue,
                             "Batch size for getMore must be positive, but received: " +
                                 std::to_string(args.batch_size));
        }
    }
    if (bson_iter_init_find(&iter, body, "maxTimeMS")) {
        if (!BSON_ITER_HOLDS_NUMBER(&iter) || bson_iter_as_int64(&iter) < 0) {
            throw MongoError(code::BadValue, "maxTimeMS must be a non-negative number");
        }
        args.max_time_ms = bson_iter_as_int64(&iter);
    }
    return args;
}

void get_more(const CommandRequest& request, bson_t* reply) {
    GetMoreArgs args = parse_get_more(request.body);
    CursorManager& cursors = request.server->cursors();
    auto open = cursors.find(args.id);
    if (!open) {
        throw MongoError(code::CursorNotFound,
                         "cursor id " + std::to_string(args.id) + " not found");
    }
    std::string ns = request.db + "." + args.collection;
    if (ns != open->ns) {
        constexpr int kUnauthorized = 13;
        throw MongoError(kUnauthorized, "Requested getMore on namespace '" + ns +
                                            "', but cursor belongs to a different namespace " +
                                            open->ns);
    }
    std::lock_guard in_use(open->in_use);
    if (args.max_time_ms && !open->cursor->await_data()) {
        throw MongoError(code::BadValue,
                         "cannot set maxTimeMS on getMore command for a non-awaitData cursor");
    }
    int64_t await_ms = open->cursor->await_data() ? args.max_time_ms.value_or(kDefaultAwaitMs) : 0;
    try {
        if (auto error_code = request.server->fail_points().get_more_error_after_checkout()) {
            throw MongoError(*error_code, "Hit the 'failGetMoreAfterCursorCheckout' failpoint");
        }
        bool exhausted = append_cursor_reply(
            *open->cursor, "nextBatch", args.batch_size, await_ms, false, open->ns,
            [&](bool done) { return done ? 0 : args.id; }, reply);
        if (exhausted) cursors.kill(args.id);
    } catch (...) {
        // mongod frees a cursor whose getMore failed.
        cursors.kill(args.id);
        throw;
    }
}

std::vector<int64_t> cursor_ids_of(const bson_t* body) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, body, "cursors")) {
        throw MongoError(40414, "BSON field 'killCursors.cursors' is missing but a required field");
    }
    if (!BSON_ITER_HOLDS_ARRAY(&iter)) {
        throw MongoError(
            code::TypeMismatch,
            "BSON field 'killCursors.cursors' is the wrong type, expected type 'array'");
    }
    std::vector<int64_t> ids;
    bson_iter_t child;
    bson_iter_recurse(&iter, &child);
    while (bson_iter_next(&child)) {
        if (!BSON_ITER_HOLDS_INT64(&child)) {
            throw MongoError(code::TypeMismatch,
                             "BSON field 'killCursors.cursors' elements must be of type 'long'");
        }
        ids.push_back(bson_iter_int64(&child));
    }
    return ids;
}

void append_id_array(bson_t* reply, const char* name, const std::vector<int64_t>& ids) {
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(reply, name, &array);
    char buffer[16];
    for (uint32_t i = 0; i < ids.size(); ++i) {
        const char* key;
        size_t length = bson_uint32_to_string(i, &key, buffer, sizeof buffer);
        bson_append_int64(&array, key, static_cast<int>(length), ids[i]);
    }
    bson_append_array_end(reply, &array);
}

void kill_cursors(const CommandRequest& request, bson_t* reply) {
    bson_iter_t iter;
    bson_iter_init(&iter, request.body);
    bson_iter_next(&iter);
    if (!BSON_ITER_HOLDS_UTF8(&iter)) {
        throw MongoError(
            code::TypeMismatch,
            "BSON field 'killCursors.killCursors' is the wrong type, expected type 'string'");
    }
    std::string ns = request.db + "." + bson_iter_utf8(&iter, nullptr);
    std::vector<int64_t> killed, not_found;
    CursorManager& cursors = request.server->cursors();
    for (int64_t id : cursor_ids_of(request.body)) {
        auto open = cursors.find(id);
        bool ours = open && open->ns == ns;
        (ours && cursors.kill(id) ? killed : not_found).push_back(id);
    }
    append_id_array(reply, "cursorsKilled", killed);
    append_id_array(reply, "cursorsNotFound", not_found);
    append_id_array(reply, "cursorsAlive", {});
    append_id_array(reply, "cursorsUnknown", {});
}

}  // namespace

bool StoredDocsCursor::next_batch(int64_t batch_size, int64_t /*await_ms*/, bson_t* batch) {
    uint32_t index = bson_count_keys(batch);
    size_t bytes = 0;
    int64_t count = 0;
    while (position_ < docs_.size() && (batch_size <= 0 || count < batch_size)) {
        const StoredDoc& doc = docs_[position_];
        // mongod's FindCommon::haveSpaceForNext: the first document always fits.
        if (count > 0 && bytes + doc->size() > kMaxBatchBytes) break;
        bson_t view = view_of(doc);
        append_indexed(batch, index++, &view);
        bytes += doc->size();
        ++count;
        docs_[position_++].reset();  // the batch holds a copy; free memory as we go
    }
    return position_ == docs_.size();
}

TailableCursor::TailableCursor(ServerState& server, std::string db, std::string coll,
                               const Document& filter, bool await_data)
    : server_(server),
      db_(std::move(db)),
      coll_(std::move(coll)),
      matcher_(filter),
      await_data_(await_data) {}

int64_t TailableCursor::read_new(int64_t batch_size, bson_t* batch) {
    CollectionLock lock(server_.catalog(), db_, coll_, CollectionLock::Mode::Read);
    const Collection* coll = lock.collection();
    if (!coll || coll->is_view()) return -1;
    const auto& records = coll->records();
    if (last_seen_ != 0 && !records.count(last_seen_) &&
        (records.empty() || records.begin()->first > last_seen_ + 1)) {
        throw MongoError(code::CappedPositionLost,
                         "CollectionScan died due to position in capped collection being "
                         "deleted. Last seen record id: RecordId(" +
                             std::to_string(last_seen_) + ")");
    }
    uint32_t index = bson_count_keys(batch);
    size_t bytes = 0;
    int64_t count = 0;
    for (auto it = records.upper_bound(last_seen_);
         it != records.end() && (batch_size <= 0 || count < batch_size); ++it) {
        const StoredDoc& doc = it->second.doc;
        if (count > 0 && bytes + doc->size() > kMaxBatchBytes) break;
        last_seen_ = it->first;
        if (!matcher_.matches(
                Document::from_bytes(reinterpret_cast<const uint8_t*>(doc->data()), doc->size()))) {
            continue;
        }
        bson_t view = view_of(doc);
        append_indexed(batch, index++, &view);
        bytes += doc->size();
        ++count;
    }
    return count;
}

bool TailableCursor::next_batch(int64_t batch_size, int64_t await_ms, bson_t* batch) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(await_ms);
    while (true) {
        ClusterTime seen = server_.oplog().now();
        int64_t count = read_new(batch_size, batch);
        if (count < 0) return true;
        if (count > 0 || !await_data_ || std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        server_.oplog().wait_for_newer(seen, deadline);
    }
}

void CursorManager::reply_first_batch(std::unique_ptr<Cursor> cursor, const std::string& ns,
                                      int64_t batch_size, bool single_batch, const bson_t* command,
                                      bson_t* reply) {
    bool empty_first_batch = requested_batch_size(command) == 0;
    auto open = std::make_shared<OpenCursor>();
    open->cursor = std::move(cursor);
    open->ns = ns;
    open->lsid_bytes = lsid_of(command);
    auto id_for = [&](bool exhausted) -> int64_t {
        if (exhausted || single_batch) return 0;
        std::lock_guard lock(mutex_);
        int64_t id;
        do {
            id_state_ = id_state_ == 0 ? std::random_device{}() | 1 : id_state_;
            id_state_ = id_state_ * 6364136223846793005ULL + 1442695040888963407ULL;
            id = static_cast<int64_t>(id_state_ >> 1);
        } while (id == 0 || open_.count(id));
        open_[id] = open;
        return id;
    };
    append_cursor_reply(*open->cursor, "firstBatch", batch_size, 0, empty_first_batch, ns, id_for,
                        reply);
}

std::shared_ptr<OpenCursor> CursorManager::find(int64_t id) {
    std::lock_guard lock(mutex_);
    auto it = open_.find(id);
    return it == open_.end() ? nullptr : it->second;
}

bool CursorManager::kill(int64_t id) {
    std::lock_guard lock(mutex_);
    return open_.erase(id) > 0;
}

void CursorManager::kill_session(const std::string& lsid_bytes) {
    std::lock_guard lock(mutex_);
    std::erase_if(open_, [&](const auto& entry) { return entry.second->lsid_bytes == lsid_bytes; });
}

size_t CursorManager::open_count() {
    std::lock_guard lock(mutex_);
    return open_.size();
}

void register_cursor_commands(CommandRegistry& registry) {
    registry.add("getMore", get_more);
    registry.add("killCursors", kill_cursors);
}

}  // namespace tmd
