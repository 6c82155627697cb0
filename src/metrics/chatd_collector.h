// chatd's Prometheus exposition, gathered when scraped. The shards count into their
// own plain counters (ShardStats) and histograms; nothing on the message path
// touches prometheus-cpp, its atomics or its mutexes.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "metrics/shard_stats.h"

namespace chatd::metrics {

struct CollectorInfo {
  std::string version;
  std::string backend;
  double max_outbound_bytes = 0;
  double memory_limit_bytes = 0;
};

// Asks every shard for a ShardSnapshot; nullopt for a shard that did not answer in time.
using SnapshotFn = std::function<std::vector<std::optional<ShardSnapshot>>()>;

class ChatdCollector final : public prometheus::Collectable {
 public:
  ChatdCollector(std::vector<const ShardStats*> shards, SnapshotFn snapshot, CollectorInfo info);
  std::vector<prometheus::MetricFamily> Collect() const override;

  // The merged broadcast latency of the last scrape's snapshot, as .hgrm text (ms).
  std::string broadcast_latency_hgrm() const;

 private:
  std::vector<const ShardStats*> shards_;
  SnapshotFn snapshot_;
  CollectorInfo info_;
};

}  // namespace chatd::metrics
