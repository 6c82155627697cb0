// The io_uring backend. Technique: multishot accept per listening socket, multishot
// recv into one provided-buffer ring per shard (no receive buffer per connection),
// sendmsg per connection with that connection's queued frames as iovecs, all
// submitted with one io_uring_enter per loop turn. Needs Linux >= 6.0 (multishot
// recv); SINGLE_ISSUER + DEFER_TASKRUN are used where the kernel has them (>= 6.1).
#pragma once

#include <memory>

#include "reactor/reactor.h"

namespace chatd::reactor {

Result<void> probe_uring_support();
Result<std::unique_ptr<Reactor>> make_uring_reactor();

}  // namespace chatd::reactor
