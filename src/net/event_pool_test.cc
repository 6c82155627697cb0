#include "net/event_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

namespace chatd::net {
namespace {

TEST(EventPool, ABlockGivenBackIsHandedOutAgain) {
  EventPool pool;
  void* a = EventPool::allocate(&pool, 100);
  std::memset(a, 0xab, 100);
  EventPool::release(a);
  void* b = EventPool::allocate(&pool, 120);  // same class (256 with the header)
  EXPECT_EQ(a, b);
  EXPECT_EQ(pool.blocks_made(), 1u);
  EventPool::release(b);
}

TEST(EventPool, SizeClassesAndOversizeBlocks) {
  EventPool pool;
  void* small = EventPool::allocate(&pool, 200);
  void* mid = EventPool::allocate(&pool, 5000);
  void* big = EventPool::allocate(&pool, 1 << 20);  // past the largest class
  std::memset(big, 1, 1 << 20);
  EXPECT_EQ(pool.blocks_made(), 2u);
  EXPECT_EQ(pool.oversize(), 1u);
  for (void* p : {small, mid, big}) EventPool::release(p);
  EXPECT_EQ(EventPool::allocate(&pool, 5000), mid);
  EventPool::release(mid);
  // Without a pool: plain malloc and free.
  void* plain = EventPool::allocate(nullptr, 64);
  EventPool::release(plain);
}

TEST(EventPool, KeepsAtMostItsBoundOfFreeBlocks) {
  EventPool pool;
  constexpr std::size_t kBytes = 64 * 1024;  // class of 128 KiB with the header: 8 kept
  std::vector<void*> blocks;
  for (int i = 0; i < 20; ++i) blocks.push_back(EventPool::allocate(&pool, kBytes));
  for (void* p : blocks) EventPool::release(p);
  std::set<void*> reused;
  for (int i = 0; i < 20; ++i) reused.insert(EventPool::allocate(&pool, kBytes));
  // 8 came from the pool, 12 were cut anew: the 12 over the bound went to malloc.
  EXPECT_EQ(pool.blocks_made(), 32u);
  for (void* p : reused) EventPool::release(p);
}

// Other threads give back what the owner allocated (the last reference of an
// event is often dropped by another shard); the owner reuses it all.
TEST(EventPool, BlocksGivenBackByOtherThreadsAreReused) {
  EventPool pool;
  constexpr int kRounds = 200, kPerRound = 64, kThreads = 3;
  std::atomic<void*> handoff[kThreads][kPerRound] = {};
  std::atomic<int> round_done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        for (int i = 0; i < kPerRound; ++i) {
          void* p;
          while ((p = handoff[t][i].exchange(nullptr, std::memory_order_acquire)) == nullptr) std::this_thread::yield();
          EXPECT_EQ(static_cast<unsigned char*>(p)[7], static_cast<unsigned char>(r));
          EventPool::release(p);
        }
        round_done.fetch_add(1, std::memory_order_release);
      }
    });
  }
  for (int r = 0; r < kRounds; ++r) {
    for (int t = 0; t < kThreads; ++t) {
      for (int i = 0; i < kPerRound; ++i) {
        auto* p = static_cast<unsigned char*>(EventPool::allocate(&pool, 100));
        std::memset(p, r, 100);
        handoff[t][i].store(p, std::memory_order_release);
      }
    }
    // Wait until this round is given back, so the next one can reuse it.
    while (round_done.load(std::memory_order_acquire) < (r + 1) * kThreads) std::this_thread::yield();
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(pool.blocks_made(), uint64_t(kThreads * kPerRound));
}

}  // namespace
}  // namespace chatd::net
