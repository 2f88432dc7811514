// Lane routing by (namespace, _id) hash and the bookkeeping of partially applied ordered groups.
// Only per-document order matters for convergence: writes to different documents commute.
#include "replicate/routing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>

#include "bson/document.h"

namespace tributary::replicate {

namespace {

// A number's key: the _id index compares numbers by value across types (1, NumberLong(1), 1.0
// and NumberDecimal("1") are one _id, so are 0.0 and -0.0), so every spelling of one value must
// give one key. Distinct values may share a key (a long beyond 2^53): that only orders their
// writes together.
std::string number_key(const bson_iter_t& id) {
    double value = 0;
    if (BSON_ITER_HOLDS_DECIMAL128(&id)) {
        bson_decimal128_t decimal;
        bson_iter_decimal128(&id, &decimal);
        char text[BSON_DECIMAL128_STRING];
        bson_decimal128_to_string(&decimal, text);
        value = std::strtod(text, nullptr);
    } else {
        value = bson_iter_as_double(&id);
    }
    if (std::isnan(value)) return "n:nan";
    if (value == 0) value = 0;  // -0.0 is 0.0
    char text[32];
    std::snprintf(text, sizeof text, "n:%.17g", value);
    return text;
}

enum class KeyUse { kLane, kOrder };

// The key of the document an `{_id: ...}` filter names. Two filters of one document always get
// one key; two documents may share one, which only keeps their writes in event order with each
// other. Numbers are keyed by value; for ordering (kOrder), also every string (a collection's
// collation may equate strings of different bytes) and every embedded document or array (whose
// numbers compare by value too) share one key per kind. Lanes (kLane) key those by their bytes,
// so that different documents still spread over the lanes.
std::string document_key(const bson_t* id_filter, KeyUse use) {
    bson_iter_t id;
    if (!bson_iter_init_find(&id, id_filter, "_id")) return std::string(bson::bytes(id_filter));
    switch (bson_iter_type(&id)) {
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
        case BSON_TYPE_DOUBLE:
        case BSON_TYPE_DECIMAL128:
            return number_key(id);
        case BSON_TYPE_UTF8:
        case BSON_TYPE_SYMBOL:
            if (use == KeyUse::kOrder) return "s";
            break;
        case BSON_TYPE_DOCUMENT:
        case BSON_TYPE_ARRAY:
            if (use == KeyUse::kOrder) return "d";
            break;
        default:
            break;
    }
    return std::string(bson::bytes(id_filter));
}

}  // namespace

size_t lane_of(const Namespace& ns, const bson_t* id_filter, size_t lanes) {
    std::string key = ns.full();
    if (id_filter) {
        key.push_back('\0');
        key.append(document_key(id_filter, KeyUse::kLane));
    }
    return std::hash<std::string>{}(key) % std::max<size_t>(lanes, 1);
}

namespace {

// The command a write goes out in: libmongoc sends an ordered bulk as one command per run of
// writes of one command (insert, update, delete), so a mixed batch in event order went out as
// about one command per write.
int command_of(WriteKind kind) {
    switch (kind) {
        case WriteKind::kInsert:
            return 0;
        case WriteKind::kReplace:
        case WriteKind::kUpdate:
            return 1;
        case WriteKind::kDelete:
            return 2;
    }
    return 1;
}

// Orders a group's writes by (round, command), where a document's n-th write of the group (by
// document_key) is in round n: one command per kind and round. Writes of different documents
// commute (a conflict of theirs on a unique index stops the ordered bulk and goes to the conflict
// resolver in event order), and each document's writes keep their order, so the writes an ordered
// bulk applied before it stopped are, for every document, a prefix of its writes.
void group_by_command(WriteGroup& group) {
    std::map<std::string, size_t> writes_of_document;
    std::vector<std::pair<size_t, int>> place;
    place.reserve(group.writes.size());
    for (const QueuedWrite* write : group.writes) {
        const size_t round =
            writes_of_document[document_key(write->op.filter.view(), KeyUse::kOrder)]++;
        place.emplace_back(round, command_of(write->op.kind));
    }
    std::vector<size_t> order(group.writes.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return place[a] < place[b]; });
    std::vector<const QueuedWrite*> writes;
    writes.reserve(order.size());
    for (size_t i : order)
        writes.push_back(group.writes[i]);
    group.writes = std::move(writes);
}

}  // namespace

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
        for (auto& [ns, group] : by_namespace[lane]) {
            if (!group.writes.front()->in_namespace_order) group_by_command(group);
            routed[lane].push_back(std::move(group));
        }
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
