// The wakeup eventfd other shards write to: when it polls readable the backend resets
// its counter (the count is meaningless, the shard drains its rings whatever it is) and
// then calls on_wakeup. The eventfd is non-blocking, so a read that finds it already
// reset returns EAGAIN instead of stalling the loop.
#pragma once

#include <unistd.h>

#include <cstdint>

#include "reactor/reactor.h"

namespace chatd::reactor {

inline void deliver_wakeup(int event_fd, Handler& handler) {
  uint64_t count;
  (void)!::read(event_fd, &count, sizeof count);
  handler.on_wakeup();
}

}  // namespace chatd::reactor
