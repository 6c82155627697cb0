// Per-connection rate limit: `rate` tokens per second, bursts up to 2 * rate.
#pragma once

#include <algorithm>

#include "common/clock.h"

namespace chatd::chat {

class TokenBucket {
 public:
  // Takes one token if there is one. A refused call takes nothing.
  bool try_take(double rate, Nanos now) {
    const double burst = 2 * rate;
    if (last_ == 0) {
      tokens_ = burst;  // a new connection starts with a full bucket
    } else {
      tokens_ = std::min(burst, tokens_ + rate * double(now - last_) / double(kSeconds));
    }
    last_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double tokens_ = 0;
  Nanos last_ = 0;
};

}  // namespace chatd::chat
