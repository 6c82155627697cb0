#include "loadgen/stats/delivery_ledger.h"

#include <algorithm>

namespace chatd::loadgen {

void SeqTracker::reset(int64_t last_seq) {
  highest_ = last_seq;
  bits_.fill(0);
}

bool SeqTracker::seen(int64_t seq) const {
  const uint64_t slot = uint64_t(seq) % kWindow;
  return bits_[slot / 64] >> (slot % 64) & 1;
}

void SeqTracker::mark(int64_t seq) {
  const uint64_t slot = uint64_t(seq) % kWindow;
  bits_[slot / 64] |= uint64_t(1) << (slot % 64);
}

SeqTracker::Verdict SeqTracker::observe(int64_t seq) {
  if (seq > highest_) {
    // Slots of the seqs skipped over now stand for seqs kWindow lower: clear them.
    const int64_t gap = std::min(seq - highest_, kWindow);
    for (int64_t s = seq - gap + 1; s <= seq; ++s) {
      const uint64_t slot = uint64_t(s) % kWindow;
      bits_[slot / 64] &= ~(uint64_t(1) << (slot % 64));
    }
    highest_ = seq;
    mark(seq);
    return Verdict::in_order;
  }
  if (seq <= highest_ - kWindow || seq <= 0) return Verdict::out_of_order;
  if (seen(seq)) return Verdict::duplicate;
  mark(seq);
  return Verdict::out_of_order;
}

SeqTracker::Verdict SenderOrder::observe(uint32_t msg_step, uint32_t n) {
  if (msg_step != step) {
    step = msg_step;
    next = 0;
    bits = 0;
  }
  if (n >= next) {
    const uint64_t shift = uint64_t(n) + 1 - next;
    bits = (shift >= kWindow ? 0 : bits << shift) | 1;
    next = n + 1;
    return SeqTracker::Verdict::in_order;
  }
  const uint32_t back = next - 1 - n;
  if (back >= kWindow) return SeqTracker::Verdict::out_of_order;
  const uint64_t bit = uint64_t(1) << back;
  if (bits & bit) return SeqTracker::Verdict::duplicate;
  bits |= bit;
  return SeqTracker::Verdict::out_of_order;
}

void WhisperRegister::begin_step(uint32_t step, uint32_t senders, uint32_t per_sender) {
  step_ = step;
  senders_ = senders;
  per_sender_ = per_sender;
  const uint64_t bits = senders_ * per_sender_;
  bits_.assign(bits <= kMaxBits ? (bits + 63) / 64 : 0, 0);  // keeps its capacity from step to step
}

WhisperRegister::Mark WhisperRegister::mark(uint32_t step, uint32_t sender, uint32_t n) {
  if (step != step_ || sender >= senders_ || n >= per_sender_ || bits_.empty()) return Mark::unchecked;
  const uint64_t bit = uint64_t(sender) * per_sender_ + n;
  uint64_t& word = bits_[bit / 64];
  const uint64_t mask = uint64_t(1) << (bit % 64);
  if (word & mask) return Mark::repeat;
  word |= mask;
  return Mark::first;
}

void ErrorCounts::add(std::string_view code, uint64_t n) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), code,
                             [](const auto& e, std::string_view c) { return e.first < c; });
  if (it != entries_.end() && it->first == code) {
    it->second += n;
  } else {
    entries_.insert(it, {std::string(code), n});
  }
}

void ErrorCounts::merge(const ErrorCounts& other) {
  for (const auto& [code, n] : other.entries_) add(code, n);
}

uint64_t ErrorCounts::total() const {
  uint64_t t = 0;
  for (const auto& e : entries_) t += e.second;
  return t;
}

uint64_t ErrorCounts::get(std::string_view code) const {
  for (const auto& e : entries_)
    if (e.first == code) return e.second;
  return 0;
}

void StepTally::merge(const StepTally& o) {
  sent += o.sent;
  rejected += o.rejected;
  expected += o.expected;
  rejected_deliveries += o.rejected_deliveries;
  received += o.received;
  duplicates += o.duplicates;
  out_of_order += o.out_of_order;
  late += o.late;
  foreign += o.foreign;
  unchecked_whispers += o.unchecked_whispers;
  closed_by_server += o.closed_by_server;
  if (o.first_send != 0 && (first_send == 0 || o.first_send < first_send)) first_send = o.first_send;
  last_intended_send = std::max(last_intended_send, o.last_intended_send);
  last_delivery = std::max(last_delivery, o.last_delivery);
  errors.merge(o.errors);
}

void DeliveryLedger::on_send(uint64_t receivers, Nanos now, Nanos intended) {
  ++tally_.sent;
  tally_.expected += receivers;
  if (tally_.first_send == 0) tally_.first_send = now;
  tally_.last_intended_send = std::max(tally_.last_intended_send, intended);
}

void DeliveryLedger::on_rejected(uint64_t receivers) {
  ++tally_.rejected;
  tally_.rejected_deliveries += receivers;
}

DeliveryLedger::Outcome DeliveryLedger::on_room_delivery(SeqTracker& tracker, uint32_t msg_step, int64_t seq,
                                                         Nanos now) {
  // The order check runs for late deliveries too: they still advance the room's seq.
  const SeqTracker::Verdict v = tracker.observe(seq);
  if (v != SeqTracker::Verdict::duplicate && msg_step != step_) {
    ++tally_.late;
    return Outcome::late;
  }
  return count(v, now);
}

DeliveryLedger::Outcome DeliveryLedger::on_sender_delivery(SenderOrder& order, uint32_t msg_step, uint32_t n,
                                                           Nanos now) {
  // A sender's n starts again each step: an earlier step's message is late, not
  // out of order, and must not disturb this step's record.
  if (msg_step != step_) {
    ++tally_.late;
    return Outcome::late;
  }
  return count(order.observe(msg_step, n), now);
}

DeliveryLedger::Outcome DeliveryLedger::on_direct_delivery(uint32_t msg_step, WhisperRegister::Mark mark,
                                                           Nanos now) {
  if (msg_step != step_) {
    ++tally_.late;
    return Outcome::late;
  }
  if (mark == WhisperRegister::Mark::unchecked) ++tally_.unchecked_whispers;
  return count(mark == WhisperRegister::Mark::repeat ? SeqTracker::Verdict::duplicate : SeqTracker::Verdict::in_order,
               now);
}

DeliveryLedger::Outcome DeliveryLedger::count(SeqTracker::Verdict v, Nanos now) {
  if (v == SeqTracker::Verdict::duplicate) {
    ++tally_.duplicates;
    return Outcome::duplicate;
  }
  ++tally_.received;
  tally_.last_delivery = std::max(tally_.last_delivery, now);
  if (v == SeqTracker::Verdict::out_of_order) {
    ++tally_.out_of_order;
    return Outcome::out_of_order;
  }
  return Outcome::counted;
}

StepTally DeliveryLedger::take() {
  StepTally t = std::move(tally_);
  tally_ = StepTally{};
  return t;
}

}  // namespace chatd::loadgen
