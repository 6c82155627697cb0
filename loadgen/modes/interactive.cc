// Interactive mode: commands from stdin, one per line, from a person at a
// terminal (with a prompt) or from a pipe (no prompt). Every spawn, broadcast
// and whisper is recorded as a step, so the results folder is written as in a ramp.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "loadgen/cli/interactive_command.h"
#include "loadgen/modes/modes.h"
#include "loadgen/modes/run_context.h"
#include "loadgen/results/text_report.h"

namespace chatd::loadgen {
namespace {

constexpr std::size_t kMaxLine = 8192;

void say(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

// Reads one line from stdin; false at end of input or on interrupt. Polls so
// that Ctrl-C is noticed while waiting, whatever the signal's restart flag.
bool read_line(std::string& line, const std::atomic<bool>& interrupted) {
  static std::string buffered;
  line.clear();
  for (;;) {
    if (auto nl = buffered.find('\n'); nl != std::string::npos) {
      line = buffered.substr(0, nl);
      buffered.erase(0, nl + 1);
      return true;
    }
    if (buffered.size() > kMaxLine) {  // an endless line: take it in pieces
      line = buffered;
      buffered.clear();
      return true;
    }
    if (interrupted.load()) return false;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (buffered.empty()) return false;
      line.swap(buffered);
      buffered.clear();
      return true;
    }
    buffered.append(buf, std::size_t(n));
  }
}

std::string spawned_text(const StepReport& r) {
  return "spawned " + std::to_string(r.new_clients + r.connect_failures) + ": " + std::to_string(r.new_clients) +
         " joined, " + std::to_string(r.connect_failures) + " failed (connect p50 " + format_ms(r.connect.p50) +
         " p99 " + format_ms(r.connect.p99) + " ms); " + std::to_string(r.clients) + " clients connected\n";
}

std::string traffic_text(const StepReport& r) {
  const StepTally& t = r.tally;
  const uint64_t due = t.expected - std::min(t.expected, t.rejected_deliveries);
  return "sent " + std::to_string(t.sent) + ", received " + std::to_string(t.received) + " of " +
         std::to_string(due) + " expected (lost " + std::to_string(t.lost()) + "), latency p50 " +
         format_ms(r.latency.p50) + " p99 " + format_ms(r.latency.p99) + " max " + format_ms(r.latency.max) +
         " ms" + (r.timed_out ? ", TIMED OUT" : "") + "\n";
}

}  // namespace

int run_interactive(const Options& o, const std::atomic<bool>& interrupted, const std::string& command_line) {
  auto prepared = prepare_run(o, "interactive", 0, o.rooms, interrupted, command_line);
  if (!prepared) {
    std::fprintf(stderr, "loadgen: %s\n", prepared.error().message.c_str());
    return kExitFailed;
  }
  RunContext& ctx = **prepared;
  const bool terminal = ::isatty(STDIN_FILENO);
  if (terminal)
    say("loadgen interactive: " + std::string(target_name(o.target)) + " at " + o.servers_text() +
        "; type help\n");

  std::string line;
  for (;;) {
    if (terminal) say("loadgen> ");
    if (!read_line(line, interrupted)) break;
    auto parsed = parse_interactive_command(line);
    if (!parsed) {
      say("error: " + parsed.error().message + "\n");
      continue;
    }
    const InteractiveCommand& cmd = *parsed;
    using Kind = InteractiveCommand::Kind;
    if (cmd.kind == Kind::exit) break;
    if (cmd.kind == Kind::nothing) continue;
    if (cmd.kind == Kind::help) {
      say(interactive_help());
      continue;
    }
    if (cmd.kind == Kind::summary) {
      say(totals_line(ctx.report, ctx.engine->progress().connected) + "\n");
      continue;
    }
    if (cmd.kind == Kind::close_all) {
      const uint32_t had = ctx.engine->progress().connected;
      ctx.engine->close_all();
      say("closed " + std::to_string(had) + " clients\n");
      continue;
    }
    StepPlan plan;
    plan.timeout = o.step_timeout;
    if (cmd.kind == Kind::spawn) {
      plan.connect = cmd.count;
    } else {
      plan.traffic = TrafficSpec{};
      plan.traffic->kind = cmd.kind == Kind::whisper ? TrafficSpec::Kind::whisper : TrafficSpec::Kind::room_message;
      plan.traffic->per_client = cmd.count;
      plan.traffic->text = cmd.text;
      plan.traffic->rate = o.rate;
    }
    std::optional<StepReport> r = run_step(ctx, plan);
    if (!r) {
      ctx.report.interrupted = true;
      break;
    }
    say(cmd.kind == Kind::spawn ? spawned_text(*r) : traffic_text(*r));
  }
  ctx.engine->close_all();
  save_results(ctx);
  say("results: " + ctx.out_dir + "/\n");
  return ctx.report.interrupted || interrupted.load() ? kExitInterrupted : kExitOk;
}

}  // namespace chatd::loadgen
