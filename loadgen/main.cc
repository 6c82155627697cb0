// loadgen: flags → Options → one mode. Everything else lives in loadgen/*/.
#include <cstdio>
#include <string>
#include <vector>

#include "auth/secret_file.h"
#include "loadgen/cli/options.h"
#include "loadgen/modes/modes.h"
#include "loadgen/modes/run_context.h"
#include "loadgen/cli/stop_signals.h"

using namespace chatd::loadgen;
using chatd::CliAction;

namespace {

// The command line as a shell would take it back: for summary.json.
std::string quoted_command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0) out += ' ';
    const bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed) {
    std::fprintf(stderr, "loadgen: %s\n\n%s", parsed.error().message.c_str(), usage().c_str());
    return kExitUsage;
  }
  if (parsed->action == CliAction::help) {
    std::fputs(usage().c_str(), stdout);
    return kExitOk;
  }
  if (parsed->action == CliAction::version) {
    std::printf("loadgen %s\n", kLoadgenVersion);
    return kExitOk;
  }
  Options& options = parsed->options;
  if (!options.auth_secret_file.empty()) {
    auto secret = chatd::auth::load_auth_secret(options.auth_secret_file);
    if (!secret) {
      std::fprintf(stderr, "loadgen: --auth-secret-file: %s\n", secret.error().message.c_str());
      return kExitUsage;
    }
    options.auth_secret = std::move(*secret);
  }
  const std::atomic<bool>& interrupted = install_stop_signals();
  if (options.mode == Mode::sink) return run_sink(options, interrupted);

  if (auto reachable = check_reachable(options); !reachable) {
    std::fprintf(stderr, "loadgen: %s\n", reachable.error().message.c_str());
    return kExitUsage;
  }
  const std::string command_line = quoted_command_line(argc, argv);
  switch (options.mode) {
    case Mode::interactive: return run_interactive(options, interrupted, command_line);
    case Mode::scenario: return run_scenario(options, interrupted, command_line);
    default: return run_ramp(options, interrupted, command_line);
  }
}
