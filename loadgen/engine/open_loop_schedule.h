// Open-loop timing, as wrk2 does it: every message has an intended send time
// fixed in advance, and latency is measured from that time, not from when the
// message was actually written. A stalled server therefore shows up as latency
// of every message it held back (no coordinated omission).
//
// A worker's n clients each send one message every period; client slot i sends
// its k-th message at origin + (i + phase) * period / n + k * period, so the
// worker's messages are evenly spaced and the workers interleave by `phase`.
#pragma once

#include <cstdint>

#include "common/clock.h"

namespace chatd::loadgen {

class OpenLoopSchedule {
 public:
  OpenLoopSchedule() = default;
  // `rate`: messages/s over all workers; `live_clients`: clients over all workers;
  // `slots`: this worker's clients; `phase` in [0, 1).
  OpenLoopSchedule(Nanos origin, double rate, uint64_t live_clients, uint32_t slots, double phase);

  Nanos period() const { return period_; }
  // Intended send time of message k of slot i.
  Nanos intended(uint32_t slot, uint64_t k) const {
    return origin_ + Nanos((double(slot) + phase_) * slot_spacing_) + Nanos(k) * period_;
  }
  // How many messages slot i should have sent by `now` (not capped by the plan).
  uint64_t due(uint32_t slot, Nanos now) const;

  // The cursor walks (round, slot) in intended-time order: the next slot to visit.
  struct Cursor {
    uint64_t round = 0;
    uint32_t slot = 0;
  };
  Nanos at(Cursor c) const { return intended(c.slot, c.round); }
  Cursor next(Cursor c) const {
    if (++c.slot == slots_) {
      c.slot = 0;
      ++c.round;
    }
    return c;
  }
  uint32_t slots() const { return slots_; }

 private:
  Nanos origin_ = 0;
  Nanos period_ = kSeconds;
  double slot_spacing_ = 0;
  double phase_ = 0;
  uint32_t slots_ = 0;
};

}  // namespace chatd::loadgen
