#include "chat/sender_pacing.h"

#include <gtest/gtest.h>

namespace chatd::chat {
namespace {

constexpr std::size_t kBound = 64 * 1024;
constexpr Nanos kSlow = 2 * kSeconds;

TEST(SenderPacing, MarksAndWindowFollowTheBound) {
  SenderPacing p(kBound, kSlow);
  EXPECT_EQ(p.high_mark(), kBound / 2);
  EXPECT_EQ(p.low_mark(), kBound / 4);
  EXPECT_EQ(p.window(), kBound / 8);
  // Four windows fit between the high mark and the bound.
  EXPECT_LE(p.high_mark() + 4 * p.window(), kBound);
  EXPECT_EQ(p.grace(), kSeconds) << "capped at a second";
  EXPECT_EQ(SenderPacing(kBound, 300 * kMillis).grace(), 300 * kMillis) << "never longer than --slow-timeout";
}

TEST(SenderPacing, AMemberUnderTheHighMarkHoldsNobodyBack) {
  SenderPacing p(kBound, kSlow);
  KeepUp k;
  EXPECT_FALSE(p.holds_back(0, false, k, 10 * kSeconds));
  EXPECT_EQ(k.last_low, 10 * kSeconds) << "seen at the low mark";
  EXPECT_FALSE(p.holds_back(kBound / 2, false, k, 10 * kSeconds + 1));
  EXPECT_EQ(k.last_low, 10 * kSeconds) << "over the low mark is not low";
}

TEST(SenderPacing, AMemberThatDrainedRecentlyHoldsBackOverTheHighMark) {
  SenderPacing p(kBound, kSlow);
  KeepUp k;
  p.holds_back(100, false, k, 10 * kSeconds);
  EXPECT_TRUE(p.holds_back(kBound / 2 + 1, false, k, 10 * kSeconds + 1));
  EXPECT_TRUE(p.holds_back(kBound - 1, false, k, 10 * kSeconds + p.grace() - 1));
}

TEST(SenderPacing, AMemberThatDidNotDrainForTheGraceHoldsNobodyBack) {
  SenderPacing p(kBound, kSlow);
  KeepUp k;
  p.holds_back(100, false, k, 10 * kSeconds);
  EXPECT_FALSE(p.holds_back(kBound / 2 + 1, false, k, 10 * kSeconds + p.grace()));
  // Drains to the low mark (the kernel took bytes): holds back again at the next rise.
  p.on_sent(kBound / 4, k, 20 * kSeconds);
  EXPECT_TRUE(p.holds_back(kBound / 2 + 1, false, k, 20 * kSeconds + 1));
  // A send that leaves it over the low mark is not a drain.
  p.on_sent(kBound / 4 + 1, k, 30 * kSeconds);
  EXPECT_FALSE(p.holds_back(kBound / 2 + 1, false, k, 30 * kSeconds + 1));
}

TEST(SenderPacing, AMemberAlreadyDroppedForHoldsNobodyBack) {
  SenderPacing p(kBound, kSlow);
  KeepUp k;
  p.holds_back(0, false, k, kSeconds);
  EXPECT_FALSE(p.holds_back(kBound, /*watched=*/true, k, kSeconds + 1));
}

TEST(SenderPacing, ANeverSeenMemberOverTheLowMarkHoldsNobodyBack) {
  // Its queue rose by direct replies, never by broadcasts seen here: no proof it keeps up.
  SenderPacing p(kBound, kSlow);
  KeepUp k;
  EXPECT_FALSE(p.holds_back(kBound / 2 + 1, false, k, 100 * kSeconds));
}

TEST(SenderPacing, TheWindowAdmitsUpToItsSizeAndAlwaysOneMsg) {
  SenderPacing p(kBound, kSlow);
  EXPECT_TRUE(p.admits(0, 1'000'000)) << "a msg larger than the window still goes, alone";
  EXPECT_TRUE(p.admits(p.window() - 100, 100));
  EXPECT_FALSE(p.admits(p.window() - 100, 101));
  EXPECT_FALSE(p.resumes(p.window() / 2 + 1));
  EXPECT_TRUE(p.resumes(p.window() / 2));
}

TEST(SenderPacing, AMsgWeighsItsFieldsAndTheEventAroundThem) {
  EXPECT_EQ(SenderPacing::msg_weight(5, 6, 1024, 0), SenderPacing::msg_weight(0, 0, 1035, 0));
  EXPECT_GT(SenderPacing::msg_weight(5, 6, 1024, 0), 1035u);
}

TEST(SenderPacing, ATinyBoundStillHasAWindow) {
  SenderPacing p(4, kSlow);
  EXPECT_EQ(p.window(), 1u);
  EXPECT_TRUE(p.admits(0, 500));
  EXPECT_FALSE(p.admits(1, 500));
}

}  // namespace
}  // namespace chatd::chat
