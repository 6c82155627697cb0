// The controller's handle on the worker threads: connect clients, run a step's
// traffic until every expected delivery has arrived (or time is up), collect the
// step's figures, close everything. Called from one thread (the mode's).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/result.h"
#include "loadgen/engine/worker.h"
#include "loadgen/engine/worker_protocol.h"

namespace chatd::loadgen {

struct EngineProgress {
  uint32_t connected = 0;
  uint32_t connected_publishers = 0;  // of the connected, those that send
  uint64_t settled = 0;  // connect attempts over, since the start
  uint64_t sent = 0, expected = 0, received = 0;  // this step
  uint64_t sent_total = 0, received_total = 0;    // the whole run
  ErrorCodeCounts errors_total{};                 // server error events, the whole run
};
using ProgressFn = std::function<void(const EngineProgress&)>;

struct ConnectOutcome {
  uint32_t attempted = 0;
  bool interrupted = false;
};

struct TrafficOutcome {
  bool completed = false;    // every expected delivery arrived
  bool interrupted = false;  // the stop flag was raised
  Nanos started = 0;         // when the command went out
  Nanos ended = 0;           // when the wait ended
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> start(EngineConfig config);
  ~Engine();

  // Spawns the next `count` clients (numbers continue across calls) and waits
  // until each has joined or failed; every attempt is bounded by connect_timeout.
  ConnectOutcome connect(uint32_t count, const ProgressFn& progress, const std::atomic<bool>& stop);

  // Sends one step of traffic from every joined client. `timeout` counts from the
  // start (closed loop) or from the last intended send time (open loop).
  TrafficOutcome run_traffic(TrafficSpec spec, Nanos timeout, const ProgressFn& progress,
                             const std::atomic<bool>& stop);

  // The step's merged figures; the workers then count toward `next_step`.
  Harvest harvest(uint32_t next_step);

  void close_all();

  EngineProgress progress() const;
  uint32_t spawned() const { return spawned_; }
  uint32_t threads() const { return uint32_t(workers_.size()); }
  const char* backend_name() const;
  std::optional<int64_t> server_shards() const;     // chatd's welcome
  std::optional<std::string> server_version() const;  // Redis's HELLO, NATS's INFO
  const RoomPlan& plan() const { return config_.plan; }
  Target target() const { return config_.target; }

 private:
  explicit Engine(EngineConfig config);

  EngineConfig config_;
  RoomCensus census_;
  ServerFacts server_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint32_t spawned_ = 0;
};

}  // namespace chatd::loadgen
