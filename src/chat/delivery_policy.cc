#include "chat/delivery_policy.h"

namespace chatd::chat {

BroadcastVerdict DeliveryPolicy::broadcast(std::size_t queued, std::size_t size, OverBound& state,
                                           Nanos now) const {
  if (queued + size <= max_outbound_) return BroadcastVerdict::deliver;
  if (state.watched()) return BroadcastVerdict::drop;
  state.since = now;
  return BroadcastVerdict::drop_and_watch;
}

SlowVerdict DeliveryPolicy::check_slow(std::size_t queued, OverBound& state, Nanos now) const {
  if (queued <= max_outbound_ / 2) {
    state.since = 0;
    return SlowVerdict::forgiven;
  }
  return now - state.since < slow_timeout_ ? SlowVerdict::watching : SlowVerdict::disconnect;
}

}  // namespace chatd::chat
