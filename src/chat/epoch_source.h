// Epochs name the lives of rooms (docs/protocol.md, "Rooms and sessions"): when the
// last member leaves, a room is dropped with its history, and the next join creates
// it afresh with a new epoch and seq from 1. A client keys its cache by room and
// epoch, so two lives of a room must never share one.
//
// An epoch is the wall clock in microseconds when the room was created (below 2^53,
// safe in JavaScript, until the year 2255), forced upwards so that two rooms created
// in one microsecond, or after the clock stepped back, still differ.
#pragma once

#include <algorithm>
#include <cstdint>

namespace chatd::chat {

class EpochSource {
 public:
  uint64_t next(int64_t wall_clock_micros) {
    last_ = std::max<uint64_t>(last_ + 1, uint64_t(std::max<int64_t>(wall_clock_micros, 0)));
    return last_;
  }

 private:
  uint64_t last_ = 0;
};

}  // namespace chatd::chat
