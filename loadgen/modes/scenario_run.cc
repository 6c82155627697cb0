// Scenario mode: connect the scenario's users, run its steady open-loop traffic
// for its duration, and grade the result against the tiers (plan/scenario.h).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "loadgen/modes/modes.h"
#include "loadgen/modes/run_context.h"
#include "loadgen/plan/scenario.h"

namespace chatd::loadgen {

int run_scenario(const Options& o, const std::atomic<bool>& interrupted, const std::string& command_line) {
  const Scenario* s = find_scenario(o.scenario);
  if (s == nullptr) {
    std::fprintf(stderr, "loadgen: unknown scenario '%s'\n", o.scenario.c_str());
    return kExitUsage;
  }
  const Nanos duration = o.duration.value_or(s->duration);
  // --rate overrides the scenario's offered rate; the per-user rate follows from
  // it, shared by the users that send (--publishers: the first K).
  const double rate = o.rate > 0 ? o.rate : s->offered_rate();
  const uint32_t senders = o.publishers > 0 ? std::min(o.publishers, s->users) : s->users;
  const auto per_client = uint32_t(std::max(1.0, std::round(rate / senders * double(duration) / 1e9)));

  Options run_options = o;
  run_options.rate = rate;
  run_options.ramp = s->users;
  run_options.msgs = per_client;
  run_options.steps = 1;
  auto prepared = prepare_run(run_options, "scenario-" + std::string(s->name), s->users, s->rooms, interrupted,
                              command_line);
  if (!prepared) {
    std::fprintf(stderr, "loadgen: %s\n", prepared.error().message.c_str());
    return kExitFailed;
  }
  RunContext& ctx = **prepared;
  ctx.console.line("scenario " + std::string(s->name) + ": " + std::to_string(s->users) + " users in " +
                   std::to_string(s->rooms) + " rooms, " + std::to_string(int64_t(rate)) + " msg/s for " +
                   std::to_string(duration / kSeconds) + " s");

  StepPlan plan;
  plan.connect = s->users;
  plan.traffic = TrafficSpec{};
  plan.traffic->kind = o.whisper ? TrafficSpec::Kind::random_whisper : TrafficSpec::Kind::room_message;
  plan.traffic->per_client = per_client;
  plan.traffic->rate = rate;
  plan.timeout = o.step_timeout;
  std::optional<StepReport> r = run_step(ctx, plan);
  if (!r) {
    ctx.report.interrupted = true;
  } else {
    Verdict v;
    v.scenario = std::string(s->name);
    v.users = s->users;
    v.offered_rate = rate;
    v.inbound_rate = r->sent_per_second;
    v.p95_us = r->latency.p95;
    if (auto tier = verdict(v.inbound_rate, v.p95_us * 1000, r->tally.expected, r->tally.lost()))
      v.tier = std::string(tier->name);
    ctx.report.verdict = v;
  }
  ctx.engine->close_all();
  save_results(ctx);
  print_final(ctx);
  return ctx.report.interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace chatd::loadgen
