// The epoll backend: readiness turned into the Reactor's completions. Level-triggered;
// one read per ready connection per turn keeps receive fair (a chatty connection gets
// one buffer's worth, then everyone else gets theirs).
#pragma once

#include <memory>

#include "reactor/reactor.h"

namespace chatd::reactor {

// epoll is always built and needs nothing a Linux kernel lacks; the probe still checks
// that epoll_create1 works here (a seccomp filter could refuse it).
Result<void> probe_epoll_support();
Result<std::unique_ptr<Reactor>> make_epoll_reactor();

}  // namespace chatd::reactor
