// Batch application: one thread per lane, ordered bulk writes per (lane, namespace). Ordered
// bulks keep each document's writes in event order and stop at the first failure, so exactly
// the writes from that point on are handed to the conflict resolver.
#include "replicate/applier.h"

#include <exception>
#include <thread>

#include "mongo/collection.h"
#include "mongo/error.h"
#include "replicate/conflict_resolver.h"

namespace tributary::replicate {
namespace {

// Index of the first write not applied: the failing one on a duplicate key. Any other write
// error is not a transient catch-up state and stops replication.
size_t first_unapplied(const mongo::BulkResult& result, const Namespace& ns, size_t size) {
    if (result.ok()) return size;
    const mongo::WriteError& error = result.errors.front();
    if (error.code != mongo::codes::kDuplicateKey) {
        throw mongo::Error(MONGOC_ERROR_SERVER, error.code,
                           "write to '" + ns.full() + "' failed: " + error.message);
    }
    return error.index;
}

}  // namespace

void add_write(mongo::BulkWrite& bulk, const WriteOp& op) {
    switch (op.kind) {
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

bool apply_single(mongoc_client_t* destination, const Namespace& ns, const WriteOp& op) {
    mongo::Collection collection(destination, ns.db, ns.coll);
    mongo::BulkWrite bulk(collection, true);
    add_write(bulk, op);
    return first_unapplied(bulk.execute(), ns, 1) == 1;
}

Applier::Applier(mongo::ClientPool& source, mongo::ClientPool& destination, size_t lanes)
    : source_(source), destination_(destination), lanes_(lanes == 0 ? 1 : lanes) {}

std::vector<size_t> Applier::apply_lane(const std::vector<WriteGroup>& groups) {
    mongo::ClientLease client = destination_.lease();
    std::vector<size_t> stopped_at;
    for (const auto& group : groups) {
        mongo::Collection collection(client.get(), group.ns.db, group.ns.coll);
        mongo::BulkWrite bulk(collection, true);
        for (const auto* write : group.writes)
            add_write(bulk, write->op);
        stopped_at.push_back(first_unapplied(bulk.execute(), group.ns, group.writes.size()));
    }
    return stopped_at;
}

void Applier::apply(const std::vector<QueuedWrite>& batch) {
    if (batch.empty()) return;
    std::vector<std::vector<WriteGroup>> lanes = route(batch, lanes_);
    std::vector<std::vector<size_t>> stopped_at(lanes.size());
    std::vector<std::exception_ptr> failures(lanes.size());
    {
        std::vector<std::jthread> threads;
        for (size_t lane = 1; lane < lanes.size(); ++lane) {
            if (lanes[lane].empty()) continue;
            threads.emplace_back([&, lane] {
                try {
                    stopped_at[lane] = apply_lane(lanes[lane]);
                } catch (...) {
                    failures[lane] = std::current_exception();
                }
            });
        }
        try {
            stopped_at[0] = apply_lane(lanes[0]);
        } catch (...) {
            failures[0] = std::current_exception();
        }
    }
    for (const auto& failure : failures) {
        if (failure) std::rethrow_exception(failure);
    }
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
    mongo::ClientLease source = source_.lease();
    mongo::ClientLease destination = destination_.lease();
    ConflictResolver(source.get(), destination.get()).apply_in_order(leftovers);
}

}  // namespace tributary::replicate
