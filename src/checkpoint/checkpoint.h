// The sync checkpoint: where the change stream starts, how far each collection's copy got, and
// the replication resume token. One State, persisted by a Store (destination or file) a change
// at a time: the run's own fields, and each collection's copy state apart.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bson/document.h"
#include "mongo/client.h"

namespace tributary::checkpoint {

// kCreating: recorded before the collection is created on the destination (write-ahead), so a
// crash after the create leaves a collection the restart knows as tributary's own. kStale: the
// destination holds tributary's copy of a namespace whose source content must be copied again
// (history lost, --reset-state): recopied if the source has it, dropped otherwise.
enum class CopyPhase { kNotStarted, kInProgress, kComplete, kCreating, kStale };
const char* to_string(CopyPhase phase);

// One collection's copy progress. Its _id split points are fixed when its copy begins and stored,
// so a restart redoes exactly the ranges not yet done (a new sample would cut different ranges).
struct CollectionCopy {
    CopyPhase phase = CopyPhase::kNotStarted;
    // The incarnation copied (listCollections info.uuid, 16 bytes; empty for views) and the
    // source's operation time read right after the listing that found it under this name: the
    // copy reads everything written before that time, so no event older than it may touch the
    // destination's namespace (it concerns an older incarnation, or is already in the copy).
    std::string uuid;
    bson::Timestamp listed_at;
    bson::Document split_points;  // BSON array of _id values; n points cut n + 1 ranges
    std::vector<bool> ranges_done;
    int64_t documents_copied = 0;
    // The State's copy_generation when this copy was intended: a copy of an older generation is
    // stale, whatever its phase says (begin_recopy marks every copy stale in one small write).
    int64_t generation = 0;
    size_t ranges_remaining() const;
    CollectionCopy copy() const;
    // Known to tributary but its ranges are not fixed yet.
    bool starting() const {
        return phase == CopyPhase::kNotStarted || phase == CopyPhase::kCreating;
    }
};

// Where replication starts: captured on the source BEFORE the copy begins.
struct StartPoint {
    bson::Document resume_token;     // postBatchResumeToken of the opening change stream (or {})
    bson::Timestamp operation_time;  // the source's cluster time just before it was opened
    // resume_token is an invalidate event's: a stream can only continue past it with
    // startAfter (resumeAfter an invalidate is refused).
    bool start_after = false;
};

// The change stream followed during the copy (docs/replication.md, "Following the change stream
// during the copy"): the reader's position and how much of the spool it wrote and replication
// applied. Active while `token` is set: from the reader's first save until the spool is applied.
struct SpoolState {
    bson::Document token;      // the reader's resume point (last spooled event or high-water mark)
    bool start_after = false;  // token is an invalidate's
    int64_t appended = 0;      // events spooled, numbered 0..appended-1
    int64_t bytes = 0;         // their size
    int64_t applied = 0;       // events of the spool replication has applied (and checkpointed)
    bool active() const { return !token.empty(); }
    SpoolState copy() const { return {token.copy(), start_after, appended, bytes, applied}; }
};

// What the run was started with; a resume with a different identity is refused.
struct Identity {
    std::string source;       // hosts of the source deployment (never credentials)
    std::string destination;  // hosts of the destination deployment
    std::vector<std::string> databases;
    std::vector<std::string> include;
    std::vector<std::string> exclude;
    bool operator==(const Identity&) const = default;
    std::string describe() const;
};

struct State {
    std::string run_id;
    Identity identity;
    StartPoint start;
    std::map<std::string, CollectionCopy> collections;  // by namespace "db.coll"
    bool copy_complete = false;
    bson::Document resume_token;      // replication position: token of the last applied batch
    bool resume_start_after = false;  // resume_token is an invalidate's (StartPoint::start_after)
    bson::Timestamp applied_cluster_time;
    // Source time from which the destination's non-unique copies of unique indexes can be made
    // unique (catalog/neutralized_indexes.h), once replication has applied it; null: none due.
    bson::Timestamp unique_conversion_at;
    bool finalized = false;  // `tributary finalize` restored the indexes; sync refuses to resume
    // The source incarnation (uuid bytes, "" when unknown) each namespace names at the
    // replication position, where replication changed it since the copy (renames, drops, new
    // collections); namespaces absent here name their copy's incarnation.
    std::map<std::string, std::string> incarnations;
    int64_t copy_generation = 0;  // raised by every recopy (CollectionCopy::generation)
    SpoolState spool;

    // Where replication continues: after the last applied batch, else at the start point.
    StartPoint replication_start() const;
    // The whole State as one document: the run's fields and a `collections` array.
    bson::Document to_bson() const;
    // The run's fields alone ({_id: "sync", version, ...}, no collections).
    bson::Document run_to_bson() const;
    // One collection's entry ({ns, phase, uuid, ...}).
    static bson::Document collection_to_bson(const std::string& ns, const CollectionCopy& copy);
    // Reads a document of either shape (with or without a `collections` array) and of format
    // version 1 or 2. Throws std::runtime_error when it is not a tributary checkpoint, naming
    // the version when it is of a newer one.
    static State from_bson(const bson_t* doc);
    // The format version of a checkpoint document (0 when it has none).
    static int32_t version_of(const bson_t* doc);
    // Adds one collection entry (collection_to_bson) read back; stale when of an older
    // generation than this State's.
    void add_collection(const bson_t* entry);
};

// What a Store::save writes: the run's own fields, and the namespaces whose copy state changed
// (written as the State has them, removed when it no longer has them).
struct Changes {
    bool run = false;
    std::set<std::string> collections;
    bool empty() const { return !run && collections.empty(); }
    void add(const Changes& other);
    // Every part of `state` (a new checkpoint, or one read in an older layout).
    static Changes everything(const State& state);
};

// A process running a sync on a checkpoint.
struct LeaseHolder {
    std::string host;
    int64_t pid = 0;
    std::string since;  // UTC, ISO 8601
    bool operator==(const LeaseHolder&) const = default;
    std::string describe() const;
};

// A state file that holds no readable tributary checkpoint (not JSON, another program's, or
// of a newer format); what() names the file.
class StateFileError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Persistence of one State. save() is durable when it returns.
class Store {
  public:
    virtual ~Store() = default;
    // Takes (or renews) the lease for `me` until `duration` from now; when another holder's
    // lease has not expired, leaves it and returns that holder.
    virtual std::optional<LeaseHolder> take_lease(const LeaseHolder& me,
                                                  std::chrono::seconds duration) = 0;
    virtual void release_lease(const LeaseHolder& me) = 0;
    virtual std::optional<State> load() = 0;
    // Writes the `changes` parts of `state`; durable when it returns. A store may write more.
    virtual void save(const State& state, const Changes& changes) = 0;
    virtual void clear() = 0;
    // "file /path" or "mongodb://host/__tributary.checkpoints", for messages.
    virtual std::string describe() const = 0;
    // The cutover request beside the state (`tributary finalize` writes it, the running sync
    // answers in it): kept apart from the State, which the sync rewrites at every save.
    virtual std::optional<bson::Document> load_request() = 0;
    virtual void save_request(const bson_t* request) = 0;
};

// A local file written atomically (temporary file, fsync, rename), whole at every save.
std::unique_ptr<Store> open_file_store(const std::string& path);
// Collection `checkpoints` of database `state_db` on the destination (majority write concern):
// the run's fields in one document, each collection's copy state in its own, so a save writes
// only what changed.
std::unique_ptr<Store> open_destination_store(mongo::ClientPool& destination,
                                              const std::string& state_db);

inline constexpr const char* kCheckpointCollection = "checkpoints";

// A collection whose copy is about to start (Checkpoint::intend_collections).
struct Intent {
    std::string ns;
    std::string uuid;
    bson::Timestamp listed_at;
};

// Copy progress (a collection's ranges fixed, a range done, a collection complete or forgotten)
// is saved at most once per kProgressInterval: losing it to a crash only makes the restart copy
// again what it would have marked, which the copy does idempotently.
inline constexpr std::chrono::milliseconds kProgressInterval{1000};

// Thread-safe owner of the current State: copy workers and the replicator update it through
// these calls. Every update is persisted before the call returns, except copy progress, which
// is persisted within kProgressInterval (by the call itself when the last save is older, else
// by a background flush) and with any other update.
class Checkpoint {
  public:
    Checkpoint(std::unique_ptr<Store> store, State state);
    ~Checkpoint();
    Checkpoint(const Checkpoint&) = delete;
    Checkpoint& operator=(const Checkpoint&) = delete;

    State snapshot() const;
    // One collection's progress; a default (kNotStarted) one when unknown.
    CollectionCopy collection(const std::string& ns) const;
    bool knows(const std::string& ns) const;
    std::string describe_store() const { return store_->describe(); }

    void set_start_point(StartPoint start);
    // Write-ahead, in one save: records that the copy of each intent's incarnation under its
    // namespace starts (phase kCreating), replacing what was known of it, before the collections
    // are created.
    void intend_collections(const std::vector<Intent>& intents);
    // Copy progress (saved within kProgressInterval). Records the ranges of a collection whose
    // copy begins; keeps existing progress if known.
    void begin_collection(const std::string& ns, bson::Document split_points);
    void mark_range_done(const std::string& ns, size_t range, int64_t documents);
    void mark_collection_complete(const std::string& ns);
    // Forgets a collection's copy state (its destination namespace is gone).
    void forget_collection(const std::string& ns);
    // Saves the progress not saved yet (before a clean stop); rethrows a failed background save.
    void flush();
    // Starts the copy over from `start` (history lost): every known collection becomes kStale,
    // the copy incomplete and the replication position is cleared, in one write.
    void begin_recopy(StartPoint start);
    // True when the destination's `ns` holds a copy listed at or after `time`: an event of that
    // time naming `ns` is older than the copy and must not be applied to it.
    bool copied_after(const std::string& ns, bson::Timestamp time) const;
    void mark_copy_complete();
    // The source incarnation (listCollections info.uuid) `ns` names after the events replication
    // has read: the one staged or recorded last, else the copy's; empty when unknown.
    std::string incarnation_of(const std::string& ns) const;
    // Stages the incarnation `ns` names after an event that replication read ("": unknown). It
    // is persisted with the next save_resume_token (the position it describes), in the same
    // write, so a restart replaying the event finds the incarnation as it was before it.
    void stage_incarnation(const std::string& ns, std::string uuid);
    // Forgets what was staged: the events since the last saved token are read again.
    void discard_staged_incarnations();
    // Called by the replicator after each applied batch; `start_after` when `token` is an
    // invalidate event's. `spool_applied`: the spool's events up to that number are applied (the
    // batch came from the spool), saved in the same write as the token.
    void save_resume_token(const bson_t* token, bson::Timestamp cluster_time, bool start_after,
                           std::optional<int64_t> spool_applied = std::nullopt);
    // The spool reader's position after a durable append of the spool's events up to `appended`.
    void save_spool_position(const bson_t* token, bool start_after, int64_t appended,
                             int64_t bytes);
    // The spool is applied: replication continues, in one write, from the reader's position,
    // or with `from_reader` false (the spool ends inside a transaction, none of whose events were
    // applied) from the last event applied, so that the live stream reads that transaction whole.
    void finish_spool(bool from_reader);
    // Unique conversions are due once replication has applied the source's time `at` (the
    // later of the scheduled times is kept); cleared when done for the time scheduled.
    void schedule_unique_conversion(bson::Timestamp at);
    void clear_unique_conversion(bson::Timestamp done_for);
    void mark_finalized();
    // The cutover request of the store (Store::load_request / save_request).
    std::optional<bson::Document> load_request();
    void save_request(const bson_t* request);

  private:
    // Saves `changes` and every pending one now.
    void persist_locked(const Changes& changes);
    // Copy progress: saved now when the last save is older than kProgressInterval, else left to
    // the background flush.
    void progress_locked(const std::string& ns);
    void flush_in_background();

    // The uuid the copy recorded for `ns` ("" when none); mutex_ held.
    std::string copy_uuid_locked(const std::string& ns) const;

    std::unique_ptr<Store> store_;
    mutable std::mutex mutex_;
    State state_;
    std::map<std::string, std::string> staged_incarnations_;
    Changes pending_;  // changed in state_, not saved yet
    std::chrono::steady_clock::time_point last_save_;
    std::exception_ptr background_failure_;  // a failed background save, rethrown by the next call
    std::condition_variable wake_;
    bool closing_ = false;
    std::thread flusher_;
};

// A new random run id (hex).
std::string new_run_id();

}  // namespace tributary::checkpoint
