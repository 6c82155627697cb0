#include "server/metrics_endpoint.h"

#include <prometheus/exposer.h>

#include <chrono>
#include <thread>

#include "common/log.h"

// A global, so the leak checker sees the exposer left running at exit reachable
// and the store cannot be optimised away (see leave_running_at_exit).
prometheus::Exposer* g_exposer_left_running = nullptr;

namespace chatd::server {
namespace {

// Asks every shard for its snapshot through its mailbox and waits briefly: the
// shards copy their own histograms, so no lock guards them.
std::vector<std::optional<metrics::ShardSnapshot>> snapshot_shards(xshard::Mesh& mesh) {
  const uint32_t n = mesh.shards();
  auto request = std::make_shared<xshard::SnapshotRequest>(n);
  std::vector<bool> posted(n, false);
  for (uint32_t i = 0; i < n; ++i) {
    auto* body = new std::shared_ptr<xshard::SnapshotRequest>(request);
    posted[i] = mesh.post_from_outside(i, xshard::Envelope{xshard::Kind::snapshot, uint16_t(n), body});
    if (!posted[i]) delete body;
  }
  std::vector<std::optional<metrics::ShardSnapshot>> out(n);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(250);
  for (uint32_t i = 0; i < n; ++i) {
    while (posted[i] && !request->done[i].load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (request->done[i].load(std::memory_order_acquire)) out[i] = std::move(request->shards[i]);
  }
  return out;
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(std::vector<const metrics::ShardStats*> stats, xshard::Mesh& mesh,
                                 metrics::CollectorInfo info)
    : collector_(std::make_shared<metrics::ChatdCollector>(
          std::move(stats), [m = &mesh] { return snapshot_shards(*m); }, std::move(info))) {}

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
