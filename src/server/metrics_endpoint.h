// chatd's /metrics: the Prometheus exposer and the collector behind it. Metrics are
// gathered on scrape by the exposer's own threads, never on the message path: the
// shards' counters are read directly, and what only a shard may copy (histograms,
// queue gauges) is asked of each shard through its mailbox.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "metrics/chatd_collector.h"
#include "xshard/mesh.h"

namespace prometheus {
class Exposer;
}

namespace chatd::server {

class MetricsEndpoint {
 public:
  MetricsEndpoint(std::vector<const metrics::ShardStats*> stats, xshard::Mesh& mesh, metrics::CollectorInfo info);
  ~MetricsEndpoint();

  // Serves /metrics on bind:port (0 picks a port). On failure chatd serves chat
  // without metrics: the error is logged, and port() stays -1.
  void start(const std::string& bind, uint16_t port);
  int port() const { return port_; }

  const metrics::ChatdCollector& collector() const { return *collector_; }

  // Stopping civetweb (the exposer) takes seconds of poll timeouts, and at exit
  // nothing is left to tidy: the exposer is left running, reachable from a global
  // so a leak checker does not report it. For the last moment of the process only.
  void leave_running_at_exit();

 private:
  std::shared_ptr<metrics::ChatdCollector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = -1;
};

}  // namespace chatd::server
