// Batch application: one persistent thread per lane (LaneWorkers), ordered bulk writes per (lane,
// namespace). Ordered bulks keep each document's writes in event order and stop at the first
// failure, so exactly the writes from that point on are handed to the conflict resolver.
#include "replicate/applier.h"

#include <spdlog/spdlog.h>

#include "mongo/collection.h"
#include "mongo/error.h"
#include "replicate/conflict_resolver.h"

namespace tributary::replicate {
namespace {

// Update errors that mean "the destination holds another state of this document than the one
// this event was made for": the copy read a later version, or the batch is replayed after a
// crash before its checkpoint. Such a document is resolved from the source (its current state,
// or a delete when it is gone), which is always correct, so a code is included whenever a
// document's contents can cause it; a wrong inclusion costs one source lookup, a wrong
// exclusion stops replication. tributary's updates are $set/$unset of the event's paths and
// {$push: {$each: [], $slice}} for truncated arrays:
//  28 PathNotViable: $set "a.b" where a is now a scalar or an array (mongod: pathsupport::
//     createPathAt in src/mongo/db/update/path_support.cpp, raised in modifier_node.cpp, where
//     oplog application itself ignores it for idempotency);
//   2 BadValue: $push onto a field that is not an array (push_node.cpp, "The field 'a' must be
//     an array but is of type int"; for updates only: replaces and deletes never get it here);
//  14 TypeMismatch: an operator meeting a field of another type (arithmetic_node.cpp,
//     pop_node.cpp): unreachable by today's updates, state-caused wherever it occurs;
//  10334 BSONObjectTooLarge, 17419 before it: an old $set on a later, larger document exceeds
//     16 MB (src/mongo/db/exec/update_stage.cpp).
// Left out: 16837 (these paths became PathNotViable in 3.6, older than any supported server),
// 40 ConflictingUpdateOperators (depends on the update alone: a translation bug must stop),
// 121 DocumentValidationFailure (writes bypass validation), 66 ImmutableField (no update sets
// _id).
bool is_stale_state(uint32_t code, const WriteOp& op) {
    if (op.kind != WriteKind::kUpdate) return false;
    switch (code) {
        case mongo::codes::kPathNotViable:
        case mongo::codes::kTypeMismatch:
        case mongo::codes::kBadValue:
        case mongo::codes::kBSONObjectTooLarge:
        case mongo::codes::kUpdatedDocumentTooLarge:
            return true;
        default:
            return false;
    }
}

WriteOutcome outcome_of(const mongo::WriteError& error, const WriteOp& op, const Namespace& ns) {
    if (error.code == mongo::codes::kDuplicateKey) return WriteOutcome::kDuplicateKey;
    if (is_stale_state(error.code, op)) return WriteOutcome::kStaleState;
    throw mongo::Error(MONGOC_ERROR_SERVER, error.code,
                       "write to '" + ns.full() + "' failed: " + error.message);
}

// Index of the first write not applied, from `start` whose writes `result` reports: the failing
// one on a duplicate key or a stale state, which the caller repairs. Any other write error stops
// replication.
size_t first_unapplied(const mongo::BulkResult& result, const WriteGroup& group, size_t start) {
    if (result.ok()) return group.writes.size();
    const mongo::WriteError& error = result.errors.front();
    const size_t index = start + error.index;
    outcome_of(error, group.writes.at(index)->op, group.ns);
    return index;
}

// The group's writes from `start` as one ordered bulk; returns where it stopped.
size_t apply_bulk_from(mongoc_client_t* client, const WriteGroup& group, size_t start) {
    mongo::Collection collection(client, group.ns.db, group.ns.coll);
    mongo::BulkWrite bulk(collection, true);
    for (size_t index = start; index < group.writes.size(); ++index) {
        add_write(bulk, group.writes[index]->op);
    }
    return first_unapplied(bulk.execute(), group, start);
}

// batch[begin, end), writes to one namespace, as one ordered bulk in `session`; false on a write
// error.
bool apply_in_session(mongoc_client_t* client, mongo::Session& session,
                      const std::vector<QueuedWrite>& batch, size_t begin, size_t end) {
    const Namespace& ns = batch[begin].ns;
    mongo::Collection collection(client, ns.db, ns.coll);
    mongo::BulkWrite bulk(collection, true);
    bulk.bind(session);
    for (size_t index = begin; index < end; ++index) {
        const WriteOp& op = batch[index].op;
        if (op.kind == WriteKind::kInsert) {
            add_write(bulk, replace_with_document(op.body.view()));
        } else {
            add_write(bulk, op);
        }
    }
    return bulk.execute().ok();
}

// An insert whose _id exists already (replayed after a crash, or of a document the copy read)
// becomes a replace with upsert; a duplicate key of another unique index stays one.
WriteOutcome apply_as_replacement(mongoc_client_t* destination, const Namespace& ns,
                                  const WriteOp& insert) {
    return apply_single(destination, ns, replace_with_document(insert.body.view()));
}

}  // namespace

void add_write(mongo::BulkWrite& bulk, const WriteOp& op) {
    switch (op.kind) {
        case WriteKind::kInsert:
            bulk.insert(op.body.view());
            break;
        case WriteKind::kReplace:
            bulk.replace_one(op.filter.view(), op.body.view(), op.upsert);
            break;
        case WriteKind::kUpdate:
            bulk.update_one(op.filter.view(), op.body.view(), op.upsert);
            break;
        case WriteKind::kDelete:
            bulk.delete_one(op.filter.view());
            break;
    }
}

WriteOutcome apply_single(mongoc_client_t* destination, const Namespace& ns, const WriteOp& op) {
    mongo::Collection collection(destination, ns.db, ns.coll);
    mongo::BulkWrite bulk(collection, true);
    add_write(bulk, op);
    mongo::BulkResult result = bulk.execute();
    if (result.ok()) return WriteOutcome::kApplied;
    const WriteOutcome outcome = outcome_of(result.errors.front(), op, ns);
    if (op.kind == WriteKind::kInsert && outcome == WriteOutcome::kDuplicateKey) {
        return apply_as_replacement(destination, ns, op);
    }
    return outcome;
}

Applier::Applier(mongo::ClientPool& source, mongo::ClientPool& destination, size_t lanes,
                 Namespace intents, SourceLookup& lookup)
    : source_(source),
      destination_(destination),
      lanes_(lanes == 0 ? 1 : lanes),
      intents_(std::move(intents)),
      lookup_(lookup),
      workers_(lanes_) {}

std::vector<size_t> Applier::apply_lane(const std::vector<WriteGroup>& groups) {
    mongo::ClientLease client = destination_.lease();
    std::vector<size_t> stopped_at;
    for (const auto& group : groups) {
        size_t next = apply_bulk_from(client.get(), group, 0);
        // A bulk stopped by an insert of an existing _id goes on after its replacement.
        while (next < group.writes.size() && group.writes[next]->op.kind == WriteKind::kInsert &&
               apply_as_replacement(client.get(), group.ns, group.writes[next]->op) ==
                   WriteOutcome::kApplied) {
            next = apply_bulk_from(client.get(), group, next + 1);
        }
        stopped_at.push_back(next);
    }
    return stopped_at;
}

void Applier::restore_recorded() {
    if (!restore_recorded_) return;
    mongo::ClientLease source = source_.lease();
    mongo::ClientLease destination = destination_.lease();
    ConflictResolver(source.get(), destination.get(), intents_, lookup_).restore_recorded();
    restore_recorded_ = false;
}

bool Applier::apply_transaction(const std::vector<QueuedWrite>& batch) {
    restore_recorded();
    if (batch.empty()) return true;
    mongo::ClientLease client = destination_.lease();
    return mongo::run_transaction(client.get(), [&](mongo::Session& session) {
        for (size_t begin = 0, end = 0; begin < batch.size(); begin = end) {
            while (end < batch.size() && batch[end].ns == batch[begin].ns)
                ++end;
            if (!apply_in_session(client.get(), session, batch, begin, end)) return false;
        }
        return true;
    });
}

void Applier::apply(const std::vector<QueuedWrite>& batch) {
    restore_recorded();
    if (batch.empty()) return;
    std::vector<std::vector<WriteGroup>> lanes = route(batch, lanes_);
    std::vector<std::vector<size_t>> stopped_at(lanes.size());
    workers_.run([&](size_t lane) {
        if (!lanes[lane].empty()) stopped_at[lane] = apply_lane(lanes[lane]);
    });
    std::vector<WriteGroup> groups;
    std::vector<size_t> stops;
    for (size_t lane = 0; lane < lanes.size(); ++lane) {
        for (size_t g = 0; g < lanes[lane].size(); ++g) {
            groups.push_back(std::move(lanes[lane][g]));
            stops.push_back(stopped_at[lane][g]);
        }
    }
    std::vector<const QueuedWrite*> leftovers = unapplied_in_event_order(groups, stops);
    if (leftovers.empty()) return;
    spdlog::debug("{} write(s) stopped by a conflict between lanes; applying them in event order",
                  leftovers.size());
    mongo::ClientLease source = source_.lease();
    mongo::ClientLease destination = destination_.lease();
    restore_recorded_ = true;
    ConflictResolver(source.get(), destination.get(), intents_, lookup_).apply_in_order(leftovers);
    restore_recorded_ = false;
}

}  // namespace tributary::replicate
