#include "chat/sender_pacing.h"

#include <algorithm>

namespace chatd::chat {

// The margin between the high mark and the bound absorbs what senders still have
// in flight when a member starts holding back: a window each, so four senders
// bursting into one room at once still leave a member that keeps up under the bound.
SenderPacing::SenderPacing(std::size_t max_outbound, Nanos slow_timeout)
    : high_mark_(max_outbound / 2),
      low_mark_(max_outbound / 4),
      window_(std::max<std::size_t>(max_outbound / 8, 1)),
      grace_(std::clamp<Nanos>(slow_timeout, 0, kMaxGrace)) {}

bool SenderPacing::holds_back(std::size_t queued, bool watched, KeepUp& state, Nanos now) const {
  if (queued <= low_mark_) {
    state.last_low = now;
    return false;
  }
  // Already dropped for: it is the slow one, and slows only itself.
  if (watched || queued <= high_mark_) return false;
  return now - state.last_low < grace_;
}

}  // namespace chatd::chat
