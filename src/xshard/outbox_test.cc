#include "xshard/outbox.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace chatd::xshard {
namespace {

Envelope numbered(uintptr_t n) { return Envelope{nullptr, reinterpret_cast<void*>(n)}; }
uintptr_t number(const Envelope& e) { return reinterpret_cast<uintptr_t>(e.body); }

std::vector<uintptr_t> drain(MpscRing<Envelope>& ring) {
  std::vector<uintptr_t> out;
  ring.drain([&](Envelope&& e) { out.push_back(number(e)); });
  return out;
}

std::vector<uintptr_t> range(uintptr_t from, uintptr_t to) {
  std::vector<uintptr_t> v;
  for (uintptr_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

TEST(Outbox, KeepsOrderAcrossGrowthAndAFullRing) {
  Outbox box(1000);
  for (uintptr_t i = 0; i < 300; ++i) box.push(numbered(i));  // grows 64 -> 512
  MpscRing<Envelope> ring(128);
  EXPECT_EQ(box.flush_into(ring), 128u);  // the ring is full: the rest waits
  EXPECT_EQ(box.size(), 172u);
  EXPECT_EQ(drain(ring), range(0, 128));
  for (uintptr_t i = 300; i < 310; ++i) box.push(numbered(i));  // behind what waits
  EXPECT_EQ(box.flush_into(ring), 128u);
  EXPECT_EQ(drain(ring), range(128, 256));
  EXPECT_EQ(box.flush_into(ring), 54u);
  EXPECT_EQ(drain(ring), range(256, 310));
  EXPECT_TRUE(box.empty());
}

TEST(Outbox, FlushesAcrossTheWrapOfItsStorage) {
  Outbox box(1000);
  MpscRing<Envelope> ring(64);
  uintptr_t next = 0, expected = 0;
  // Keep between 10 and 60 waiting so the front walks around the 64-slot storage.
  for (int round = 0; round < 50; ++round) {
    while (box.size() < 60) box.push(numbered(next++));
    const std::size_t moved = box.flush_into(ring);
    EXPECT_GT(moved, 0u);
    for (uintptr_t v : drain(ring)) EXPECT_EQ(v, expected++);
    while (box.size() > 10) {
      box.flush_into(ring);
      for (uintptr_t v : drain(ring)) EXPECT_EQ(v, expected++);
    }
  }
  box.flush_into(ring);
  for (uintptr_t v : drain(ring)) EXPECT_EQ(v, expected++);
  EXPECT_EQ(expected, next);
}

// The bound: the owner admits new work only under the watermark and resumes held
// work once the outbox is back at half of it. Nothing pushed is ever refused.
TEST(Outbox, WatermarksSayWhenToHoldAndWhenToResume) {
  Outbox box(8);
  for (uintptr_t i = 0; i < 7; ++i) box.push(numbered(i));
  EXPECT_FALSE(box.over_watermark());
  box.push(numbered(7));
  EXPECT_TRUE(box.over_watermark());
  EXPECT_FALSE(box.below_low_watermark());
  box.push(numbered(8));  // past the watermark: still kept
  EXPECT_EQ(box.size(), 9u);
  EXPECT_EQ(box.peak(), 9u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(number(box.take_front()), uintptr_t(i));
  EXPECT_FALSE(box.below_low_watermark());  // 5 left
  box.take_front();
  EXPECT_TRUE(box.below_low_watermark());  // 4 left: half the watermark
  MpscRing<Envelope> ring(16);
  EXPECT_EQ(box.flush_into(ring), 4u);
  EXPECT_EQ(drain(ring), range(5, 9));
}

// What was never handed over is discarded when the outbox goes, also after a move:
// every body freed once, nothing run.
TEST(Outbox, DiscardsWhatItStillHoldsOnce) {
  static int discarded, run;
  discarded = run = 0;
  const Envelope e{[](void* receiver, void*) { ++(receiver ? run : discarded); }, nullptr};
  {
    Outbox box(8);
    for (int i = 0; i < 100; ++i) box.push(e);
    Outbox moved(std::move(box));
    EXPECT_EQ(moved.size(), 100u);
    EXPECT_TRUE(box.empty());
    moved.take_front().open(&moved);
  }
  EXPECT_EQ(run, 1);
  EXPECT_EQ(discarded, 99);
}

}  // namespace
}  // namespace chatd::xshard
