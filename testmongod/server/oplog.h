// The oplog: testmongod's ordered, bounded history of every change, one entry per affected
// document or catalog change, stamped with its cluster time in commit order. Change streams read
// it; writers append to it while holding the lock that makes their change visible (their
// collection's exclusive lock, catalog.h "Locking"), so writers to different collections append
// concurrently.
//
// Visibility: mongod reserves an oplog timestamp before its write commits, so its oplog can have
// holes, and readers see entries only up to the point where every earlier timestamp has committed
// (the oplog's read timestamp). Here append() assigns the next time and stores the entry in one
// step under the oplog's mutex, so there are no reserved, uncommitted times: once an entry is
// readable, every entry with an earlier time is readable too, and readers never see a later time
// before an earlier one.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/value.h"

namespace tmd {

// A cluster time: seconds and an increment, ordered like a BSON Timestamp.
struct ClusterTime {
    uint32_t t = 0;
    uint32_t i = 0;
    uint64_t packed() const { return (uint64_t(t) << 32) | i; }
    friend auto operator<=>(ClusterTime a, ClusterTime b) { return a.packed() <=> b.packed(); }
    friend bool operator==(ClusterTime a, ClusterTime b) { return a.packed() == b.packed(); }
};

using CollectionUuid = std::array<uint8_t, 16>;

enum class ChangeKind {
    Insert,
    Update,
    Replace,
    Delete,
    Create,
    Drop,
    Rename,
    DropDatabase,
    CreateIndexes,
    DropIndexes,
    Modify,
};

struct OplogEntry {
    ClusterTime time;          // assigned by Oplog::append
    int64_t wall_time_ms = 0;  // assigned by Oplog::append
    ChangeKind kind = ChangeKind::Insert;
    std::string db;
    std::string coll;  // empty for DropDatabase
    std::optional<CollectionUuid> uuid;
    // Document changes: the document key ({_id: ...}), and the images: post for insert, pre and
    // post for update/replace, pre for delete.
    StoredDoc document_key;
    StoredDoc pre_image;
    StoredDoc post_image;
    // Update: the $v:2 delta the oplog entry carries (its "diff" document, see update_delta.h).
    StoredDoc delta;
    // Catalog changes: what the event reports. Rename: {to: {db, coll}, dropTarget?}; Create:
    // {collectionOptions}; CreateIndexes/DropIndexes: {indexes: [specs]}; Modify: {collMod args}.
    StoredDoc details;
    // A committed transaction's entries: its lsid document, txnNumber and the entry's position
    // among the transaction's operations (mongod's txnOpIndex in resume tokens). lsid is null
    // for every other entry.
    StoredDoc lsid;
    int64_t txn_number = 0;
    uint32_t txn_op_index = 0;
    size_t approximate_bytes() const;
};

class Oplog {
  public:
    // History starts when the server does: reading from before that reports history lost, as
    // mongod does for a point older than its oplog's first entry.
    explicit Oplog(size_t max_bytes);

    // Called with each stamped entry before it is stored, under the oplog's mutex: --dbpath
    // journals it there, so the journal holds the entries in cluster-time order.
    using Persist = std::function<void(const OplogEntry&)>;

    // Stamps the entry with the next cluster time and the wall clock, persists and stores it,
    // wakes waiters, and returns its time. Drops the oldest entries beyond max_bytes.
    ClusterTime append(OplogEntry entry, const Persist& persist = {});
    // Appends a committed transaction's entries, all stamped with one cluster time.
    ClusterTime append_transaction(std::vector<OplogEntry> entries, const Persist& persist = {});
    // Advances and returns the cluster time without an entry (reads, no-op writes).
    ClusterTime now() const;

    // Entries with time > after, at most `limit`. `history_lost` is set when entries after
    // `after` were already dropped (the caller replies ChangeStreamHistoryLost).
    std::vector<OplogEntry> read_after(ClusterTime after, size_t limit, bool* history_lost) const;
    // Waits until an entry newer than `after` exists or the deadline passes.
    void wait_for_newer(ClusterTime after, std::chrono::steady_clock::time_point deadline) const;
    // The oldest time still held (entries from then on can be read).
    std::optional<ClusterTime> oldest() const;

    // --dbpath (persistence.cpp). The history a restarted server kept: where it starts
    // (restore_dropped_up_to, from the saved dropped_up_to()) and its entries in time order
    // (restore, times kept). Later appends get later times, so a time is never reused.
    ClusterTime dropped_up_to() const;
    void restore_dropped_up_to(ClusterTime time);
    void restore(OplogEntry entry);
    // Every entry held, oldest first (the caller keeps appenders out).
    void for_each(const std::function<void(const OplogEntry&)>& visit) const;

  private:
    ClusterTime next_time();
    void store(OplogEntry entry);  // caller holds mutex_

    size_t max_bytes_;
    size_t bytes_ = 0;
    std::deque<OplogEntry> entries_;
    ClusterTime last_{};
    ClusterTime dropped_up_to_{};  // newest time of an entry that was dropped (or of server start)
    mutable std::mutex mutex_;
    mutable std::condition_variable grown_;
};

}  // namespace tmd
