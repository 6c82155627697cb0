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
  closed_by_server += o.closed_by_server;
  if (o.first_send != 0 && (first_send == 0 || o.first_send < first_send)) first_send = o.first_send;
  last_delivery = std::max(last_delivery, o.last_delivery);
  errors.merge(o.errors);
}

void DeliveryLedger::on_send(uint64_t receivers, Nanos now) {
  ++tally_.sent;
  tally_.expected += receivers;
  if (tally_.first_send == 0) tally_.first_send = now;
}

void DeliveryLedger::on_rejected(uint64_t receivers) {
  ++tally_.rejected;
  tally_.rejected_deliveries += receivers;
}

DeliveryLedger::Outcome DeliveryLedger::on_room_delivery(SeqTracker& tracker, uint32_t msg_step, int64_t seq,
                                                         Nanos now) {
  // The order check runs for late deliveries too: they still advance the room's seq.
  const SeqTracker::Verdict v = tracker.observe(seq);
  if (v == SeqTracker::Verdict::duplicate) {
    ++tally_.duplicates;
    return Outcome::duplicate;
  }
  if (msg_step != step_) {
    ++tally_.late;
    return Outcome::late;
  }
  ++tally_.received;
  tally_.last_delivery = std::max(tally_.last_delivery, now);
  if (v == SeqTracker::Verdict::out_of_order) {
    ++tally_.out_of_order;
    return Outcome::out_of_order;
  }
  return Outcome::counted;
}

DeliveryLedger::Outcome DeliveryLedger::on_direct_delivery(uint32_t msg_step, Nanos now) {
  if (msg_step != step_) {
    ++tally_.late;
    return Outcome::late;
  }
  ++tally_.received;
  tally_.last_delivery = std::max(tally_.last_delivery, now);
  return Outcome::counted;
}

StepTally DeliveryLedger::take() {
  StepTally t = std::move(tally_);
  tally_ = StepTally{};
  return t;
}

}  // namespace chatd::loadgen
