// Cursors: what find, aggregate, listCollections, listIndexes and change streams leave behind for
// getMore. A Cursor produces batches; the CursorManager owns open cursors by id.
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/matcher.h"
#include "engine/value.h"

namespace tmd {

// mongod caps a reply batch at 16 MiB of documents.
constexpr size_t kMaxBatchBytes = 16 * 1024 * 1024;

class Cursor {
  public:
    virtual ~Cursor() = default;
    // Appends the next batch to `batch` (the firstBatch/nextBatch array being built): at most
    // batch_size documents (0 means no count limit) and at most kMaxBatchBytes of documents, but
    // always at least one document if one is available. A tailable-await cursor waits up to
    // await_ms for data when it has none. Returns true when the cursor is exhausted.
    virtual bool next_batch(int64_t batch_size, int64_t await_ms, bson_t* batch) = 0;
    // Fields appended to the reply's cursor document after the batch (e.g. postBatchResumeToken).
    virtual void append_cursor_fields(bson_t* /*cursor*/) {}
    // Tailable-await cursors accept getMore's maxTimeMS (default 1000 ms of waiting).
    virtual bool await_data() const { return false; }
    // Change-stream cursors: their resumable getMore errors carry ResumableChangeStreamError.
    virtual bool is_change_stream() const { return false; }
};

// A cursor over documents materialised when the command ran (find, aggregate, list commands).
class StoredDocsCursor : public Cursor {
  public:
    explicit StoredDocsCursor(std::vector<StoredDoc> docs) : docs_(std::move(docs)) {}
    bool next_batch(int64_t batch_size, int64_t await_ms, bson_t* batch) override;

  private:
    std::vector<StoredDoc> docs_;
    size_t position_ = 0;
};

class ServerState;

// A tailable cursor on a capped collection (find with tailable, manual "Tailable Cursors"): it
// returns the documents after the last one it returned, in insertion order, and stays open when
// it runs out; with awaitData a getMore waits up to its maxTimeMS for new inserts. When the
// capped collection dropped the next document it would have read, it fails with 136
// CappedPositionLost, as mongod's collection scan; a dropped collection ends it.
class TailableCursor : public Cursor {
  public:
    TailableCursor(ServerState& server, std::string db, std::string coll, const Document& filter,
                   bool await_data);
    bool next_batch(int64_t batch_size, int64_t await_ms, bson_t* batch) override;
    bool await_data() const override { return await_data_; }

  private:
    // Appends the documents after last_seen_; returns how many, or -1 when the collection is gone.
    int64_t read_new(int64_t batch_size, bson_t* batch);

    ServerState& server_;
    std::string db_;
    std::string coll_;
    Matcher matcher_;
    bool await_data_;
    uint64_t last_seen_ = 0;  // record id of the last document returned (0: none yet)
};

struct OpenCursor {
    std::unique_ptr<Cursor> cursor;
    std::string ns;          // "db.coll", as returned in the reply
    std::string lsid_bytes;  // the BSON of the session id the cursor was opened under, if any
    std::mutex in_use;       // getMore calls on one cursor are serialised
};

class CursorManager {
  public:
    // Appends {cursor: {firstBatch: [...], <cursor fields>, id, ns}} to reply (mongod's
    // CursorResponseBuilder order). Keeps the cursor open for getMore unless it is exhausted or
    // single_batch is set. batch_size 0 means no count limit, except that an explicit batchSize: 0
    // in `command` (find's batchSize, aggregate's cursor.batchSize) gives an empty first batch
    // and an open cursor, as mongod does. The cursor remembers the command's lsid.
    void reply_first_batch(std::unique_ptr<Cursor> cursor, const std::string& ns,
                           int64_t batch_size, bool single_batch, const bson_t* command,
                           bson_t* reply);
    // The open cursor with this id, or nullptr.
    std::shared_ptr<OpenCursor> find(int64_t id);
    // Removes a cursor; returns whether it existed.
    bool kill(int64_t id);
    // Kills the cursors opened under a session (killSessions). lsid_bytes: the BSON of its lsid.
    void kill_session(const std::string& lsid_bytes);
    size_t open_count();

  private:
    std::mutex mutex_;
    std::unordered_map<int64_t, std::shared_ptr<OpenCursor>> open_;
    uint64_t id_state_ = 0;  // mongod's cursor ids are random positive int64s
};

}  // namespace tmd
