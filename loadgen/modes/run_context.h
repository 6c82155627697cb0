// What every client-side mode shares: the checks before the first connection,
// the engine, the report being built, and one step's life (connect, traffic,
// harvest, scrape, print, save).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "common/fd_limit.h"
#include "common/result.h"
#include "loadgen/cli/options.h"
#include "loadgen/engine/engine.h"
#include "loadgen/modes/console.h"
#include "loadgen/scrape/metrics_scrape.h"
#include "loadgen/stats/step_report.h"

namespace chatd::loadgen {

constexpr const char* kLoadgenVersion = CHATD_VERSION;

class LiveMetricsServer;

struct RunContext {
  Options options;
  Console console;
  const std::atomic<bool>& interrupted;
  std::unique_ptr<Engine> engine;
  RunReport report;
  std::string out_dir;
  std::optional<HttpUrl> metrics_url;
  bool metrics_warned = false;
  bool save_warned = false;
  uint32_t next_step = 1;
  std::unique_ptr<LiveMetricsServer> live_metrics;

  RunContext(const Options& o, const std::atomic<bool>& stop);
  ~RunContext();
};

// Connects once to every server (--host:--port, or each of --hosts), retrying
// refusals until --connect-timeout: a clear answer to "is the server there at
// all" before any client is spawned.
Result<void> check_reachable(const Options& options);


// Starts the engine and fills the run's description. `mode` names the results
// folder; `planned_clients` (0: unknown) is checked against the fd limit.
Result<std::unique_ptr<RunContext>> prepare_run(const Options& options, const std::string& mode,
                                                uint64_t planned_clients, uint32_t rooms,
                                                const std::atomic<bool>& interrupted, const std::string& command_line);

struct StepPlan {
  uint32_t connect = 0;                // new clients this step
  std::optional<TrafficSpec> traffic;  // step number and timing are filled in
  Nanos timeout = 0;
};

// Runs one step and records it (report, live line, results folder). nullopt when
// interrupted: the partial step is not recorded.
std::optional<StepReport> run_step(RunContext& ctx, StepPlan plan);

void save_results(RunContext& ctx);
// Final table on stdout, the conclusion, where the results are.
void print_final(RunContext& ctx);

}  // namespace chatd::loadgen
