#include "chat/delivery_policy.h"

#include <gtest/gtest.h>

namespace chatd::chat {
namespace {

constexpr std::size_t kBound = 1000;
constexpr Nanos kTimeout = 10 * kSeconds;

TEST(DeliveryPolicy, DeliversUpToTheBoundExactly) {
  DeliveryPolicy policy(kBound, kTimeout);
  OverBound state;
  EXPECT_EQ(policy.broadcast(900, 100, state, 5), BroadcastVerdict::deliver);
  EXPECT_FALSE(state.watched());
}

TEST(DeliveryPolicy, TheFirstDropStartsTheClockLaterDropsDoNot) {
  DeliveryPolicy policy(kBound, kTimeout);
  OverBound state;
  EXPECT_EQ(policy.broadcast(950, 100, state, 5 * kSeconds), BroadcastVerdict::drop_and_watch);
  EXPECT_EQ(state.since, 5 * kSeconds);
  EXPECT_EQ(policy.broadcast(950, 100, state, 6 * kSeconds), BroadcastVerdict::drop);
  EXPECT_EQ(state.since, 5 * kSeconds);
  // Room for a small one again: delivered, but the clock keeps running.
  EXPECT_EQ(policy.broadcast(950, 50, state, 7 * kSeconds), BroadcastVerdict::deliver);
  EXPECT_TRUE(state.watched());
}

TEST(DeliveryPolicy, SlowVerdictHasHysteresisAtHalfTheBound) {
  DeliveryPolicy policy(kBound, kTimeout);
  OverBound state{1 * kSeconds};
  // Just under the bound is still over for the verdict: only half forgives.
  EXPECT_EQ(policy.check_slow(999, state, 2 * kSeconds), SlowVerdict::watching);
  EXPECT_EQ(policy.check_slow(501, state, 2 * kSeconds), SlowVerdict::watching);
  EXPECT_EQ(policy.check_slow(501, state, 11 * kSeconds - 1), SlowVerdict::watching);
  EXPECT_EQ(policy.check_slow(501, state, 11 * kSeconds), SlowVerdict::disconnect);
  EXPECT_EQ(policy.check_slow(500, state, 11 * kSeconds), SlowVerdict::forgiven);
  EXPECT_FALSE(state.watched());
}

TEST(DeliveryPolicy, RepliesPauseInputOverTheBoundAndResumeAtHalf) {
  DeliveryPolicy policy(kBound, kTimeout);
  EXPECT_FALSE(policy.pause_input(1000));
  EXPECT_TRUE(policy.pause_input(1001));
  EXPECT_FALSE(policy.resume_input(501));
  EXPECT_TRUE(policy.resume_input(500));
}

TEST(DeliveryPolicy, WhispersFitUpToTheBound) {
  DeliveryPolicy policy(kBound, kTimeout);
  EXPECT_TRUE(policy.whisper_fits(900, 100));
  EXPECT_FALSE(policy.whisper_fits(901, 100));
}

}  // namespace
}  // namespace chatd::chat
