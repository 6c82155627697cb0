#include "loadgen/engine/open_loop_schedule.h"

#include <algorithm>

namespace chatd::loadgen {

OpenLoopSchedule::OpenLoopSchedule(Nanos origin, double rate, uint64_t live_clients, uint32_t slots, double phase)
    : origin_(origin), phase_(phase), slots_(slots) {
  // Each client's own rate is rate / live_clients, so its period is the inverse.
  const double period = double(std::max<uint64_t>(live_clients, 1)) / rate * 1e9;
  period_ = std::max<Nanos>(1, Nanos(period));
  slot_spacing_ = slots == 0 ? 0 : double(period_) / slots;
}

uint64_t OpenLoopSchedule::due(uint32_t slot, Nanos now) const {
  const Nanos first = intended(slot, 0);
  if (now < first) return 0;
  return uint64_t((now - first) / period_) + 1;
}

}  // namespace chatd::loadgen
