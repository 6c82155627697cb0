// The epoll backend: readiness turned into the Reactor's completions. Level-triggered;
// one read per ready connection per turn keeps receive fair (a chatty connection gets
// one buffer's worth, then everyone else gets theirs).
#pragma once

#include <memory>

#include "reactor/reactor.h"

namespace chatd::reactor {

Result<std::unique_ptr<Reactor>> make_epoll_reactor();

}  // namespace chatd::reactor
