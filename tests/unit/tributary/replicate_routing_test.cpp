// Unit tests: routing writes to lanes keeps each document's writes together and in event order,
// and partially applied ordered groups yield exactly the unapplied writes, in event order.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "bson/document.h"
#include "replicate/routing.h"

namespace tributary::replicate {
namespace {

QueuedWrite write_for(uint64_t sequence, const std::string& coll, int id) {
    bson::Document doc = bson::Document::from_json(R"({"_id": )" + std::to_string(id) + "}");
    return QueuedWrite{sequence, Namespace{"db", coll}, replace_with_document(doc.view())};
}

int id_of(const QueuedWrite* write) {
    bson_iter_t iter;
    bson_iter_init_find(&iter, write->op.filter.view(), "_id");
    return bson_iter_int32(&iter);
}

TEST(ReplicateRouting, SameDocumentAlwaysGoesToSameLane) {
    bson::Document a = bson::Document::from_json(R"({"_id": 42})");
    bson::Document b = bson::Document::from_json(R"({"_id": 42})");
    EXPECT_EQ(lane_of(Namespace{"d", "c"}, a.view(), 8), lane_of(Namespace{"d", "c"}, b.view(), 8));
}

// The _id index compares numbers by value: every spelling of one _id goes to one lane, where
// its writes keep their order (on different lanes, running at once, they could be reordered).
TEST(ReplicateRouting, EverySpellingOfANumericIdGoesToOneLane) {
    const Namespace ns{"d", "c"};
    bson::Document one = bson::Document::from_json(R"({"_id": 1})");
    for (const char* same : {R"({"_id": {"$numberLong": "1"}})", R"({"_id": 1.0})",
                             R"({"_id": {"$numberDecimal": "1.0"}})"}) {
        bson::Document other = bson::Document::from_json(same);
        for (size_t lanes : {2, 3, 4, 8})
            EXPECT_EQ(lane_of(ns, one.view(), lanes), lane_of(ns, other.view(), lanes)) << same;
    }
    bson::Document zero = bson::Document::from_json(R"({"_id": 0.0})");
    bson::Document negative_zero = bson::Document::from_json(R"({"_id": -0.0})");
    EXPECT_EQ(lane_of(ns, zero.view(), 8), lane_of(ns, negative_zero.view(), 8));
}

TEST(ReplicateRouting, DocumentsSpreadOverLanes) {
    std::set<size_t> used;
    for (int id = 0; id < 64; ++id) {
        bson::Document key = bson::Document::from_json(R"({"_id": )" + std::to_string(id) + "}");
        used.insert(lane_of(Namespace{"d", "c"}, key.view(), 4));
    }
    EXPECT_EQ(used.size(), 4u);
}

TEST(ReplicateRouting, EachDocumentsWritesStayTogetherAndInEventOrder) {
    std::vector<QueuedWrite> batch;
    for (uint64_t seq = 0; seq < 30; ++seq) {
        batch.push_back(write_for(seq, seq % 2 ? "a" : "b", static_cast<int>(seq % 5)));
    }
    auto lanes = route(batch, 3);
    ASSERT_EQ(lanes.size(), 3u);
    size_t total = 0;
    std::map<std::pair<std::string, int>, size_t> lane_of_document;
    for (size_t lane = 0; lane < lanes.size(); ++lane) {
        for (const auto& group : lanes[lane]) {
            std::map<int, uint64_t> last_of_document;
            for (size_t i = 0; i < group.writes.size(); ++i) {
                EXPECT_EQ(group.writes[i]->ns, group.ns);
                auto [last, first] =
                    last_of_document.emplace(id_of(group.writes[i]), group.writes[i]->sequence);
                if (!first) {
                    EXPECT_LT(last->second, group.writes[i]->sequence);
                }
                last->second = group.writes[i]->sequence;
                auto [it, inserted] = lane_of_document.emplace(
                    std::pair{group.ns.coll, id_of(group.writes[i])}, lane);
                EXPECT_EQ(it->second, lane);
            }
            total += group.writes.size();
        }
    }
    EXPECT_EQ(total, batch.size());
}

QueuedWrite write_of_kind(uint64_t sequence, char kind, int id) {
    bson::Document doc = bson::Document::from_json(R"({"_id": )" + std::to_string(id) + "}");
    QueuedWrite write{sequence, Namespace{"db", "c"}, replace_with_document(doc.view())};
    if (kind == 'i') write.op = insert_of(doc.view());
    if (kind == 'd') write.op = delete_by_id(doc.view());
    return write;
}

// "<kind><id>" of each write of the lone group of `batch` routed to one lane.
std::vector<std::string> routed_order(const std::vector<QueuedWrite>& batch) {
    auto lanes = route(batch, 1);
    std::vector<std::string> order;
    for (const QueuedWrite* write : lanes.at(0).at(0).writes) {
        const char kind = write->op.kind == WriteKind::kInsert   ? 'i'
                          : write->op.kind == WriteKind::kDelete ? 'd'
                                                                 : 'r';
        order.push_back(kind + std::to_string(id_of(write)));
    }
    return order;
}

// A mixed batch in event order would go out as one command per change of kind: grouped, it is
// one command per kind and round (a document's n-th write is in round n).
TEST(ReplicateRouting, WritesOfDifferentDocumentsAreGroupedByCommand) {
    std::vector<QueuedWrite> batch;
    const std::string kinds = "irdirdir";
    for (size_t i = 0; i < kinds.size(); ++i)
        batch.push_back(write_of_kind(i, kinds[i], static_cast<int>(i)));
    EXPECT_EQ(routed_order(batch),
              (std::vector<std::string>{"i0", "i3", "i6", "r1", "r4", "r7", "d2", "d5"}));
}

TEST(ReplicateRouting, ADocumentsWritesKeepTheirOrderAcrossRounds) {
    // Document 1: delete, insert, replace; document 2: replace, delete.
    std::vector<QueuedWrite> batch;
    batch.push_back(write_of_kind(0, 'd', 1));
    batch.push_back(write_of_kind(1, 'r', 2));
    batch.push_back(write_of_kind(2, 'i', 1));
    batch.push_back(write_of_kind(3, 'd', 2));
    batch.push_back(write_of_kind(4, 'r', 1));
    EXPECT_EQ(routed_order(batch), (std::vector<std::string>{"r2", "d1", "i1", "d2", "r1"}));
}

TEST(ReplicateRouting, ANamespaceInEventOrderIsNotRegrouped) {
    std::vector<QueuedWrite> batch;
    for (auto [sequence, kind, id] : {std::tuple{0, 'i', 1}, {1, 'd', 2}, {2, 'i', 3}}) {
        batch.push_back(write_of_kind(sequence, kind, id));
        batch.back().in_namespace_order = true;
    }
    EXPECT_EQ(routed_order(batch), (std::vector<std::string>{"i1", "d2", "i3"}));
}

TEST(ReplicateRouting, UnappliedWritesAreTheFailedOnesAndTheirSuccessorsInEventOrder) {
    std::vector<QueuedWrite> batch;
    for (uint64_t seq = 0; seq < 6; ++seq)
        batch.push_back(write_for(seq, "c", int(seq)));
    std::vector<WriteGroup> groups(2);
    groups[0].writes = {&batch[0], &batch[2], &batch[4]};
    groups[1].writes = {&batch[1], &batch[3], &batch[5]};
    // Group 0 failed at its second write; group 1 completed.
    auto unapplied = unapplied_in_event_order(groups, {1, 3});
    ASSERT_EQ(unapplied.size(), 2u);
    EXPECT_EQ(unapplied[0]->sequence, 2u);
    EXPECT_EQ(unapplied[1]->sequence, 4u);

    unapplied = unapplied_in_event_order(groups, {2, 0});
    std::vector<uint64_t> sequences;
    for (const auto* write : unapplied)
        sequences.push_back(write->sequence);
    EXPECT_EQ(sequences, (std::vector<uint64_t>{1, 3, 4, 5}));
}

// MongoDB's _id index compares values, not bytes: {_id: 1}, {_id: NumberLong(1)}, {_id: 1.0}
// and {_id: NumberDecimal("1")} are one document, so are {_id: 0.0} and {_id: -0.0}. A delete of
// it and the insert that brings it back under another BSON spelling keep their event order.
TEST(ReplicateRouting, EqualIdsOfDifferentBsonSpellingsKeepTheirEventOrder) {
    const std::pair<const char*, const char*> spellings[] = {
        {R"({"_id": 1})", R"({"_id": {"$numberLong": "1"}, "v": 2})"},
        {R"({"_id": 1})", R"({"_id": 1.0, "v": 2})"},
        {R"({"_id": 1})", R"({"_id": {"$numberDecimal": "1"}, "v": 2})"},
        {R"({"_id": 0.0})", R"({"_id": -0.0, "v": 2})"}};
    for (const auto& [deleted, reinserted] : spellings) {
        bson::Document old_id = bson::Document::from_json(deleted);
        bson::Document doc = bson::Document::from_json(reinserted);
        std::vector<QueuedWrite> batch;
        batch.push_back(QueuedWrite{0, Namespace{"db", "c"}, delete_by_id(old_id.view())});
        batch.push_back(QueuedWrite{1, Namespace{"db", "c"}, insert_of(doc.view())});
        auto lanes = route(batch, 1);
        const auto& writes = lanes.at(0).at(0).writes;
        ASSERT_EQ(writes.size(), 2u);
        EXPECT_EQ(writes[0]->sequence, 0u) << reinserted << ": the insert goes before the delete";
    }
}

}  // namespace
}  // namespace tributary::replicate
