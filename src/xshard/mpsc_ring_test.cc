#include "xshard/mpsc_ring.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace chatd::xshard {
namespace {

std::vector<int> drain_all(MpscRing<int>& ring, std::size_t max = SIZE_MAX) {
  std::vector<int> out;
  ring.drain([&](int&& v) { out.push_back(v); }, max);
  return out;
}

TEST(MpscRing, SingleThreadIsFifo) {
  MpscRing<int> ring(8);
  EXPECT_TRUE(ring.empty());
  for (int i = 0; i < 5; ++i) {
    int v = i;
    ASSERT_TRUE(ring.try_push(v));
  }
  EXPECT_FALSE(ring.empty());
  EXPECT_EQ(drain_all(ring), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.drain([](int&&) {}), 0u);
}

TEST(MpscRing, CapacityRoundsUpToPowerOfTwoAtLeastTwo) {
  EXPECT_EQ(MpscRing<int>(0).capacity(), 2u);
  EXPECT_EQ(MpscRing<int>(1).capacity(), 2u);
  EXPECT_EQ(MpscRing<int>(2).capacity(), 2u);
  EXPECT_EQ(MpscRing<int>(3).capacity(), 4u);
  EXPECT_EQ(MpscRing<int>(64).capacity(), 64u);
  EXPECT_EQ(MpscRing<int>(65).capacity(), 128u);
}

TEST(MpscRing, FullRingRejectsAndLeavesItemUntouched) {
  MpscRing<std::unique_ptr<int>> ring(3);  // rounds to 4
  for (int i = 0; i < 4; ++i) {
    auto p = std::make_unique<int>(i);
    ASSERT_TRUE(ring.try_push(p));
    EXPECT_EQ(p, nullptr);  // moved from
  }
  auto kept = std::make_unique<int>(42);
  int* const raw = kept.get();
  EXPECT_FALSE(ring.try_push(kept));
  EXPECT_FALSE(ring.try_push(kept));
  ASSERT_EQ(kept.get(), raw);
  EXPECT_EQ(*kept, 42);

  // One slot freed: the same item goes in on the retry, nothing was lost.
  std::vector<int> got;
  auto collect = [&](std::unique_ptr<int>&& p) { got.push_back(*p); };
  EXPECT_EQ(ring.drain(collect, 1), 1u);
  EXPECT_TRUE(ring.try_push(kept));
  EXPECT_EQ(kept, nullptr);
  ring.drain(collect);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 42}));
}

TEST(MpscRing, FullRingLeavesStringUntouched) {
  MpscRing<std::string> ring(2);
  std::string a = "a", b = "b";
  ASSERT_TRUE(ring.try_push(a));
  ASSERT_TRUE(ring.try_push(b));
  // Longer than the small-string buffer, so a move would visibly steal it.
  std::string kept(100, 'x');
  EXPECT_FALSE(ring.try_push(kept));
  EXPECT_EQ(kept, std::string(100, 'x'));
}

TEST(MpscRing, WrapsAroundManyTimes) {
  MpscRing<int> ring(4);
  int next_in = 0, next_out = 0;
  for (int turn = 0; turn < 20000; ++turn) {
    const int n = 1 + turn % 4;  // 1..4: positions drift across every slot
    for (int i = 0; i < n; ++i) {
      int v = next_in++;
      ASSERT_TRUE(ring.try_push(v)) << v;
    }
    ring.drain([&](int&& v) { ASSERT_EQ(v, next_out++); });
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_TRUE(ring.empty());
}

TEST(MpscRing, DrainStopsAtMax) {
  MpscRing<int> ring(16);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ring.try_push(i));
  EXPECT_EQ(drain_all(ring, 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(drain_all(ring, 0), std::vector<int>{});
  EXPECT_EQ(drain_all(ring, 4), (std::vector<int>{3, 4, 5, 6}));
  EXPECT_EQ(drain_all(ring, 100), (std::vector<int>{7, 8, 9}));
  EXPECT_TRUE(ring.empty());
}

TEST(MpscRing, ThrowingCallbackLosesOnlyItsItem) {
  MpscRing<int> ring(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring.try_push(i));
  EXPECT_THROW(ring.drain([](int&& v) {
    if (v == 1) throw std::runtime_error("boom");
  }),
               std::runtime_error);
  // 0 and 1 were consumed; the ring stays usable and has room for two more.
  for (int i = 4; i < 6; ++i) ASSERT_TRUE(ring.try_push(i));
  EXPECT_EQ(drain_all(ring), (std::vector<int>{2, 3, 4, 5}));
}

// Counts live instances (moved-from ones included) so leaks and double
// destruction both show up.
struct Counted {
  static inline int live = 0;
  int value;
  explicit Counted(int v) : value(v) { ++live; }
  Counted(Counted&& o) noexcept : value(o.value) { ++live; }
  Counted& operator=(Counted&&) = delete;
  ~Counted() { --live; }
};

TEST(MpscRing, DrainDestroysEveryItemOnce) {
  Counted::live = 0;
  {
    MpscRing<Counted> ring(8);
    for (int i = 0; i < 6; ++i) {
      Counted c(i);
      ASSERT_TRUE(ring.try_push(c));
    }
    EXPECT_EQ(Counted::live, 6);
    int sum = 0;
    ring.drain([&](Counted&& c) { sum += c.value; });
    EXPECT_EQ(sum, 0 + 1 + 2 + 3 + 4 + 5);
    EXPECT_EQ(Counted::live, 0);
  }
  EXPECT_EQ(Counted::live, 0);
}

TEST(MpscRing, DestructorDestroysRemainingItems) {
  Counted::live = 0;
  {
    MpscRing<Counted> ring(8);
    for (int lap = 0; lap < 3; ++lap) {  // 9 pushed, 6 taken: the rest straddle the wrap
      for (int i = 0; i < 3; ++i) {
        Counted c(i);
        ASSERT_TRUE(ring.try_push(c));
      }
      ring.drain([](Counted&&) {}, 2);
    }
    EXPECT_EQ(Counted::live, 3);
  }
  EXPECT_EQ(Counted::live, 0);
}

TEST(MpscRing, BatchPushKeepsOrderAndTakesWhatFits) {
  MpscRing<int> ring(8);
  int first[3] = {1, 2, 3};
  EXPECT_EQ(ring.try_push_batch(first, 3), 3u);
  int more[7] = {4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(ring.try_push_batch(more, 7), 5u);  // 8 slots: 4..8 fit
  EXPECT_EQ(ring.try_push_batch(more + 5, 2), 0u);
  EXPECT_EQ(drain_all(ring, 2), (std::vector<int>{1, 2}));
  EXPECT_EQ(ring.try_push_batch(more + 5, 2), 2u);  // wraps around the end
  EXPECT_EQ(drain_all(ring), (std::vector<int>{3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(ring.try_push_batch(first, 0), 0u);
}

TEST(MpscRing, BatchPushLeavesWhatDidNotFitUntouched) {
  MpscRing<std::unique_ptr<int>> ring(2);
  std::unique_ptr<int> items[3];
  for (int i = 0; i < 3; ++i) items[i] = std::make_unique<int>(i);
  EXPECT_EQ(ring.try_push_batch(items, 3), 2u);
  EXPECT_EQ(items[0], nullptr);
  EXPECT_EQ(items[1], nullptr);
  ASSERT_NE(items[2], nullptr);
  EXPECT_EQ(*items[2], 2);
  std::vector<int> got;
  ring.drain([&](std::unique_ptr<int>&& p) { got.push_back(*p); });
  EXPECT_EQ(got, (std::vector<int>{0, 1}));
}

// A batch larger than the ring takes at most one ring's worth.
TEST(MpscRing, BatchLargerThanTheRing) {
  MpscRing<int> ring(4);
  int items[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(ring.try_push_batch(items, 10), 4u);
  EXPECT_EQ(drain_all(ring), (std::vector<int>{0, 1, 2, 3}));
}

struct Tagged {
  uint32_t producer;
  uint32_t seq;
  uint64_t check;  // catches a torn or half-constructed item
};

constexpr uint64_t check_of(uint32_t producer, uint32_t seq) {
  return (uint64_t(producer) << 32 | seq) * 0x9e3779b97f4a7c15ull;
}

// Producers spin on a small ring (full most of the time) while this thread
// drains in batches of varying size; every item must arrive exactly once and in
// its producer's order.
// With `batch` > 1, producers push with try_push_batch() in batches of 1..batch
// items, as a shard flushing its outbox does.
void produce_one_by_one(MpscRing<Tagged>& ring, uint32_t p, uint32_t per_producer) {
  for (uint32_t s = 0; s < per_producer; ++s) {
    Tagged t{p, s, check_of(p, s)};
    while (!ring.try_push(t)) std::this_thread::yield();
  }
}

void produce_in_batches(MpscRing<Tagged>& ring, uint32_t p, uint32_t per_producer, uint32_t batch) {
  std::vector<Tagged> pending;
  uint32_t s = 0;
  for (uint32_t round = 0; s < per_producer || !pending.empty(); ++round) {
    // Top up to a batch of 1..batch items, then push what fits.
    const uint32_t want = 1 + (round * 7 + p) % batch;
    while (pending.size() < want && s < per_producer) pending.push_back({p, s, check_of(p, s++)});
    const std::size_t k = ring.try_push_batch(pending.data(), pending.size());
    pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(k));
    if (k == 0) std::this_thread::yield();
  }
}

void stress(uint32_t producers, uint32_t per_producer, uint32_t batch = 1) {
  MpscRing<Tagged> ring(64);
  std::vector<std::thread> threads;
  for (uint32_t p = 0; p < producers; ++p) {
    threads.emplace_back([&ring, p, per_producer, batch] {
      if (batch == 1) return produce_one_by_one(ring, p, per_producer);
      produce_in_batches(ring, p, per_producer, batch);
    });
  }
  std::vector<uint32_t> next(producers, 0);
  uint64_t received = 0, out_of_order = 0, torn = 0;
  const uint64_t total = uint64_t(producers) * per_producer;
  for (std::size_t turn = 0; received < total; ++turn) {
    const std::size_t n = ring.drain(
        [&](Tagged&& t) {
          if (t.producer >= producers || t.check != check_of(t.producer, t.seq)) {
            ++torn;
            return;
          }
          if (t.seq != next[t.producer]) ++out_of_order;
          next[t.producer] = t.seq + 1;
        },
        1 + turn % 48);
    received += n;
    if (n == 0) std::this_thread::yield();
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(out_of_order, 0u);
  for (uint32_t p = 0; p < producers; ++p) EXPECT_EQ(next[p], per_producer) << "producer " << p;
  EXPECT_TRUE(ring.empty());
}

// ~0.1 s normally, ~1.5 s under TSAN, with the ring full on ~20% of pushes.
constexpr uint32_t kPerProducer = 200'000;

TEST(MpscRingStress, ThreeProducers) { stress(3, kPerProducer); }
TEST(MpscRingStress, SevenProducers) { stress(7, kPerProducer); }
// Batches up to 100 on a ring of 64: whole, partial and refused batches all occur.
TEST(MpscRingStress, ThreeBatchingProducers) { stress(3, kPerProducer, 100); }
TEST(MpscRingStress, SevenBatchingProducers) { stress(7, kPerProducer, 24); }

}  // namespace
}  // namespace chatd::xshard
