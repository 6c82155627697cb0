#include "chat/join_recovery.h"

#include <gtest/gtest.h>

namespace chatd::chat {
namespace {

constexpr uint64_t kEpoch = 5120;

TEST(JoinRecovery, SameEpochWithEverythingStoredRecoversTheGap) {
  // The room gave out 1..42 and still holds 3..42.
  RecoveryVerdict v = decide_recovery({40, kEpoch}, kEpoch, 42, 3);
  EXPECT_TRUE(v.recovered);
  EXPECT_EQ(v.missed, 2u);
}

TEST(JoinRecovery, UpToDateRecoversNothingMissed) {
  RecoveryVerdict v = decide_recovery({42, kEpoch}, kEpoch, 42, 3);
  EXPECT_TRUE(v.recovered);
  EXPECT_EQ(v.missed, 0u);
  // An empty room of this epoch: since 0 is up to date.
  v = decide_recovery({0, kEpoch}, kEpoch, 0, 1);
  EXPECT_TRUE(v.recovered);
  EXPECT_EQ(v.missed, 0u);
}

TEST(JoinRecovery, TheOldestNeededMessageMustStillBeStored) {
  EXPECT_TRUE(decide_recovery({2, kEpoch}, kEpoch, 42, 3).recovered);   // needs 3..42
  EXPECT_FALSE(decide_recovery({1, kEpoch}, kEpoch, 42, 3).recovered);  // needs 2: gone
  EXPECT_FALSE(decide_recovery({0, kEpoch}, kEpoch, 42, 3).recovered);
}

TEST(JoinRecovery, AnotherEpochNeverRecovers) {
  RecoveryVerdict v = decide_recovery({40, kEpoch - 1}, kEpoch, 42, 1);
  EXPECT_FALSE(v.recovered);
  EXPECT_EQ(v.missed, 0u);
}

TEST(JoinRecovery, ASeqTheRoomNeverGaveOutDoesNotRecover) {
  EXPECT_FALSE(decide_recovery({43, kEpoch}, kEpoch, 42, 1).recovered);
}

TEST(JoinRecovery, AJoinAsksOnlyWithSince) {
  proto::Request r;
  r.op = proto::Op::join;
  EXPECT_FALSE(recovery_ask(r).has_value());
  r.has_since = r.has_epoch = true;
  r.since = 40;
  r.epoch = int64_t(kEpoch);
  ASSERT_TRUE(recovery_ask(r).has_value());
  EXPECT_EQ(recovery_ask(r)->since, 40u);
  EXPECT_EQ(recovery_ask(r)->epoch, kEpoch);
}

TEST(JoinRecovery, AMalformedAskIsAnsweredNotRecovered) {
  proto::Request r;
  r.op = proto::Op::join;
  r.has_since = true;  // no epoch
  r.since = 40;
  ASSERT_TRUE(recovery_ask(r).has_value());
  EXPECT_FALSE(decide_recovery(*recovery_ask(r), kEpoch, 42, 3).recovered);
  r.has_epoch = true;
  r.epoch = int64_t(kEpoch);
  r.since = -1;
  EXPECT_FALSE(decide_recovery(*recovery_ask(r), kEpoch, 42, 1).recovered);
  r.since = 40;
  r.epoch = -int64_t(kEpoch);
  EXPECT_FALSE(decide_recovery(*recovery_ask(r), kEpoch, 42, 1).recovered);
}

}  // namespace
}  // namespace chatd::chat
