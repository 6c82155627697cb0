// The backends in order of preference, and choosing one (see backend.h).
#include <iterator>

#include "common/log.h"
#include "reactor/epoll/epoll_reactor.h"
#include "reactor/reactor.h"
#include "reactor/uring/uring_reactor.h"

namespace chatd::reactor {
namespace {

struct BackendEntry {
  Backend backend;
  const char* api;  // what the log lines call it
  Result<void> (*probe)();
  Result<std::unique_ptr<Reactor>> (*make)();
};

Result<std::unique_ptr<Reactor>> make_default_uring_reactor() { return make_uring_reactor(); }

// Most capable first; epoll last, the one every Linux host has. A build without liburing
// keeps the io_uring entry: its probe says the build lacks it.
constexpr BackendEntry kBackends[] = {
    {Backend::uring, "io_uring", probe_uring_support, make_default_uring_reactor},
    {Backend::epoll, "epoll", probe_epoll_support, make_epoll_reactor},
};

const BackendEntry* find_entry(Backend backend) {
  for (const BackendEntry& e : kBackends)
    if (e.backend == backend) return &e;
  return nullptr;
}

}  // namespace

Result<Backend> choose_backend(Backend requested) {
  if (const BackendEntry* e = find_entry(requested)) {
    if (auto ok = e->probe(); !ok) return ok.error();
    return requested;
  }
  std::string skipped;  // the reasons so far, for the error if none works
  for (auto it = std::begin(kBackends); it != std::end(kBackends); ++it) {
    auto ok = it->probe();
    if (ok) return it->backend;
    if (std::next(it) != std::end(kBackends))
      LOG_WARN("%s unavailable (%s); falling back to %s", it->api, ok.error().message.c_str(), std::next(it)->api);
    skipped += std::string(skipped.empty() ? "" : "; ") + it->api + ": " + ok.error().message;
  }
  return Error{"no event backend works here (" + skipped + ")"};
}

Result<void> probe_uring() { return probe_uring_support(); }

Result<std::unique_ptr<Reactor>> make_reactor(Backend backend) {
  const BackendEntry* e = find_entry(backend);
  if (e == nullptr) return Error{"make_reactor: resolve --backend auto with choose_backend() first"};
  return e->make();
}

}  // namespace chatd::reactor
