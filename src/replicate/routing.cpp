// Lane routing by (namespace, _id) hash and the bookkeeping of partially applied ordered groups.
// Only per-document order matters for convergence: writes to different documents commute.
#include "replicate/routing.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string>

#include "bson/document.h"

namespace tributary::replicate {

size_t lane_of(const Namespace& ns, const bson_t* id_filter, size_t lanes) {
    std::string key = ns.full();
    if (id_filter) {
        key.push_back('\0');
        key.append(bson::bytes(id_filter));
    }
    return std::hash<std::string>{}(key) % std::max<size_t>(lanes, 1);
}

std::vector<std::vector<WriteGroup>> route(const std::vector<QueuedWrite>& batch, size_t lanes) {
    lanes = std::max<size_t>(lanes, 1);
    std::vector<std::map<Namespace, WriteGroup>> by_namespace(lanes);
    for (const auto& write : batch) {
        const bson_t* id = write.in_namespace_order ? nullptr : write.op.filter.view();
        auto& group = by_namespace[lane_of(write.ns, id, lanes)][write.ns];
        group.ns = write.ns;
        group.writes.push_back(&write);
    }
    std::vector<std::vector<WriteGroup>> routed(lanes);
    for (size_t lane = 0; lane < lanes; ++lane) {
        for (auto& [ns, group] : by_namespace[lane])
            routed[lane].push_back(std::move(group));
    }
    return routed;
}

std::vector<const QueuedWrite*> unapplied_in_event_order(const std::vector<WriteGroup>& groups,
                                                         const std::vector<size_t>& failed_at) {
    std::vector<const QueuedWrite*> unapplied;
    for (size_t g = 0; g < groups.size(); ++g) {
        const auto& writes = groups[g].writes;
        unapplied.insert(unapplied.end(), writes.begin() + std::min(failed_at[g], writes.size()),
                         writes.end());
    }
    std::sort(unapplied.begin(), unapplied.end(),
              [](const QueuedWrite* a, const QueuedWrite* b) { return a->sequence < b->sequence; });
    return unapplied;
}

}  // namespace tributary::replicate
