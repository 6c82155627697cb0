// The io_uring backend. Technique: multishot accept per listening socket, multishot
// recv into one provided-buffer ring per shard (no receive buffer per connection),
// sendmsg per connection with that connection's queued frames as iovecs, all
// submitted with one io_uring_enter per loop turn. Needs Linux >= 6.0 (multishot
// recv); SINGLE_ISSUER + DEFER_TASKRUN are used where the kernel has them (>= 6.1).
//
// Built only when meson finds liburing (-During=auto|enabled); otherwise
// uring_absent.cc provides these functions, and they say so.
#pragma once

#include <memory>

#include "reactor/reactor.h"

namespace chatd::reactor {

// The shape of the provided-buffer ring. A shard's default holds 8 MiB; tests shrink it
// to run it dry (ENOBUFS) with little data.
struct UringBufferRing {
  unsigned count = 1024;  // a power of two (buffer ring requirement), at most 32768
  unsigned size = 8192;   // bytes per receive; each buffer also has kRecvPadding after it
};

Result<void> probe_uring_support();
Result<std::unique_ptr<Reactor>> make_uring_reactor(UringBufferRing buffers = {});

}  // namespace chatd::reactor
