// chatd: flags → Config → start shards. The process around the shards (listeners,
// signals, /metrics, the stop sequence) lives in src/server/; everything else
// lives in the shards.
#include <cstdio>
#include <string>
#include <vector>

#include "common/log.h"
#include "config/config.h"
#include "reactor/reactor.h"
#include "server/machine.h"
#include "server/server.h"
#include "server/stop_signals.h"

using namespace chatd;

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "chatd: %s\n", message.c_str());
  return 1;
}

// --backend auto becomes io_uring if this kernel lets us use it, else epoll; an
// explicit --backend uring fails when io_uring is refused. Resolved once, before
// any shard starts, so every shard runs the same backend.
Result<reactor::Backend> resolve_backend(reactor::Backend requested) {
  if (requested == reactor::Backend::auto_select) {
    auto probe = reactor::probe_uring();
    if (probe) return reactor::Backend::uring;
    LOG_WARN("io_uring unavailable (%s); falling back to epoll", probe.error().message.c_str());
    return reactor::Backend::epoll;
  }
  if (requested == reactor::Backend::uring) {
    if (auto probe = reactor::probe_uring(); !probe) return Error{"--backend uring: " + probe.error().message};
  }
  return requested;
}

}  // namespace

int main(int argc, char** argv) {
  if (auto cpu = server::check_cpu_baseline(); !cpu) return fail(cpu.error().message);
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
  const Config& config = parsed->config;
  set_log_level(config.log_level);

  const server::Sizing sizing = server::size_for_machine(config);
  auto backend = resolve_backend(config.backend);
  if (!backend) return fail(backend.error().message);
  // Before any thread starts: every thread inherits the blocked stop signals.
  auto signals = server::StopSignals::install();
  if (!signals) return fail(signals.error().message);

  auto server = server::Server::open(config, sizing, *backend);
  if (!server) return fail(server.error().message);
  const bool ready = (*server)->start();
  if (ready) (*server)->serve_until_stopped(*signals);
  (*server)->stop();
  (*server)->exit_process(ready ? 0 : 1);
}
