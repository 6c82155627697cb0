#include "loadgen/engine/open_loop_schedule.h"

#include <gtest/gtest.h>

#include <vector>

namespace chatd::loadgen {
namespace {

TEST(OpenLoopSchedule, SpreadsClientsEvenlyOverThePeriod) {
  // 1000 msgs/s over 10 clients: each sends every 10 ms; one worker of 10 slots.
  OpenLoopSchedule s(1'000'000, 1000, 10, 10, 0.0);
  EXPECT_EQ(s.period(), 10 * kMillis);
  EXPECT_EQ(s.intended(0, 0), 1'000'000);
  EXPECT_EQ(s.intended(1, 0), 1'000'000 + kMillis);
  EXPECT_EQ(s.intended(0, 3), 1'000'000 + 30 * kMillis);
  EXPECT_EQ(s.due(0, 0), 0u);
  EXPECT_EQ(s.due(0, 1'000'000), 1u);
  EXPECT_EQ(s.due(0, 1'000'000 + 25 * kMillis), 3u);
  EXPECT_EQ(s.due(9, 1'000'000 + 8 * kMillis), 0u);
}

TEST(OpenLoopSchedule, CursorVisitsInIntendedTimeOrder) {
  OpenLoopSchedule s(0, 300, 6, 3, 0.5);  // this worker has 3 of 6 clients, second phase
  OpenLoopSchedule::Cursor c;
  Nanos last = -1;
  for (int i = 0; i < 12; ++i) {
    EXPECT_GT(s.at(c), last);
    last = s.at(c);
    c = s.next(c);
  }
  EXPECT_EQ(c.round, 4u);
  EXPECT_EQ(c.slot, 0u);
}

TEST(OpenLoopSchedule, TwoWorkersTogetherMakeTheTotalRate) {
  // 2 workers x 5 clients at 1000 msgs/s total: in one second, 1000 messages due.
  OpenLoopSchedule a(0, 1000, 10, 5, 0.0), b(0, 1000, 10, 5, 0.5);
  uint64_t due = 0;
  for (uint32_t i = 0; i < 5; ++i) due += a.due(i, kSeconds - 1) + b.due(i, kSeconds - 1);
  EXPECT_EQ(due, 1000u);
}

}  // namespace
}  // namespace chatd::loadgen
