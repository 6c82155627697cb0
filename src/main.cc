// chatd: flags → Config → start shards. The process around the shards (listeners,
// signals, /metrics, the stop sequence) lives in src/server/; everything else
// lives in the shards.
#include <cstdio>
#include <string>
#include <vector>

#include "auth/secret_file.h"
#include "common/log.h"
#include "config/config.h"
#include "reactor/backend.h"
#include "server/machine.h"
#include "server/server.h"
#include "server/stop_signals.h"

using namespace chatd;

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "chatd: %s\n", message.c_str());
  return 1;
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
  std::string auth_secret;  // empty: auth off
  if (!config.auth_secret_file.empty()) {
    // Before the port opens: a server that would refuse every token must not start.
    auto secret = auth::load_auth_secret(config.auth_secret_file);
    if (!secret) {
      std::fprintf(stderr, "chatd: %s\n", secret.error().message.c_str());
      return 2;
    }
    auth_secret = std::move(*secret);
  }

  const server::Sizing sizing = server::size_for_machine(config);
  // Resolved once, before any shard starts, so every shard runs the same backend.
  auto backend = reactor::choose_backend(config.backend);
  if (!backend) return fail(std::string("--backend ") + (config.backend == reactor::Backend::uring ? "uring" : "epoll") + ": " + backend.error().message);
  // Before any thread starts: every thread inherits the blocked stop signals.
  auto signals = server::StopSignals::install();
  if (!signals) return fail(signals.error().message);

  auto server = server::Server::open(config, sizing, *backend, std::move(auth_secret));
  if (!server) return fail(server.error().message);
  const bool ready = (*server)->start();
  if (ready) (*server)->serve_until_stopped(*signals);
  (*server)->stop();
  (*server)->exit_process(ready ? 0 : 1);
}
