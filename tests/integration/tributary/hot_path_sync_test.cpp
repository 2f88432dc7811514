// End to end through `tributary sync` (issue 10): on a 7.0 source, whose update events carry
// disambiguatedPaths, inserts and updates that are not ambiguous are applied without reading
// the source. The source's finds are counted by serverStatus().opcounters.query (mongod counts
// each find command there: "opcounters" in the serverStatus reference).
#include <gtest/gtest.h>

#include <string>

#include "replicate_sync_fixture.h"

namespace {

using tributary_test::eventually;
using tributary_test::ReplicateSyncTest;

class HotPathSyncTest : public ReplicateSyncTest {
  protected:
    void TearDown() override {
        if (sync_) sync_->terminate();
        ReplicateSyncTest::TearDown();
    }
    int64_t source_finds() {
        auto reply = source_->run_command("admin", R"({"serverStatus": 1})");
        return reply.ok ? reply.reply.number("opcounters.query") : -1;
    }
    // The destination's value of `field` in document `id` of `coll`, as JSON ("" when absent).
    std::string destination_field(const std::string& coll, int id, const std::string& field) {
        auto reply = dest_->run_command(
            db_, R"({"find": ")" + coll + R"(", "filter": {"_id": )" + std::to_string(id) + "}}");
        if (!reply.ok) return "";
        testsupport::Bson batch = reply.reply.document("cursor.firstBatch");
        if (!batch.has("0")) return "";
        testsupport::Bson doc = batch.document("0");
        return doc.has(field.c_str()) ? std::to_string(doc.number(field.c_str())) : "";
    }
    std::unique_ptr<tributary_test::TributaryProcess> sync_;
};

TEST_F(HotPathSyncTest, InsertsAndPlainUpdatesFromA70SourceReadNothingFromTheSource) {
    start_servers("7.0");
    insert_range("c", 0, 20);
    // {m: {"0": 0}}: "m.0" names a field, which 7.0 lists in disambiguatedPaths as ["m", "0"].
    source_command(R"({"update": "c", "updates": [{"q": {}, "u": {"$set": {"m": {"0": 0}}},
        "multi": true}]})");
    sync_ = start_sync();
    std::string report;
    ASSERT_TRUE(converges(&report)) << report << sync_->output();

    const int64_t finds_before = source_finds();
    ASSERT_GE(finds_before, 0) << "no serverStatus().opcounters.query on the source";
    insert_range("c", 100, 20);
    std::string updates;
    for (int id = 0; id < 20; ++id) {
        updates += (id > 0 ? "," : "") + std::string(R"({"q": {"_id": )") + std::to_string(id) +
                   R"(}, "u": {"$inc": {"n": 1, "m.0": 1}, "$set": {"sub.k": )" +
                   std::to_string(id) + "}}}";
    }
    source_command(R"({"update": "c", "updates": [)" + updates + "]}");
    source_command(R"({"update": "c", "updates": [{"q": {"_id": 100}, "u": {"$set": {"n": 7}}}]})");
    ASSERT_TRUE(eventually([&] { return destination_field("c", 100, "n") == "7"; }))
        << sync_->output();
    EXPECT_EQ(source_finds() - finds_before, 0) << sync_->output();
    ASSERT_TRUE(converges(&report)) << report << sync_->output();
}

}  // namespace
