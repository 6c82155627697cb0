#include "metrics/chatd_collector.h"

#include <cmath>
#include <limits>
#include <string>

#include "metrics/process_stats.h"
#include "proto/error_code.h"
#include "proto/request.h"

namespace chatd::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(const char* name, const char* help, MetricType type) {
  return MetricFamily{name, help, type, {}};
}

ClientMetric sample(MetricType type, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  return m;
}

// One sample per shard, labelled shard="N".
template <class Get>
MetricFamily per_shard(const char* name, const char* help, MetricType type, const std::vector<const ShardStats*>& shards,
                       Get get) {
  MetricFamily f = family(name, help, type);
  for (std::size_t i = 0; i < shards.size(); ++i)
    f.metric.push_back(sample(type, double(get(*shards[i])), {{"shard", std::to_string(i)}}));
  return f;
}

// Log-spaced bucket bounds, 1-2-5 per decade from 1 µs to 10 s (22 buckets).
// Written out so the `le` labels print exactly.
constexpr double kLatencyBoundsSeconds[] = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3,
                                            5e-3, 1e-2, 2e-2, 5e-2, 0.1,  0.2,  0.5,  1,    2,    5,    10};

}  // namespace

ChatdCollector::ChatdCollector(std::vector<const ShardStats*> shards, SnapshotFn snapshot, CollectorInfo info)
    : shards_(std::move(shards)), snapshot_(std::move(snapshot)), info_(std::move(info)) {}

std::vector<MetricFamily> ChatdCollector::Collect() const {
  std::vector<MetricFamily> out;
  const auto& s = shards_;
  out.push_back(per_shard("chatd_connections_active", "Open client connections", MetricType::Gauge, s,
                          [](const ShardStats& st) { return st.connections_active.get(); }));
  out.push_back(per_shard("chatd_users_online", "Logged-in users whose home is the shard", MetricType::Gauge, s,
                          [](const ShardStats& st) { return st.users_online.get(); }));
  out.push_back(per_shard("chatd_rooms_active", "Rooms with members, by owner shard", MetricType::Gauge, s,
                          [](const ShardStats& st) { return st.rooms_owned.get(); }));
  out.push_back(per_shard("chatd_shard_queue_depth", "Cross-shard envelopes waiting for or held by the shard",
                          MetricType::Gauge, s, [](const ShardStats& st) { return st.mailbox_depth.get(); }));

  MetricFamily frames = family("chatd_frames_received_total", "Frames received, by op", MetricType::Counter);
  for (std::size_t i = 0; i < s.size(); ++i) {
    for (int op = 0; op < proto::kOpCount; ++op)
      frames.metric.push_back(sample(MetricType::Counter, double(s[i]->frames_received[op].get()),
                                     {{"op", std::string(proto::op_name(proto::Op(op)))}, {"shard", std::to_string(i)}}));
    frames.metric.push_back(sample(MetricType::Counter, double(s[i]->frames_invalid.get()),
                                   {{"op", "invalid"}, {"shard", std::to_string(i)}}));
  }
  out.push_back(std::move(frames));

  out.push_back(per_shard("chatd_messages_delivered_total", "msg events queued to a member", MetricType::Counter, s,
                          [](const ShardStats& st) { return st.messages_delivered.get(); }));
  MetricFamily dropped = family("chatd_messages_dropped_total", "Broadcast events not delivered, by reason",
                                MetricType::Counter);
  MetricFamily errors = family("chatd_errors_total", "Error events sent, by code", MetricType::Counter);
  for (std::size_t i = 0; i < s.size(); ++i) {
    for (int r = 0; r < kDropReasonCount; ++r)
      dropped.metric.push_back(sample(MetricType::Counter, double(s[i]->messages_dropped[r].get()),
                                      {{"reason", kDropReasonNames[r]}, {"shard", std::to_string(i)}}));
    for (int c = 0; c < proto::kErrorCodeCount; ++c)
      errors.metric.push_back(sample(MetricType::Counter, double(s[i]->errors[c].get()),
                                     {{"code", std::string(proto::error_code_name(proto::ErrorCode(c)))},
                                      {"shard", std::to_string(i)}}));
  }
  out.push_back(std::move(dropped));
  out.push_back(std::move(errors));
  out.push_back(per_shard("chatd_bytes_received_total", "Bytes read from clients", MetricType::Counter, s,
                          [](const ShardStats& st) { return st.bytes_received.get(); }));
  out.push_back(per_shard("chatd_bytes_sent_total", "Bytes written to clients", MetricType::Counter, s,
                          [](const ShardStats& st) { return st.bytes_sent.get(); }));
  out.push_back(per_shard("chatd_slow_consumer_disconnects_total", "Connections closed with slow_consumer",
                          MetricType::Counter, s, [](const ShardStats& st) { return st.slow_consumer_disconnects.get(); }));
  out.push_back(per_shard("chatd_ring_full_total", "Cross-shard pushes that found the ring full (retried, not lost)",
                          MetricType::Counter, s, [](const ShardStats& st) { return st.ring_full.get(); }));
  out.push_back(per_shard("chatd_accept_errors_total", "accept() failures (EMFILE, ENFILE, ENOMEM, ...)",
                          MetricType::Counter, s, [](const ShardStats& st) { return st.accept_errors.get(); }));

  // What needs the shards' own hands: the latency histogram and queue gauges.
  const auto snaps = snapshot_();
  HdrHistogram merged = make_latency_histogram();
  MetricFamily queue_bytes = family("chatd_outbound_queue_bytes", "Bytes queued for clients", MetricType::Gauge);
  MetricFamily queue_max = family("chatd_outbound_queue_max_messages", "Longest single connection queue, in events",
                                  MetricType::Gauge);
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    if (!snaps[i]) continue;
    merged.merge(snaps[i]->broadcast_latency);
    queue_bytes.metric.push_back(sample(MetricType::Gauge, double(snaps[i]->outbound_bytes), {{"shard", std::to_string(i)}}));
    queue_max.metric.push_back(
        sample(MetricType::Gauge, double(snaps[i]->outbound_max_messages), {{"shard", std::to_string(i)}}));
  }
  out.push_back(std::move(queue_bytes));
  out.push_back(std::move(queue_max));
  MetricFamily latency = family("chatd_broadcast_latency_seconds",
                                "From a msg frame's arrival to the submission of a shard's sends for it",
                                MetricType::Histogram);
  ClientMetric h;
  h.histogram.sample_count = uint64_t(merged.total_count());
  h.histogram.sample_sum = merged.mean() * double(merged.total_count()) / 1e9;
  for (double bound : kLatencyBoundsSeconds)
    h.histogram.bucket.push_back({uint64_t(merged.count_at_or_below(int64_t(std::llround(bound * 1e9)))), bound});
  h.histogram.bucket.push_back({uint64_t(merged.total_count()), std::numeric_limits<double>::infinity()});
  latency.metric.push_back(std::move(h));
  out.push_back(std::move(latency));

  const ProcessStats p = read_process_stats();
  out.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes", MetricType::Gauge));
  out.back().metric.push_back(sample(MetricType::Gauge, p.resident_bytes));
  out.push_back(family("process_cpu_seconds_total", "User and system CPU time spent in seconds", MetricType::Counter));
  out.back().metric.push_back(sample(MetricType::Counter, p.cpu_seconds));
  out.push_back(family("process_open_fds", "Number of open file descriptors", MetricType::Gauge));
  out.back().metric.push_back(sample(MetricType::Gauge, p.open_fds));
  out.push_back(family("process_max_fds", "Maximum number of open file descriptors", MetricType::Gauge));
  out.back().metric.push_back(sample(MetricType::Gauge, p.max_fds));
  out.push_back(family("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds",
                       MetricType::Gauge));
  out.back().metric.push_back(sample(MetricType::Gauge, p.start_time_seconds));

  const AllocatorStats a = read_allocator_stats();
  out.push_back(family("chatd_jemalloc_allocated_bytes", "Bytes allocated by the application (jemalloc)", MetricType::Gauge));
  out.back().metric.push_back(sample(MetricType::Gauge, a.allocated));
  out.push_back(family("chatd_jemalloc_resident_bytes", "Bytes in physically resident allocator pages (jemalloc)",
                       MetricType::Gauge));
  out.back().metric.push_back(sample(MetricType::Gauge, a.resident));

  out.push_back(family("chatd_build_info", "chatd version and I/O backend", MetricType::Gauge));
  out.back().metric.push_back(sample(MetricType::Gauge, 1, {{"backend", info_.backend}, {"version", info_.version}}));
  out.push_back(family("chatd_max_outbound_bytes", "Configured per-connection outbound bound", MetricType::Gauge));
  out.back().metric.push_back(sample(MetricType::Gauge, info_.max_outbound_bytes));
  out.push_back(family("chatd_memory_limit_bytes", "Memory the process may use (cgroup memory.max or RAM)",
                       MetricType::Gauge));
  out.back().metric.push_back(sample(MetricType::Gauge, info_.memory_limit_bytes));
  return out;
}

std::string ChatdCollector::broadcast_latency_hgrm() const {
  HdrHistogram merged = make_latency_histogram();
  for (const auto& snap : snapshot_())
    if (snap) merged.merge(snap->broadcast_latency);
  return merged.percentile_distribution(1e6);  // ns → ms
}

}  // namespace chatd::metrics
