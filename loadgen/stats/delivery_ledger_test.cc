#include "loadgen/stats/delivery_ledger.h"

#include <gtest/gtest.h>

namespace chatd::loadgen {
namespace {

using Outcome = DeliveryLedger::Outcome;

TEST(SeqTracker, InOrderDuplicateAndReordered) {
  SeqTracker t;
  t.reset(10);  // joined a room whose last seq was 10
  EXPECT_EQ(t.observe(11), SeqTracker::Verdict::in_order);
  EXPECT_EQ(t.observe(13), SeqTracker::Verdict::in_order);  // a gap is not a reorder (loss shows in the counts)
  EXPECT_EQ(t.observe(12), SeqTracker::Verdict::out_of_order);
  EXPECT_EQ(t.observe(12), SeqTracker::Verdict::duplicate);
  EXPECT_EQ(t.observe(13), SeqTracker::Verdict::duplicate);
  EXPECT_EQ(t.observe(10), SeqTracker::Verdict::out_of_order) << "before the join, never seen";
}

TEST(SeqTracker, WindowSlidesWithoutStaleBits) {
  SeqTracker t;
  t.reset(0);
  for (int64_t s = 1; s <= 5000; ++s) ASSERT_EQ(t.observe(s), SeqTracker::Verdict::in_order) << s;
  EXPECT_EQ(t.observe(5000 - SeqTracker::kWindow + 1), SeqTracker::Verdict::duplicate);
  EXPECT_EQ(t.observe(5000 - SeqTracker::kWindow), SeqTracker::Verdict::out_of_order) << "older than the window";
  // A jump past the window clears it: the seqs in between were never seen.
  EXPECT_EQ(t.observe(9000), SeqTracker::Verdict::in_order);
  EXPECT_EQ(t.observe(8999), SeqTracker::Verdict::out_of_order);
}

// A synthetic step: 2 rooms, room A with receivers x and y, room B with z.
// x sends 3 messages (2 receivers each), z sends 2 (1 receiver each): 8 expected.
TEST(DeliveryLedger, CountsExpectedReceivedLostDuplicatesAndReordering) {
  DeliveryLedger ledger;
  ledger.begin_step(1);
  SeqTracker x, y, z;
  x.reset(0);
  y.reset(0);
  z.reset(0);
  // Written at 100.. and 200..; the open loop had meant them for 90.. and 190..
  for (int i = 0; i < 3; ++i) ledger.on_send(2, 100 + i, 90 + i);
  for (int i = 0; i < 2; ++i) ledger.on_send(1, 200 + i, 190 + i);

  EXPECT_EQ(ledger.on_room_delivery(x, 1, 1, 1000), Outcome::counted);
  EXPECT_EQ(ledger.on_room_delivery(x, 1, 2, 1001), Outcome::counted);
  EXPECT_EQ(ledger.on_room_delivery(x, 1, 3, 1002), Outcome::counted);
  EXPECT_EQ(ledger.on_room_delivery(y, 1, 2, 1003), Outcome::counted);
  EXPECT_EQ(ledger.on_room_delivery(y, 1, 1, 1004), Outcome::out_of_order);
  EXPECT_EQ(ledger.on_room_delivery(y, 1, 1, 1005), Outcome::duplicate);
  // y never gets seq 3: one lost.
  EXPECT_EQ(ledger.on_room_delivery(z, 1, 1, 1006), Outcome::counted);
  EXPECT_EQ(ledger.on_room_delivery(z, 1, 2, 1010), Outcome::counted);
  ledger.on_error("rate_limited");
  ledger.on_error("rate_limited");
  ledger.on_foreign();

  StepTally t = ledger.take();
  EXPECT_EQ(t.sent, 5u);
  EXPECT_EQ(t.expected, 8u);
  EXPECT_EQ(t.received, 7u);
  EXPECT_EQ(t.lost(), 1u);
  EXPECT_EQ(t.duplicates, 1u);
  EXPECT_EQ(t.out_of_order, 1u);
  EXPECT_EQ(t.foreign, 1u);
  EXPECT_EQ(t.first_send, 100) << "the first send is when it was written";
  EXPECT_EQ(t.last_intended_send, 191) << "the last intended send is the latest ts";
  EXPECT_EQ(t.last_delivery, 1010);
  EXPECT_EQ(t.errors.get("rate_limited"), 2u);
  EXPECT_EQ(ledger.tally().sent, 0u) << "take() starts afresh";
}

TEST(DeliveryLedger, LateDeliveriesBelongToNoStep) {
  DeliveryLedger ledger;
  ledger.begin_step(2);
  SeqTracker x;
  x.reset(0);
  EXPECT_EQ(ledger.on_room_delivery(x, 1, 1, 5), Outcome::late);
  SenderOrder from_a;
  EXPECT_EQ(ledger.on_sender_delivery(from_a, 1, 0, 6), Outcome::late);
  EXPECT_EQ(ledger.on_sender_delivery(from_a, 2, 0, 7), Outcome::counted);
  EXPECT_EQ(ledger.on_direct_delivery(1, WhisperRegister::Mark::first, 8), Outcome::late);
  EXPECT_EQ(ledger.tally().late, 3u);
  EXPECT_EQ(ledger.tally().received, 1u);
}

TEST(WhisperRegister, TellsRepeatsPerSenderAndNWithinItsBound) {
  WhisperRegister r;
  using Mark = WhisperRegister::Mark;
  r.begin_step(1, 3, 100);
  EXPECT_EQ(r.mark(1, 0, 0), Mark::first);
  EXPECT_EQ(r.mark(1, 2, 99), Mark::first);
  EXPECT_EQ(r.mark(1, 1, 0), Mark::first);
  EXPECT_EQ(r.mark(1, 0, 0), Mark::repeat);
  EXPECT_EQ(r.mark(1, 2, 99), Mark::repeat);
  EXPECT_EQ(r.mark(1, 3, 0), Mark::unchecked) << "not a sender of this step";
  EXPECT_EQ(r.mark(1, 0, 100), Mark::unchecked);
  EXPECT_EQ(r.mark(2, 0, 1), Mark::unchecked) << "a step the register has not begun";
  r.begin_step(2, 3, 100);
  EXPECT_EQ(r.mark(2, 0, 0), Mark::first) << "each step starts afresh";
  r.begin_step(3, 1u << 20, 1u << 10);  // 2^30 bits: over the bound
  EXPECT_EQ(r.mark(3, 0, 0), Mark::unchecked);

  DeliveryLedger ledger;
  ledger.begin_step(1);
  EXPECT_EQ(ledger.on_direct_delivery(1, Mark::first, 1), Outcome::counted);
  EXPECT_EQ(ledger.on_direct_delivery(1, Mark::repeat, 2), Outcome::duplicate);
  EXPECT_EQ(ledger.on_direct_delivery(1, Mark::unchecked, 3), Outcome::counted);
  EXPECT_EQ(ledger.tally().received, 2u);
  EXPECT_EQ(ledger.tally().duplicates, 1u);
  EXPECT_EQ(ledger.tally().unchecked_whispers, 1u);
}

TEST(SenderOrder, TellsDuplicatesFromReorderingByEachSendersN) {
  SenderOrder o;
  using V = SeqTracker::Verdict;
  EXPECT_EQ(o.observe(1, 0), V::in_order);
  EXPECT_EQ(o.observe(1, 1), V::in_order);
  EXPECT_EQ(o.observe(1, 1), V::duplicate);
  EXPECT_EQ(o.observe(1, 5), V::in_order) << "a gap is loss, not reordering";
  EXPECT_EQ(o.observe(1, 3), V::out_of_order);
  EXPECT_EQ(o.observe(1, 3), V::duplicate);
  EXPECT_EQ(o.observe(1, 0), V::duplicate);
  EXPECT_EQ(o.observe(1, 200), V::in_order);
  EXPECT_EQ(o.observe(1, 200 - 64), V::out_of_order) << "beyond the window: cannot tell, counted out of order";
  EXPECT_EQ(o.observe(1, 199), V::out_of_order);
  EXPECT_EQ(o.observe(2, 0), V::in_order) << "n starts again each step";
  EXPECT_EQ(o.observe(2, 0), V::duplicate);
}

TEST(DeliveryLedger, SenderDeliveriesCountLikeRoomDeliveries) {
  DeliveryLedger ledger;
  ledger.begin_step(1);
  ledger.on_send(3, 1, 1);
  ledger.on_send(3, 1, 1);
  SenderOrder a, b;
  EXPECT_EQ(ledger.on_sender_delivery(a, 1, 0, 10), Outcome::counted);
  EXPECT_EQ(ledger.on_sender_delivery(a, 1, 2, 11), Outcome::counted);
  EXPECT_EQ(ledger.on_sender_delivery(a, 1, 1, 12), Outcome::out_of_order);
  EXPECT_EQ(ledger.on_sender_delivery(a, 1, 1, 13), Outcome::duplicate);
  EXPECT_EQ(ledger.on_sender_delivery(b, 1, 0, 14), Outcome::counted);
  const StepTally& t = ledger.tally();
  EXPECT_EQ(t.received, 4u);
  EXPECT_EQ(t.duplicates, 1u);
  EXPECT_EQ(t.out_of_order, 1u);
  EXPECT_EQ(t.lost(), 2u);
  EXPECT_EQ(t.last_delivery, 14);
}

TEST(DeliveryLedger, RejectedMessagesAreOwedToNobody) {
  DeliveryLedger ledger;
  ledger.begin_step(1);
  ledger.on_send(4, 1, 1);
  ledger.on_send(4, 2, 2);
  ledger.on_rejected(4);
  SeqTracker x;
  x.reset(0);
  for (int64_t s = 1; s <= 4; ++s) ledger.on_room_delivery(x, 1, s, 10);
  EXPECT_EQ(ledger.tally().lost(), 0u);
  EXPECT_EQ(ledger.tally().rejected, 1u);
}

TEST(StepTally, MergeAddsEveryCounter) {
  StepTally a, b;
  a.sent = 1;
  a.expected = 2;
  a.received = 2;
  a.first_send = 50;
  a.last_intended_send = 55;
  a.last_delivery = 70;
  a.errors.add("x");
  b.sent = 3;
  b.expected = 6;
  b.received = 5;
  b.first_send = 40;
  b.last_intended_send = 58;
  b.last_delivery = 60;
  b.errors.add("x");
  b.errors.add("a");
  a.merge(b);
  EXPECT_EQ(a.sent, 4u);
  EXPECT_EQ(a.lost(), 1u);
  EXPECT_EQ(a.first_send, 40);
  EXPECT_EQ(a.last_intended_send, 58);
  EXPECT_EQ(a.last_delivery, 70);
  EXPECT_EQ(a.errors.get("x"), 2u);
  ASSERT_EQ(a.errors.entries().size(), 2u);
  EXPECT_EQ(a.errors.entries()[0].first, "a") << "sorted by code";
}

}  // namespace
}  // namespace chatd::loadgen
