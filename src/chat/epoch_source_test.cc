#include "chat/epoch_source.h"

#include <gtest/gtest.h>

namespace chatd::chat {
namespace {

TEST(EpochSource, FollowsTheClockAndNeverRepeats) {
  EpochSource epochs;
  EXPECT_EQ(epochs.next(1'700'000'000'000'000), 1'700'000'000'000'000u);
  EXPECT_EQ(epochs.next(1'700'000'000'000'000), 1'700'000'000'000'001u);  // same microsecond
  EXPECT_EQ(epochs.next(1'600'000'000'000'000), 1'700'000'000'000'002u);  // clock stepped back
  EXPECT_EQ(epochs.next(1'800'000'000'000'000), 1'800'000'000'000'000u);
  EXPECT_LT(epochs.next(1'800'000'000'000'000), uint64_t(1) << 53);
}

}  // namespace
}  // namespace chatd::chat
