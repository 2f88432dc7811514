// $sample's random cursor over a collection: when it applies (over 100 documents, under 5% of
// them), that it returns distinct records, and that every record is equally likely even when
// deletes left holes in the record ids.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "server/collection_read.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

Collection numbered_collection(int count) {
    Collection coll("db", "c", CollectionUuid{}, Document());
    for (int i = 0; i < count; ++i) {
        Document doc;
        doc.push_back("_id", Value::int32(i));
        coll.insert(to_stored(doc), Value::int32(i));
    }
    return coll;
}

int id_of(const StoredDoc& stored) {
    return to_document(stored).get("_id")->as_int32();
}

void remove_ids(Collection& coll, int from, int to) {
    for (int i = from; i < to; ++i)
        coll.remove(coll.id_index().at(Value::int32(i)));
}

TEST(RandomCursorSample, DeclinesCollectionsOfAtMostOneHundredDocuments) {
    EXPECT_FALSE(random_cursor_sample(numbered_collection(100), 1));
    EXPECT_TRUE(random_cursor_sample(numbered_collection(101), 1));
}

TEST(RandomCursorSample, DeclinesSizesOfFivePercentOrMore) {
    Collection coll = numbered_collection(1000);
    EXPECT_FALSE(random_cursor_sample(coll, 50));
    ASSERT_TRUE(random_cursor_sample(coll, 49));
    EXPECT_EQ(random_cursor_sample(coll, 49)->size(), 49u);
    EXPECT_EQ(random_cursor_sample(coll, 0)->size(), 0u);
}

TEST(RandomCursorSample, ReturnsDistinctRecordsOfTheCollection) {
    Collection coll = numbered_collection(10000);
    auto sample = random_cursor_sample(coll, 499);
    ASSERT_TRUE(sample);
    std::set<int> ids;
    for (const StoredDoc& doc : *sample)
        ids.insert(id_of(doc));
    EXPECT_EQ(ids.size(), 499u);
    EXPECT_GE(*ids.begin(), 0);
    EXPECT_LT(*ids.rbegin(), 10000);
}

TEST(RandomCursorSample, DeclinesWhenMostRecordIdsAreGone) {
    Collection coll = numbered_collection(10000);
    remove_ids(coll, 1000, 7000);
    EXPECT_FALSE(random_cursor_sample(coll, 10));
}

// After deleting ids 100..399 of 1000, the 700 left must each come up ~as often, including the
// record just past the hole (a "next record after a random id" cursor would pick it 300x as often).
TEST(RandomCursorSample, EveryRecordIsEquallyLikelyAcrossHoles) {
    Collection coll = numbered_collection(1000);
    remove_ids(coll, 100, 400);
    std::map<int, int> picks;
    constexpr int kRounds = 3000;
    for (int round = 0; round < kRounds; ++round) {
        auto sample = random_cursor_sample(coll, 34);
        ASSERT_TRUE(sample);
        for (const StoredDoc& doc : *sample)
            ++picks[id_of(doc)];
    }
    // Each record: Binomial(3000, 34/700), mean ~146, standard deviation ~12; allow 6 of them.
    ASSERT_EQ(picks.size(), 700u);
    for (const auto& [id, count] : picks) {
        EXPECT_GT(count, 74) << "_id " << id;
        EXPECT_LT(count, 218) << "_id " << id;
    }
    EXPECT_EQ(picks.count(150), 0u);
}

}  // namespace
}  // namespace tmd
