// Unit tests: routing writes to lanes keeps each document's writes together and in event order,
// and partially applied ordered groups yield exactly the unapplied writes, in event order.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

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

TEST(ReplicateRouting, DocumentsSpreadOverLanes) {
    std::set<size_t> used;
    for (int id = 0; id < 64; ++id) {
        bson::Document key = bson::Document::from_json(R"({"_id": )" + std::to_string(id) + "}");
        used.insert(lane_of(Namespace{"d", "c"}, key.view(), 4));
    }
    EXPECT_EQ(used.size(), 4u);
}

TEST(ReplicateRouting, EachDocumentsWritesStayInEventOrderWithinOneGroup) {
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
            for (size_t i = 0; i < group.writes.size(); ++i) {
                EXPECT_EQ(group.writes[i]->ns, group.ns);
                if (i > 0) {
                    EXPECT_LT(group.writes[i - 1]->sequence, group.writes[i]->sequence);
                }
                auto [it, inserted] = lane_of_document.emplace(
                    std::pair{group.ns.coll, id_of(group.writes[i])}, lane);
                EXPECT_EQ(it->second, lane);
            }
            total += group.writes.size();
        }
    }
    EXPECT_EQ(total, batch.size());
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

}  // namespace
}  // namespace tributary::replicate
