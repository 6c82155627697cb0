#include "chat/history_ring.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace chatd::chat {
namespace {

std::vector<int> since(const HistoryRing<int>& ring, uint64_t seq, std::size_t limit) {
  std::vector<int> out;
  const std::size_t n = ring.for_each_since(seq, limit, [&](int v) { out.push_back(v); });
  EXPECT_EQ(n, out.size());
  return out;
}

TEST(HistoryRing, EmptyHoldsNothing) {
  HistoryRing<int> ring(4);
  EXPECT_EQ(ring.first_seq(), 1u);
  EXPECT_EQ(ring.last_seq(), 0u);
  EXPECT_TRUE(since(ring, 0, 100).empty());
}

TEST(HistoryRing, KeepsTheLastCapacityInOrder) {
  HistoryRing<int> ring(1000);
  for (int seq = 1; seq <= 2500; ++seq) ring.remember(uint64_t(seq), seq);
  EXPECT_EQ(ring.first_seq(), 1501u);
  auto all = since(ring, 0, 5000);
  ASSERT_EQ(all.size(), 1000u);
  EXPECT_EQ(all.front(), 1501);
  EXPECT_EQ(all.back(), 2500);
  EXPECT_EQ(since(ring, 2000, 3), (std::vector<int>{2001, 2002, 2003}));
  EXPECT_TRUE(since(ring, 2500, 10).empty());
  EXPECT_TRUE(since(ring, 0, 0).empty());
  EXPECT_TRUE(since(ring, 9999, 10).empty());
}

TEST(HistoryRing, ACapacityOfZeroStillKeepsTheLastOne) {
  HistoryRing<int> ring(0);
  ring.remember(1, 10);
  ring.remember(2, 20);
  EXPECT_EQ(ring.capacity(), 1u);
  EXPECT_EQ(since(ring, 0, 10), (std::vector<int>{20}));
}

// The stored handle's destructor is how the owner's buffers are let go: a
// message that falls out, and every message when the ring goes, is released once.
TEST(HistoryRing, ReleasesWhatFallsOutAndWhatItHeldAtTheEnd) {
  auto alive = std::make_shared<int>(0);
  struct Counted {
    std::shared_ptr<int> counter;
    Counted() = default;
    explicit Counted(std::shared_ptr<int> c) : counter(std::move(c)) { ++*counter; }
    Counted(Counted&&) = default;
    Counted& operator=(Counted&& o) noexcept {
      if (counter) --*counter;
      counter = std::move(o.counter);
      return *this;
    }
    ~Counted() {
      if (counter) --*counter;
    }
  };
  {
    HistoryRing<Counted> ring(3);
    for (uint64_t seq = 1; seq <= 5; ++seq) ring.remember(seq, Counted(alive));
    EXPECT_EQ(*alive, 3);
  }
  EXPECT_EQ(*alive, 0);
}

}  // namespace
}  // namespace chatd::chat
