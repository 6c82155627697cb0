#include "server/metrics_endpoint.h"

#include <prometheus/exposer.h>

#include "common/log.h"
#include "shard/snapshot.h"

// A global, so the leak checker sees the exposer left running at exit reachable
// and the store cannot be optimised away (see leave_running_at_exit).
prometheus::Exposer* g_exposer_left_running = nullptr;

namespace chatd::server {

MetricsEndpoint::MetricsEndpoint(std::vector<const metrics::ShardStats*> stats, xshard::Mesh& mesh,
                                 metrics::CollectorInfo info)
    : collector_(std::make_shared<metrics::ChatdCollector>(
          std::move(stats), [m = &mesh] { return shard::snapshot_shards(*m); }, std::move(info))) {}

MetricsEndpoint::~MetricsEndpoint() = default;

void MetricsEndpoint::start(const std::string& bind, uint16_t port) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(bind + ":" + std::to_string(port), 1);
    exposer_->RegisterCollectable(collector_);
    port_ = exposer_->GetListeningPorts().empty() ? -1 : exposer_->GetListeningPorts().front();
  } catch (const std::exception& e) {
    LOG_ERROR("metrics port %u: %s; serving chat without metrics", port, e.what());
  }
}

void MetricsEndpoint::leave_running_at_exit() { g_exposer_left_running = exposer_.release(); }

}  // namespace chatd::server
