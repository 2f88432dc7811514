// A capped collection's natural order is its insertion order, which the comparator checks:
// replicated inserts into it must apply in event order, not spread over the parallel lanes by
// _id (routing.h: QueuedWrite::in_namespace_order).
#include <gtest/gtest.h>

#include <string>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::ReplicateSyncTest;

class CappedOrderSyncTest : public ReplicateSyncTest,
                            public testing::WithParamInterface<const char*> {};

TEST_P(CappedOrderSyncTest, ReplicatedInsertsKeepTheNaturalOrder) {
    start_servers(GetParam());
    source_command(R"({"create": "log", "capped": true, "size": 1048576})");
    source_command(R"({"insert": "log", "documents": [{"_id": -1}]})");
    auto sync = start_sync();  // four lanes (ReplicateConfig::lanes)
    // One insert of many documents: its events arrive as one batch, whose documents the lanes
    // would write in parallel. Insertion order differs from _id order.
    constexpr int kDocuments = 400;
    std::string documents;
    for (int i = 0; i < kDocuments; ++i) {
        const int id = (i * 37) % kDocuments;
        documents += (i ? "," : "") + std::string(R"({"_id": )") + std::to_string(id) + "}";
    }
    source_command(R"({"insert": "log", "documents": [)" + documents + "]}");
    std::string report;
    EXPECT_TRUE(converges(&report)) << report << sync->output();
    EXPECT_EQ(sync->terminate(), 0) << sync->output();
}

INSTANTIATE_TEST_SUITE_P(SourceVersions, CappedOrderSyncTest, testing::Values("4.4", "7.0"));

}  // namespace
