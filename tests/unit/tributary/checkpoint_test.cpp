// The checkpoint: State survives a BSON round trip with every field, the file store replaces
// its file atomically, Checkpoint's updates are persisted as they happen, each save names only
// what changed, and copy progress is saved at a bounded rate.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "checkpoint/checkpoint.h"

namespace tributary::checkpoint {
namespace {

State sample_state() {
    State state;
    state.run_id = "abc123";
    state.identity = {"h1:1", "h2:2", {"shop"}, {"shop.*"}, {"shop.tmp"}};
    state.start.resume_token = bson::Document::from_json(R"({"_data": "8263A0"})");
    state.start.operation_time = {1700000000, 7};
    CollectionCopy copy;
    copy.phase = CopyPhase::kInProgress;
    copy.split_points = bson::Document::from_json(R"({"0": {"$oid": "65a0a0a0a0a0a0a0a0a0a0a0"}})");
    copy.ranges_done = {true, false};
    copy.documents_copied = 42;
    state.collections.emplace("shop.orders", std::move(copy));
    state.resume_token = bson::Document::from_json(R"({"_data": "8263B0"})");
    state.resume_start_after = true;
    state.applied_cluster_time = {1700000100, 1};
    return state;
}

void expect_same(const State& a, const State& b) {
    EXPECT_TRUE(bson::byte_equal(a.to_bson().view(), b.to_bson().view()))
        << a.to_bson().to_json() << "\n"
        << b.to_bson().to_json();
}

TEST(CheckpointState, RoundTripsThroughBson) {
    State state = sample_state();
    State back = State::from_bson(state.to_bson().view());
    expect_same(state, back);
    EXPECT_EQ(back.identity, state.identity);
    EXPECT_EQ(back.collections.at("shop.orders").ranges_remaining(), 1u);
}

TEST(CheckpointState, RejectsForeignDocuments) {
    bson::Document other = bson::Document::from_json(R"({"_id": "sync"})");
    EXPECT_THROW(State::from_bson(other.view()), std::runtime_error);
}

TEST(CheckpointState, ReadsVersionOneAndRefusesANewerVersionNamingIt) {
    bson::Document v1 = bson::Document::from_json(
        R"({"_id": "sync", "version": 1, "runId": "r", "collections": [{"ns": "db.a", "phase": "complete"}]})");
    State state = State::from_bson(v1.view());
    EXPECT_EQ(state.collections.at("db.a").phase, CopyPhase::kComplete);
    bson::Document v3 = bson::Document::from_json(R"({"_id": "sync", "version": 3})");
    try {
        State::from_bson(v3.view());
        FAIL() << "version 3 was read";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("version 3"), std::string::npos) << error.what();
    }
}

TEST(CheckpointState, CopiesOfAnOlderGenerationReadBackStale) {
    State state = sample_state();
    state.copy_generation = 2;
    state.collections.at("shop.orders").phase = CopyPhase::kComplete;
    state.collections.at("shop.orders").generation = 1;
    CollectionCopy current;
    current.phase = CopyPhase::kComplete;
    current.generation = 2;
    state.collections.emplace("shop.users", std::move(current));
    State back = State::from_bson(state.to_bson().view());
    EXPECT_EQ(back.collections.at("shop.orders").phase, CopyPhase::kStale);
    EXPECT_EQ(back.collections.at("shop.users").phase, CopyPhase::kComplete);
}

// A store that records what each save was asked to write, and the state it was given.
class RecordingStore : public Store {
  public:
    struct Saved {
        Changes changes;
        State state;
    };
    struct Log {
        std::mutex mutex;
        std::vector<Saved> saves;
        bool fail_next = false;  // the next save throws (and records nothing)
        int failures = 0;
        int failed() {
            std::lock_guard lock(mutex);
            return failures;
        }
        void fail_the_next_save() {
            std::lock_guard lock(mutex);
            fail_next = true;
        }
        size_t count() {
            std::lock_guard lock(mutex);
            return saves.size();
        }
        Saved last() {
            std::lock_guard lock(mutex);
            return {saves.back().changes, State::from_bson(saves.back().state.to_bson().view())};
        }
    };
    explicit RecordingStore(std::shared_ptr<Log> log) : log_(std::move(log)) {}
    std::optional<LeaseHolder> take_lease(const LeaseHolder&, std::chrono::seconds) override {
        return std::nullopt;
    }
    void release_lease(const LeaseHolder&) override {}
    std::optional<State> load() override { return std::nullopt; }
    void save(const State& state, const Changes& changes) override {
        std::lock_guard lock(log_->mutex);
        if (std::exchange(log_->fail_next, false)) {
            ++log_->failures;
            throw std::runtime_error("save failed");
        }
        log_->saves.push_back({changes, State::from_bson(state.to_bson().view())});
    }
    void clear() override {}
    std::string describe() const override { return "recording"; }
    std::optional<bson::Document> load_request() override { return std::nullopt; }
    void save_request(const bson_t*) override {}

  private:
    std::shared_ptr<Log> log_;
};

// Polls `condition` every 10 ms until it holds or 10 s pass.
bool within_ten_seconds(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

std::vector<Intent> intents(int count) {
    std::vector<Intent> all;
    for (int i = 0; i < count; ++i)
        all.push_back({"db.c" + std::to_string(i), "", {1, 1}});
    return all;
}

// A Checkpoint of a new run over a RecordingStore.
class CheckpointSaves : public testing::Test {
  protected:
    static State new_run() {
        State state;
        state.run_id = "r";
        return state;
    }
    std::shared_ptr<RecordingStore::Log> log_ = std::make_shared<RecordingStore::Log>();
    RecordingStore::Log* log = log_.get();
    Checkpoint checkpoint{std::make_unique<RecordingStore>(log_), new_run()};
};

TEST_F(CheckpointSaves, EachSaveNamesWhatChanged) {
    checkpoint.intend_collections(intents(3));
    ASSERT_EQ(log->count(), 1u);
    EXPECT_FALSE(log->last().changes.run);
    EXPECT_EQ(log->last().changes.collections, (std::set<std::string>{"db.c0", "db.c1", "db.c2"}));
    bson::Document token = bson::Document::from_json(R"({"_data": "82"})");
    checkpoint.save_resume_token(token.view(), {5, 6}, false);
    ASSERT_EQ(log->count(), 2u);
    EXPECT_TRUE(log->last().changes.run);
    EXPECT_TRUE(log->last().changes.collections.empty());
    // A recopy changes every collection's phase, but only the run's fields are written: the
    // new generation makes the others stale.
    checkpoint.begin_recopy(StartPoint{});
    ASSERT_EQ(log->count(), 3u);
    EXPECT_TRUE(log->last().changes.collections.empty());
    EXPECT_EQ(log->last().state.collections.at("db.c1").phase, CopyPhase::kStale);
}

TEST_F(CheckpointSaves, ProgressIsSavedAtABoundedRateAndWithinTheInterval) {
    checkpoint.intend_collections(intents(100));
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) {
        const std::string ns = "db.c" + std::to_string(i);
        checkpoint.begin_collection(ns, bson::Document());
        checkpoint.mark_range_done(ns, 0, 10);
        checkpoint.mark_collection_complete(ns);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // 300 progress updates: at most one save per interval, however many updates came.
    EXPECT_LE(log->count(), 1u + static_cast<size_t>(seconds / 1.0) + 1u);
    // And all of them saved within the interval (by the background flush), without any call.
    ASSERT_TRUE(within_ten_seconds(
        [&] { return log->last().state.collections.at("db.c99").phase == CopyPhase::kComplete; }));
    EXPECT_EQ(log->last().state.collections.at("db.c99").documents_copied, 10);
    const size_t saves = log->count();
    checkpoint.flush();  // nothing pending: nothing written
    EXPECT_EQ(log->count(), saves);
}

// A failed background save is reported by the next call; that call's own change must still be
// saved by a later save, or memory and the store would disagree for good.
TEST_F(CheckpointSaves, AChangeMadeWhileAnEarlierSaveHadFailedIsSavedLater) {
    checkpoint.intend_collections(intents(1));
    log->fail_the_next_save();
    checkpoint.mark_collection_complete("db.c0");  // progress, saved (and failed) by the flusher
    ASSERT_TRUE(within_ten_seconds([&] { return log->failed() == 1; }));
    bson::Document token = bson::Document::from_json(R"({"_data": "82"})");
    EXPECT_THROW(checkpoint.save_resume_token(token.view(), {5, 6}, false), std::runtime_error);
    checkpoint.flush();
    EXPECT_TRUE(log->last().changes.run);
    EXPECT_EQ(log->last().changes.collections, (std::set<std::string>{"db.c0"}));
}

class FileStoreTest : public testing::Test {
  protected:
    std::string path_ = (std::filesystem::temp_directory_path() /
                         ("tributary_state_" + std::to_string(::getpid()) + ".json"))
                            .string();
    void TearDown() override { std::filesystem::remove(path_); }
};

TEST_F(FileStoreTest, LoadsWhatWasSavedWithEveryBsonType) {
    auto store = open_file_store(path_);
    EXPECT_FALSE(store->load().has_value());
    store->save(sample_state(), Changes::everything(sample_state()));
    EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
    std::optional<State> loaded = open_file_store(path_)->load();
    ASSERT_TRUE(loaded.has_value());
    expect_same(*loaded, sample_state());
}

TEST_F(FileStoreTest, ClearRemovesTheFile) {
    auto store = open_file_store(path_);
    store->save(sample_state(), Changes::everything(sample_state()));
    store->clear();
    EXPECT_FALSE(store->load().has_value());
}

TEST_F(FileStoreTest, CorruptFileIsReportedNotIgnored) {
    std::ofstream(path_) << "not json";
    EXPECT_THROW(open_file_store(path_)->load(), std::runtime_error);
}

TEST_F(FileStoreTest, CheckpointPersistsEveryRangeAndCompletion) {
    State initial;
    initial.run_id = "r";
    Checkpoint checkpoint(open_file_store(path_), std::move(initial));
    checkpoint.begin_collection("db.c", bson::Document::from_json(R"({"0": 5, "1": 9})"));
    checkpoint.mark_range_done("db.c", 1, 4);
    checkpoint.flush();  // progress is saved within kProgressInterval, or now
    {
        State saved = *open_file_store(path_)->load();
        const CollectionCopy& copy = saved.collections.at("db.c");
        EXPECT_EQ(copy.phase, CopyPhase::kInProgress);
        EXPECT_EQ(copy.ranges_done, (std::vector<bool>{false, true, false}));
        EXPECT_EQ(copy.documents_copied, 4);
    }
    // Beginning again (a restart) keeps the recorded ranges instead of new split points.
    checkpoint.begin_collection("db.c", bson::Document::from_json(R"({"0": 1})"));
    EXPECT_EQ(checkpoint.snapshot().collections.at("db.c").ranges_done.size(), 3u);
    checkpoint.mark_collection_complete("db.c");
    checkpoint.mark_copy_complete();
    bson::Document token = bson::Document::from_json(R"({"_data": "82"})");
    checkpoint.save_resume_token(token.view(), {5, 6}, true);
    State saved = *open_file_store(path_)->load();
    EXPECT_EQ(saved.collections.at("db.c").phase, CopyPhase::kComplete);
    EXPECT_TRUE(saved.copy_complete);
    EXPECT_EQ(saved.resume_token.to_json(), token.to_json());
    EXPECT_TRUE(saved.resume_start_after);
    EXPECT_EQ(saved.applied_cluster_time, (bson::Timestamp{5, 6}));
}

}  // namespace
}  // namespace tributary::checkpoint
