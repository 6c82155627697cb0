// ConnsPerAddress: the limit per address, independence of addresses, slots freed
// on release, and the bound held under concurrent accepts and closes from
// several threads (as several shards do).
#include "net/conns_per_address.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace chatd::net {
namespace {

constexpr uint32_t kA = 0x7f000001;  // 127.0.0.1
constexpr uint32_t kB = 0x7f000002;  // 127.0.0.2

TEST(ConnsPerAddress, RefusesPastTheLimitPerAddress) {
  ConnsPerAddress t(3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(t.try_acquire(kA)) << i;
  EXPECT_FALSE(t.try_acquire(kA));
  EXPECT_FALSE(t.try_acquire(kA));
  EXPECT_EQ(t.held(kA), 3u);  // refusals count nothing
  EXPECT_TRUE(t.try_acquire(kB));
  EXPECT_EQ(t.held(kB), 1u);
}

TEST(ConnsPerAddress, AReleaseFreesASlot) {
  ConnsPerAddress t(2);
  ASSERT_TRUE(t.try_acquire(kA));
  ASSERT_TRUE(t.try_acquire(kA));
  ASSERT_FALSE(t.try_acquire(kA));
  t.release(kA);
  EXPECT_EQ(t.held(kA), 1u);
  EXPECT_TRUE(t.try_acquire(kA));
  t.release(kA);
  t.release(kA);
  EXPECT_EQ(t.held(kA), 0u);
  EXPECT_TRUE(t.try_acquire(kA));
}

TEST(ConnsPerAddress, LimitOfOne) {
  ConnsPerAddress t(1);
  EXPECT_TRUE(t.try_acquire(0));
  EXPECT_FALSE(t.try_acquire(0));
  EXPECT_TRUE(t.try_acquire(0xffffffff));
  t.release(0);
  EXPECT_TRUE(t.try_acquire(0));
}

// Several threads (shards) accept and close for the same addresses at once: no
// address ever holds more than the limit, and every slot comes back.
TEST(ConnsPerAddress, TheLimitHoldsAcrossThreads) {
  constexpr uint32_t kLimit = 5;
  constexpr int kThreads = 4;
  constexpr int kRounds = 200000;
  ConnsPerAddress t(kLimit);
  std::atomic<int> held_a{0}, peak_a{0};
  std::atomic<int> granted{0}, refused{0}, started{0};
  std::vector<std::thread> threads;
  for (int id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      std::vector<uint32_t> mine;  // at most 3: only threads together reach the limit
      ++started;
      while (started.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kRounds; ++i) {
        const uint32_t addr = (i + id) % 3 == 0 ? kB : kA;
        if (t.try_acquire(addr)) {
          ++granted;
          if (addr == kA) {
            const int now = ++held_a;
            int peak = peak_a.load();
            while (now > peak && !peak_a.compare_exchange_weak(peak, now)) {
            }
          }
          mine.push_back(addr);
        } else {
          ++refused;
        }
        if (mine.size() >= 3 || (i % 7 == 0 && !mine.empty())) {
          if (mine.back() == kA) --held_a;
          t.release(mine.back());
          mine.pop_back();
        }
      }
      for (uint32_t addr : mine) {
        if (addr == kA) --held_a;
        t.release(addr);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(peak_a.load(), int(kLimit));
  EXPECT_GT(refused.load(), 0) << "the test never reached the limit";
  EXPECT_GT(granted.load(), 0);
  EXPECT_EQ(t.held(kA), 0u);
  EXPECT_EQ(t.held(kB), 0u);
}

}  // namespace
}  // namespace chatd::net
