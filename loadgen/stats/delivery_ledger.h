// Delivery accounting, bytes-free: what was expected, what arrived, what arrived
// twice or out of order. Each worker thread keeps its own ledger; the step's
// figures are the sum of the workers' tallies (every counter is additive).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace chatd::loadgen {

// Per receiver and room: the seqs seen, to tell a duplicate from a reordering.
// Remembers the last kWindow seqs below the highest; anything older that shows
// up again is counted out-of-order (it cannot be told from a duplicate, and
// either way the room's order was broken for this receiver).
class SeqTracker {
 public:
  static constexpr int64_t kWindow = 1024;
  enum class Verdict { in_order, duplicate, out_of_order };

  // `last_seq`: the room's last seq when this receiver joined (joined.seq).
  void reset(int64_t last_seq);
  Verdict observe(int64_t seq);
  int64_t highest() const { return highest_; }

 private:
  bool seen(int64_t seq) const;
  void mark(int64_t seq);

  int64_t highest_ = 0;
  std::array<uint64_t, kWindow / 64> bits_{};  // bit (seq % kWindow): seq in (highest_-kWindow, highest_] seen
};

// Per receiver and sender, for room messages where the server has no seq
// (Redis, NATS): a sender numbers its messages n = 0, 1, 2, ... within a step,
// so (sender, n) names a message and n gives the sender's order. Keeps the
// highest n seen and a bitmap of the 64 below it; 16 bytes, so a receiver can
// hold one per member of a large room. An n further back that shows up again
// counts as out of order, as in SeqTracker.
struct SenderOrder {
  static constexpr uint32_t kWindow = 64;
  uint32_t step = 0;
  uint32_t next = 0;  // highest n seen + 1; 0: nothing seen this step
  uint64_t bits = 0;  // bit i: n == next - 1 - i was seen

  SeqTracker::Verdict observe(uint32_t msg_step, uint32_t n);
};

// Whispers: each has exactly one receiver, so a repeat can only reach the same
// receiver, hence the same worker: one bit per (sender, n) of the step, per
// worker, tells a duplicate. No order is checked (chatd promises none for
// whispers). Not checked, and counted as such (unchecked_whispers): a step of
// more than kMaxBits messages (the bound), and a whisper that reaches a worker
// before the step's command does (another worker started first).
class WhisperRegister {
 public:
  static constexpr uint64_t kMaxBits = uint64_t(1) << 28;  // 32 MiB per worker
  // A new step: `senders` clients sending `per_sender` whispers each.
  void begin_step(uint32_t step, uint32_t senders, uint32_t per_sender);
  enum class Mark { first, repeat, unchecked };
  Mark mark(uint32_t step, uint32_t sender, uint32_t n);

 private:
  std::vector<uint64_t> bits_;
  uint32_t step_ = 0;
  uint64_t per_sender_ = 0;
  uint64_t senders_ = 0;
};

// Error events by code, plus loadgen's own failures ("connect_refused", ...).
class ErrorCounts {
 public:
  void add(std::string_view code, uint64_t n = 1);
  void merge(const ErrorCounts& other);
  uint64_t total() const;
  uint64_t get(std::string_view code) const;
  const std::vector<std::pair<std::string, uint64_t>>& entries() const { return entries_; }  // sorted by code

 private:
  std::vector<std::pair<std::string, uint64_t>> entries_;  // a handful of codes at most
};

struct StepTally {
  uint64_t sent = 0;                 // messages written to the server this step
  uint64_t rejected = 0;             // of those, refused with an error event (rate_limited, ...)
  uint64_t expected = 0;             // deliveries: room size at send time, summed over messages
  uint64_t rejected_deliveries = 0;  // expected deliveries of rejected messages
  uint64_t received = 0;             // distinct deliveries of this step's messages
  uint64_t duplicates = 0;
  uint64_t out_of_order = 0;
  uint64_t late = 0;           // deliveries of an earlier step's messages, after that step ended
  uint64_t foreign = 0;        // msg events without a loadgen id (other users in the rooms)
  uint64_t unchecked_whispers = 0;  // whispers received without a duplicate check (WhisperRegister's bound)
  uint64_t closed_by_server = 0;
  Nanos first_send = 0;        // 0: nothing sent
  // The latest intended send time of a message: in the open loop its scheduled
  // time (its ts), in the closed loop the moment it was written. 0: nothing sent.
  Nanos last_intended_send = 0;
  Nanos last_delivery = 0;     // 0: nothing received
  ErrorCounts errors;

  uint64_t lost() const {
    const uint64_t due = expected - std::min(expected, rejected_deliveries);
    return due > received ? due - received : 0;
  }
  void merge(const StepTally& other);
};

// One worker's view of the current step.
class DeliveryLedger {
 public:
  void begin_step(uint32_t step) { step_ = step; }
  uint32_t step() const { return step_; }

  // A message written at `now`, intended for `intended` (its ts), owed to `receivers`.
  void on_send(uint64_t receivers, Nanos now, Nanos intended);
  void on_rejected(uint64_t receivers);
  enum class Outcome { counted, duplicate, out_of_order, late };
  // A room message; out_of_order deliveries are counted as received too.
  Outcome on_room_delivery(SeqTracker& tracker, uint32_t msg_step, int64_t seq, Nanos now);
  // A room message from a server without seqs, told apart by (sender, n);
  // `order` is the receiver's for that sender.
  Outcome on_sender_delivery(SenderOrder& order, uint32_t msg_step, uint32_t n, Nanos now);
  // A whisper: exactly one receiver, no order to check.
  Outcome on_direct_delivery(uint32_t msg_step, WhisperRegister::Mark mark, Nanos now);
  void on_foreign() { ++tally_.foreign; }
  void on_error(std::string_view code) { tally_.errors.add(code); }
  void on_closed_by_server() { ++tally_.closed_by_server; }

  const StepTally& tally() const { return tally_; }
  // Hands the tally over and starts an empty one for the same step.
  StepTally take();

 private:
  Outcome count(SeqTracker::Verdict v, Nanos now);

  uint32_t step_ = 0;
  StepTally tally_;
};

}  // namespace chatd::loadgen
