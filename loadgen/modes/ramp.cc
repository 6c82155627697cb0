// Ramp mode: each step adds --ramp clients, then every client sends --msgs
// messages; the run stops at --steps/--max-clients or at the first step that
// loses deliveries or breaks --slo-p99 (the saturation step).
#include <cstdio>

#include "loadgen/modes/modes.h"
#include "loadgen/modes/run_context.h"
#include "loadgen/results/text_report.h"

namespace chatd::loadgen {
namespace {

// Why this step saturates chatd, or "" if it does not.
std::string saturation_reason(const StepReport& r, const Options& o) {
  const uint64_t lost = r.tally.lost();
  if (lost > 0) {
    return "lost " + std::to_string(lost) + " deliveries" + (r.timed_out ? " (step timed out)" : "");
  }
  if (o.slo_p99 && r.latency.p99 * 1000 > *o.slo_p99) {
    return "p99 " + format_ms(r.latency.p99) + " ms > SLO " + format_ms(*o.slo_p99 / 1000) + " ms";
  }
  if (r.step == 1 && r.clients == 0) return "no client could join";
  return "";
}

uint64_t planned_clients(const Options& o) {
  const uint64_t by_steps = uint64_t(o.effective_steps()) * o.ramp;
  if (o.max_clients == 0) return by_steps;
  return by_steps == 0 ? o.max_clients : std::min<uint64_t>(by_steps, o.max_clients);
}

}  // namespace

int run_ramp(const Options& o, const std::atomic<bool>& interrupted, const std::string& command_line) {
  auto prepared = prepare_run(o, "ramp", planned_clients(o), o.rooms, interrupted, command_line);
  if (!prepared) {
    std::fprintf(stderr, "loadgen: %s\n", prepared.error().message.c_str());
    return kExitFailed;
  }
  RunContext& ctx = **prepared;
  const uint32_t steps = o.effective_steps();
  for (uint32_t step = 1; steps == 0 || step <= steps; ++step) {
    // --max-clients: stop before the step that would pass it.
    if (o.max_clients != 0 && uint64_t(ctx.engine->spawned()) + o.ramp > o.max_clients) break;
    StepPlan plan;
    plan.connect = o.ramp;
    plan.traffic = TrafficSpec{};
    plan.traffic->kind = o.whisper ? TrafficSpec::Kind::random_whisper : TrafficSpec::Kind::room_message;
    plan.traffic->per_client = o.msgs;
    plan.traffic->rate = o.rate;
    plan.timeout = o.step_timeout;
    std::optional<StepReport> r = run_step(ctx, plan);
    if (!r) {
      ctx.report.interrupted = true;
      break;
    }
    if (std::string why = saturation_reason(*r, o); !why.empty()) {
      ctx.report.saturation = Saturation{r->step, why};
      break;
    }
  }
  ctx.engine->close_all();
  save_results(ctx);
  print_final(ctx);
  if (ctx.report.interrupted) return kExitInterrupted;
  if (!ctx.report.steps.empty() && ctx.report.steps.front().clients == 0) {
    const bool no_websocket = ctx.report.steps.front().tally.errors.get("ws_upgrade_status_501") > 0;
    std::fprintf(stderr, "loadgen: no client could join %s (see the errors column)%s\n",
                 std::string(target_name(o.target)).c_str(),
                 no_websocket ? "; chatd answered GET /ws with 501: this chatd does not serve WebSocket" : "");
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace chatd::loadgen
