// --metrics-port: loadgen's own Prometheus endpoint, so a dashboard can follow a
// ramp live. A tiny blocking HTTP responder on its own thread: one request at a
// time, each answered from atomics (engine progress: the workers publish their
// counters once per loop turn, so the message path takes no lock) and a locked
// copy of the merged latency histogram (updated at each step's end).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"
#include "loadgen/wire/error_codes.h"
#include "metrics/hdr_histogram.h"

namespace chatd::loadgen {

class Engine;
struct RunContext;

class LiveMetricsServer {
 public:
  static Result<std::unique_ptr<LiveMetricsServer>> start(uint16_t port, const RunContext& ctx);
  ~LiveMetricsServer();

  void set_step(uint32_t step) { step_.store(step, std::memory_order_relaxed); }
  void publish_latency(const metrics::HdrHistogram& merged);
  uint16_t port() const { return port_; }

 private:
  LiveMetricsServer(UniqueFd listener, uint16_t port, const Engine& engine);
  void serve();
  std::string exposition();

  UniqueFd listener_;
  uint16_t port_;
  const Engine& engine_;
  std::atomic<uint32_t> step_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  metrics::HdrHistogram latency_;  // guarded by mu_
  std::thread thread_;
};

// What one scrape shows, read from the engine's published progress.
struct LiveFigures {
  uint32_t clients = 0;
  uint64_t sent = 0, received = 0;  // since the start
  uint32_t step = 0;
  ErrorCodeCounts errors{};         // server error events by code since the start
};

// The exposition text, pure: for tests and for the server above.
std::string live_exposition(const LiveFigures& figures, const metrics::HdrHistogram& latency_us);

}  // namespace chatd::loadgen
