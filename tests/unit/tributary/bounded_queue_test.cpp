// Unit tests: copy::BoundedQueue, the hand-off of the copy's ranges and of replication's stream
// reader, holds at most its entry count and its byte bound (an oversized item passes alone), and
// a producer blocked on a full queue goes on as soon as an item is taken or the queue is closed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "copy/bounded_queue.h"

namespace tributary::copy {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Pushes items of `bytes` each from its own thread, counting those the queue took.
class Producer {
  public:
    Producer(BoundedQueue<int>& queue, int items, size_t bytes)
        : thread_([&queue, items, bytes, this] {
              for (int item = 0; item < items && queue.push(item, bytes); ++item)
                  ++pushed_;
              done_ = true;
          }) {}
    ~Producer() { thread_.join(); }
    int pushed() const { return pushed_; }
    bool done() const { return done_; }

  private:
    std::atomic<int> pushed_{0};
    std::atomic<bool> done_{false};
    std::thread thread_;
};

// The producer stays at `pushed` items for a while: it is blocked, not slow.
void expect_blocked_at(const Producer& producer, int pushed) {
    ASSERT_TRUE(eventually([&] { return producer.pushed() == pushed; })) << producer.pushed();
    const auto until = std::chrono::steady_clock::now() + 100ms;
    while (std::chrono::steady_clock::now() < until) {
        ASSERT_EQ(producer.pushed(), pushed);
        std::this_thread::sleep_for(5ms);
    }
}

TEST(BoundedQueueTest, HoldsAtMostItsEntryCount) {
    BoundedQueue<int> queue(3, 1000);
    Producer producer(queue, 5, 10);
    expect_blocked_at(producer, 3);
    EXPECT_EQ(queue.depth(), (std::pair<size_t, size_t>{3, 30}));
    EXPECT_EQ(queue.pop(), 0);
    expect_blocked_at(producer, 4);
    EXPECT_EQ(queue.depth(), (std::pair<size_t, size_t>{3, 30}));
    EXPECT_EQ(queue.pop(), 1);
    EXPECT_EQ(queue.pop(), 2);
    EXPECT_EQ(queue.pop(), 3);
    EXPECT_EQ(queue.pop(), 4);
}

TEST(BoundedQueueTest, HoldsAtMostItsBytes) {
    BoundedQueue<int> queue(100, 1000);
    Producer producer(queue, 4, 400);
    expect_blocked_at(producer, 2);  // a third 400 would make 1,200 bytes
    EXPECT_EQ(queue.depth(), (std::pair<size_t, size_t>{2, 800}));
    EXPECT_EQ(queue.pop(), 0);
    expect_blocked_at(producer, 3);
    EXPECT_EQ(queue.depth(), (std::pair<size_t, size_t>{2, 800}));
    queue.close();  // the blocked push gives up
    EXPECT_TRUE(eventually([&] { return producer.done(); }));
    EXPECT_EQ(producer.pushed(), 3);
    EXPECT_EQ(queue.depth(), (std::pair<size_t, size_t>{2, 800}));
}

TEST(BoundedQueueTest, AnItemLargerThanTheByteBoundPassesAlone) {
    BoundedQueue<int> queue(100, 1000);
    Producer producer(queue, 2, 5000);
    expect_blocked_at(producer, 1);
    EXPECT_EQ(queue.depth(), (std::pair<size_t, size_t>{1, 5000}));
    EXPECT_EQ(queue.pop(), 0);
    ASSERT_TRUE(eventually([&] { return producer.pushed() == 2; }));
    EXPECT_EQ(queue.pop(), 1);
    EXPECT_EQ(queue.depth(), (std::pair<size_t, size_t>{0, 0}));
}

TEST(BoundedQueueTest, PopForReturnsNothingAfterItsTimeout) {
    BoundedQueue<int> queue(2);
    EXPECT_EQ(queue.pop_for(10ms), std::nullopt);
    ASSERT_TRUE(queue.push(7));
    EXPECT_EQ(queue.pop_for(10ms), 7);
    queue.close();
    EXPECT_FALSE(queue.push(8));
    EXPECT_EQ(queue.pop_for(10ms), std::nullopt);
}

}  // namespace
}  // namespace tributary::copy
