// Monotonic time in nanoseconds: the one clock of the message path and of loadgen's `ts`.
#pragma once

#include <time.h>

#include <cstdint>

namespace chatd {

using Nanos = int64_t;
constexpr Nanos kMillis = 1'000'000;
constexpr Nanos kSeconds = 1'000'000'000;

inline Nanos monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Nanos(ts.tv_sec) * kSeconds + ts.tv_nsec;
}

inline int64_t wall_clock_micros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace chatd
