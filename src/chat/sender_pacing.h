// How a burst is slowed at its sender instead of costing readers that keep up
// their messages (docs/protocol.md, "Choices where the contract is silent";
// docs/architecture.md, "Queues and their bounds"):
//
//  * input is handled in slices: at most input_slice() bytes of a connection's
//    frames per loop turn, then the loop sends, drains its mailbox and serves the
//    others before it goes on (Redis reads 16 KiB per client per turn);
//  * a sender has a window: the msgs it published that not every shard with
//    members of the room has released yet weigh at most window() bytes
//    (a quarter of the margin between the pushback mark and --max-outbound).
//    Past it its requests are not read — the kernel then pushes back on it over
//    TCP — until half the window is released;
//  * a shard releases a msg as soon as it has queued it, unless a member of the
//    room there is behind but keeping up: its queue is over half of
//    --max-outbound and it drained to a quarter of it within the last grace().
//    Then the release waits until no member of the room holds back;
//  * a member that has not drained to a quarter for grace() (it reads too slowly,
//    or not at all) holds nobody back: the sender goes on, broadcasts past the
//    bound are dropped for that member alone, and DeliveryPolicy's slow clock
//    runs as before. So a stalled reader costs a room's senders at most grace()
//    once, and a reader that keeps up never loses messages to one sender's burst.
//
// Values in, verdicts out: the shard owns the queues, windows and releases.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/clock.h"

namespace chatd::chat {

// Per member connection: when its queue was last seen at or under the low mark.
struct KeepUp {
  Nanos last_low = 0;
};

class SenderPacing {
 public:
  static constexpr std::size_t kInputSlice = 16 * 1024;
  static constexpr Nanos kMaxGrace = kSeconds;

  SenderPacing(std::size_t max_outbound, Nanos slow_timeout);

  // ---- the member's side
  // Whether a member with `queued` bytes waiting holds a room's senders back now.
  // `watched`: it already has broadcasts dropped (DeliveryPolicy's OverBound).
  bool holds_back(std::size_t queued, bool watched, KeepUp& state, Nanos now) const;
  // After the kernel took bytes: note a drain to the low mark.
  void on_sent(std::size_t queued, KeepUp& state, Nanos now) const {
    if (queued <= low_mark_) state.last_low = now;
  }

  // ---- the sender's side
  // What a msg weighs in its sender's window: about its encoded event's size,
  // computed alike by the sender's home and by the room's owner.
  static uint32_t msg_weight(std::size_t room, std::size_t from, std::size_t text, std::size_t id) {
    return uint32_t(room + from + text + id + kEventOverhead);
  }
  // May a sender with `unreleased` bytes in flight publish a msg of `weight`?
  // One msg always may: a window smaller than a msg must not stall its sender.
  bool admits(std::size_t unreleased, uint32_t weight) const {
    return unreleased == 0 || unreleased + weight <= window_;
  }
  // Read a held sender again?
  bool resumes(std::size_t unreleased) const { return unreleased <= window_ / 2; }

  std::size_t input_slice() const { return kInputSlice; }
  std::size_t window() const { return window_; }
  std::size_t high_mark() const { return high_mark_; }
  std::size_t low_mark() const { return low_mark_; }
  Nanos grace() const { return grace_; }

 private:
  // {"ev":"msg","room":"","from":"","text":"","seq":…,"id":""}\n and a ts.
  static constexpr std::size_t kEventOverhead = 96;

  std::size_t high_mark_;
  std::size_t low_mark_;
  std::size_t window_;
  Nanos grace_;
};

}  // namespace chatd::chat
