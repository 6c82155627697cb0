// chatd: flags → Config → shards. Everything else lives in the shards.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <vector>

#include <prometheus/exposer.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "common/fd_limit.h"
#include "common/log.h"
#include "metrics/chatd_collector.h"
#include "metrics/process_stats.h"
#include "config/config.h"
#include "net/listener.h"
#include "reactor/reactor.h"
#include "shard/shard.h"
#include "shard/snapshot.h"
#include "xshard/mesh.h"

using namespace chatd;

extern "C" void __lsan_do_leak_check() __attribute__((weak));

// The metrics exposer is left running at exit (see the end of main); a global, so
// the leak checker sees it reachable and the store cannot be optimised away.
prometheus::Exposer* g_exposer_left_running = nullptr;

namespace {

constexpr std::size_t kMailboxCapacity = 16 * 1024;  // envelopes; a full ring loses nothing

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &set)) cpus.push_back(i);
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

const char* backend_name(reactor::Backend b) {
  return b == reactor::Backend::uring ? "uring" : b == reactor::Backend::epoll ? "epoll" : "auto";
}

// SIGTERM/SIGINT are blocked in every thread (the mask is set before any thread
// starts) and read by main through a signalfd: no handler runs on a shard thread
// and none is deferred by a sanitizer's signal interception. A handler stays
// installed as a fallback for a library thread that unblocks them for itself
// (else the default action there would kill the process without a drain); it only
// writes an eventfd that main also watches.
int g_stop_fd = -1;
volatile sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int sig) {
  g_stop_signal = sig;
  uint64_t one = 1;
  (void)!::write(g_stop_fd, &one, sizeof one);
}

int wait_for_stop_signal(int signal_fd) {
  pollfd fds[2] = {{signal_fd, POLLIN, 0}, {g_stop_fd, POLLIN, 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return SIGTERM;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signal_fd, &info, sizeof info) == sizeof info) return int(info.ssi_signo);
    }
    if (fds[1].revents & POLLIN) return g_stop_signal ? int(g_stop_signal) : SIGTERM;
  }
}

int fail(const std::string& message) {
  std::fprintf(stderr, "chatd: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef CHATD_CPU_BASELINE
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("bmi2")) {
    std::fprintf(stderr, "chatd: built for %s (AVX2), which this CPU lacks; rebuild with -Dcpu_baseline=\n",
                 CHATD_CPU_BASELINE);
    return 1;
  }
#endif
  auto parsed = parse_cli(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed) {
    std::fprintf(stderr, "chatd: %s\n", parsed.error().message.c_str());
    return 2;
  }
  if (parsed->action == CliAction::help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (parsed->action == CliAction::version) {
    std::printf("chatd %s\n", CHATD_VERSION);
    return 0;
  }

  shard::ServerShared shared;
  shared.config = parsed->config;
  Config& config = shared.config;
  set_log_level(config.log_level);

  const std::vector<int> cpus = allowed_cpus();
  shared.shards = config.shards ? config.shards : uint32_t(cpus.size());
  const uint64_t fd_limit = raise_fd_limit();
  const uint32_t fd_budget = fd_limit > kFdReserve ? uint32_t(fd_limit - kFdReserve) : 1;
  shared.max_conns = config.max_conns ? config.max_conns : fd_budget;
  if (config.max_conns > fd_budget)
    LOG_WARN("--max-conns %u is above the fd limit (%llu less a reserve of %u): accepts will hit EMFILE first",
             config.max_conns, (unsigned long long)fd_limit, kFdReserve);

  shared.backend = config.backend;
  if (config.backend == reactor::Backend::auto_select) {
    if (auto probe = reactor::probe_uring(); probe) {
      shared.backend = reactor::Backend::uring;
    } else {
      shared.backend = reactor::Backend::epoll;
      LOG_WARN("io_uring unavailable (%s); falling back to epoll", probe.error().message.c_str());
    }
  } else if (config.backend == reactor::Backend::uring) {
    if (auto probe = reactor::probe_uring(); !probe) return fail("--backend uring: " + probe.error().message);
  }

  g_stop_fd = eventfd(0, EFD_CLOEXEC);
  if (g_stop_fd < 0) return fail(std::string("eventfd: ") + std::strerror(errno));
  struct sigaction stop_action {};
  stop_action.sa_handler = on_stop_signal;
  sigemptyset(&stop_action.sa_mask);
  stop_action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &stop_action, nullptr);
  sigaction(SIGTERM, &stop_action, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // inherited by every thread
  const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signal_fd < 0) return fail(std::string("signalfd: ") + std::strerror(errno));

  // One listening socket per shard on one port; port 0 is resolved by the first.
  std::vector<UniqueFd> listeners;
  uint16_t port = config.port;
  for (uint32_t i = 0; i < shared.shards; ++i) {
    auto l = net::open_listener(config.bind, port);
    if (!l) return fail(l.error().message);
    if (port == 0) {
      auto p = net::bound_port(l->get());
      if (!p) return fail(p.error().message);
      port = *p;
    }
    listeners.push_back(std::move(*l));
  }

  auto mesh = xshard::Mesh::create(shared.shards, kMailboxCapacity);
  if (!mesh) return fail(mesh.error().message);

  std::vector<std::unique_ptr<shard::Shard>> shards;
  std::vector<std::future<Result<void>>> ready;
  for (uint32_t i = 0; i < shared.shards; ++i) {
    shards.push_back(std::make_unique<shard::Shard>(i, shared, **mesh));
    auto promise = std::make_shared<std::promise<Result<void>>>();
    ready.push_back(promise->get_future());
    const int cpu = shared.shards <= cpus.size() ? cpus[i] : -1;
    shards.back()->start(listeners[i].get(), cpu, [promise](Result<void> r) { promise->set_value(std::move(r)); });
  }
  bool all_ready = true;
  for (auto& f : ready) {
    Result<void> r = f.get();
    if (!r) {
      LOG_ERROR("shard failed to start: %s", r.error().message.c_str());
      all_ready = false;
    }
  }
  // Metrics: gathered on scrape by the exposer's own threads, never on the message path.
  std::vector<const metrics::ShardStats*> stats;
  for (auto& s : shards) stats.push_back(&s->stats());
  auto collector = std::make_shared<metrics::ChatdCollector>(
      stats, [m = mesh->get()] { return shard::snapshot_shards(*m); },
      metrics::CollectorInfo{CHATD_VERSION, backend_name(shared.backend), double(config.max_outbound),
                             metrics::memory_limit_bytes()});
  std::unique_ptr<prometheus::Exposer> exposer;
  int metrics_port = -1;
  if (all_ready) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(config.bind + ":" + std::to_string(config.metrics_port), 1);
      exposer->RegisterCollectable(collector);
      metrics_port = exposer->GetListeningPorts().empty() ? -1 : exposer->GetListeningPorts().front();
    } catch (const std::exception& e) {
      LOG_ERROR("metrics port %u: %s; serving chat without metrics", config.metrics_port, e.what());
    }
  }
  if (all_ready) {
    LOG_INFO("chatd ready: port=%u metrics_port=%d backend=%s shards=%u max_conns=%u", port, metrics_port,
             backend_name(shared.backend), shared.shards, shared.max_conns);
    const int sig = wait_for_stop_signal(signal_fd);
    LOG_INFO("%s: stopping (draining for up to %.1f s)", strsignal(sig), double(config.drain_timeout) / kSeconds);
    if (!config.latency_dump.empty()) {
      std::ofstream(config.latency_dump) << collector->broadcast_latency_hgrm();
    }
  }

  shared.stopping.store(true, std::memory_order_release);
  for (uint32_t i = 0; i < shared.shards; ++i) {
    uint64_t one = 1;
    (void)!::write((*mesh)->mailbox(i).wakeup_fd.get(), &one, sizeof one);
  }
  for (auto& s : shards) s->join();
  LOG_INFO("stopped");
  // Stopping civetweb (the metrics exposer) takes seconds of poll timeouts, and
  // nothing is left to tidy: leave it running, reachable, and end the process here.
  g_exposer_left_running = exposer.release();
  if (__lsan_do_leak_check) __lsan_do_leak_check();  // sanitizer builds: _Exit skips it
  std::fflush(nullptr);
  std::_Exit(all_ready ? 0 : 1);
}
