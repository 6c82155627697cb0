// --metrics-port: loadgen's own Prometheus endpoint, so a dashboard can follow a
// ramp live. A tiny blocking HTTP responder on its own thread: one request at a
// time, each answered from atomics (engine progress) and a locked copy of the
// merged latency histogram (updated at each step's end).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"
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

// The exposition text, pure: for tests and for the server above.
std::string live_exposition(uint32_t clients, uint64_t sent, uint64_t received, uint32_t step,
                            const metrics::HdrHistogram& latency_us);

}  // namespace chatd::loadgen
