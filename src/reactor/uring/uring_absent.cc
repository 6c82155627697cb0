// Stands in for the io_uring backend in a build without liburing (-During=disabled, or
// liburing not found): the probe says why, so --backend auto logs it and falls back to
// epoll, and --backend uring fails with that message.
#include "reactor/uring/uring_reactor.h"

namespace chatd::reactor {

Result<void> probe_uring_support() {
  return Error{"this chatd was built without io_uring (liburing was not found at build time; "
               "reconfigure with -During=enabled after installing liburing-dev)"};
}

Result<std::unique_ptr<Reactor>> make_uring_reactor(UringBufferRing) { return probe_uring_support().error(); }

}  // namespace chatd::reactor
