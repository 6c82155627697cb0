#include "server/server.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>

#include "common/log.h"
#include "metrics/process_stats.h"
#include "net/listener.h"

extern "C" void __lsan_do_leak_check() __attribute__((weak));

namespace chatd::server {
namespace {

constexpr std::size_t kMailboxCapacity = 16 * 1024;  // envelopes; a full ring loses nothing

const char* backend_name(reactor::Backend b) {
  return b == reactor::Backend::uring ? "uring" : b == reactor::Backend::epoll ? "epoll" : "auto";
}

}  // namespace

Server::Server(const Config& config, const Sizing& sizing, reactor::Backend backend, std::string auth_secret)
    : cpus_(sizing.cpus) {
  shared_.config = config;
  shared_.backend = backend;
  shared_.shards = sizing.shards;
  shared_.max_conns = sizing.max_conns;
  shared_.auth_secret = std::move(auth_secret);
  if (config.max_conns_per_ip > 0)
    shared_.conns_per_address = std::make_unique<net::ConnsPerAddress>(config.max_conns_per_ip);
}

Result<std::unique_ptr<Server>> Server::open(const Config& config, const Sizing& sizing, reactor::Backend backend,
                                             std::string auth_secret) {
  std::unique_ptr<Server> s(new Server(config, sizing, backend, std::move(auth_secret)));
  s->port_ = config.port;
  for (uint32_t i = 0; i < sizing.shards; ++i) {
    auto l = net::open_listener(config.bind, s->port_);
    if (!l) return l.error();
    if (s->port_ == 0) {
      auto p = net::bound_port(l->get());
      if (!p) return p.error();
      s->port_ = *p;
    }
    s->listeners_.push_back(std::move(*l));
  }
  auto mesh = xshard::Mesh::create(sizing.shards, kMailboxCapacity);
  if (!mesh) return mesh.error();
  s->mesh_ = std::move(*mesh);
  return s;
}

bool Server::start() {
  std::vector<std::future<Result<void>>> ready;
  for (uint32_t i = 0; i < shared_.shards; ++i) {
    shards_.push_back(std::make_unique<shard::Shard>(i, shared_, *mesh_));
    auto promise = std::make_shared<std::promise<Result<void>>>();
    ready.push_back(promise->get_future());
    const int cpu = shared_.shards <= cpus_.size() ? cpus_[i] : -1;
    shards_.back()->start(listeners_[i].get(), cpu, [promise](Result<void> r) { promise->set_value(std::move(r)); });
  }
  bool all_ready = true;
  for (auto& f : ready) {
    Result<void> r = f.get();
    if (!r) {
      LOG_ERROR("shard failed to start: %s", r.error().message.c_str());
      all_ready = false;
    }
  }
  std::vector<const metrics::ShardStats*> stats;
  for (auto& s : shards_) stats.push_back(&s->stats());
  const Config& config = shared_.config;
  metrics_ = std::make_unique<MetricsEndpoint>(
      std::move(stats), *mesh_,
      metrics::CollectorInfo{CHATD_VERSION, backend_name(shared_.backend), double(config.max_outbound),
                             metrics::memory_limit_bytes()});
  if (all_ready) metrics_->start(config.bind, config.metrics_port);
  return all_ready;
}

void Server::serve_until_stopped(StopSignals& signals) {
  const Config& config = shared_.config;
  LOG_INFO("chatd ready: port=%u metrics_port=%d backend=%s shards=%u max_conns=%u", port_, metrics_->port(),
           backend_name(shared_.backend), shared_.shards, shared_.max_conns);
  const int sig = signals.wait();
  LOG_INFO("%s: stopping (draining for up to %.1f s)", strsignal(sig), double(config.drain_timeout) / kSeconds);
  if (!config.latency_dump.empty()) std::ofstream(config.latency_dump) << metrics_->collector().broadcast_latency_hgrm();
}

void Server::stop() {
  shared_.stopping.store(true, std::memory_order_release);
  for (uint32_t i = 0; i < shared_.shards; ++i) {
    uint64_t one = 1;
    (void)!::write(mesh_->mailbox(i).wakeup_fd.get(), &one, sizeof one);
  }
  for (auto& s : shards_) s->join();
  LOG_INFO("stopped");
}

void Server::exit_process(int code) {
  if (metrics_) metrics_->leave_running_at_exit();
  if (__lsan_do_leak_check) __lsan_do_leak_check();  // sanitizer builds: _Exit skips it
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace chatd::server
