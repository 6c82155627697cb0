#include "reactor/reactor.h"

#include "reactor/epoll/epoll_reactor.h"
#include "reactor/uring/uring_reactor.h"

namespace chatd::reactor {

Result<void> probe_uring() { return probe_uring_support(); }

Result<std::unique_ptr<Reactor>> make_reactor(Backend backend) {
  if (backend == Backend::uring) return make_uring_reactor();
  return make_epoll_reactor();
}

}  // namespace chatd::reactor
