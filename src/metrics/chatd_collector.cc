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

// ---------------------------------------------------------------- per-shard families

// A family with one sample per shard and, when `label` is set, per value of that
// label: `label_value(i)` names value i, `read(stats, i)` reads it.
struct ShardFamily {
  const char* name;
  const char* help;
  MetricType type;
  uint64_t (*read)(const ShardStats&, int);
  const char* label = nullptr;
  int label_values = 1;
  std::string (*label_value)(int) = nullptr;
};

template <Counter ShardStats::*kField>
uint64_t one(const ShardStats& s, int) {
  return (s.*kField).get();
}

// Frames that never got an op (bad_json, unknown_op) count as op="invalid".
uint64_t frames(const ShardStats& s, int op) {
  return op < proto::kOpCount ? s.frames_received[op].get() : s.frames_invalid.get();
}
std::string op_label(int op) {
  return op < proto::kOpCount ? std::string(proto::op_name(proto::Op(op))) : std::string("invalid");
}
uint64_t dropped(const ShardStats& s, int reason) { return s.messages_dropped[reason].get(); }
std::string reason_label(int reason) { return kDropReasonNames[reason]; }
uint64_t errors(const ShardStats& s, int code) { return s.errors[code].get(); }
std::string code_label(int code) { return std::string(proto::error_code_name(proto::ErrorCode(code))); }
uint64_t http_responses(const ShardStats& s, int slot) { return s.http_responses[slot].get(); }
std::string status_label(int slot) {
  return slot < kHttpStatusSlots - 1 ? std::to_string(kHttpStatuses[slot]) : std::string("other");
}

constexpr MetricType kGauge = MetricType::Gauge;
constexpr MetricType kCounter = MetricType::Counter;

// The names and HELP texts are part of the contract (docs/protocol.md, Metrics).
const ShardFamily kShardFamilies[] = {
    {"chatd_connections_active", "Open client connections", kGauge, one<&ShardStats::connections_active>},
    {"chatd_users_online", "Logged-in users whose home is the shard", kGauge, one<&ShardStats::users_online>},
    {"chatd_rooms_active", "Rooms with members, by owner shard", kGauge, one<&ShardStats::rooms_owned>},
    {"chatd_shard_queue_depth", "Cross-shard envelopes waiting for or held by the shard", kGauge,
     one<&ShardStats::mailbox_depth>},
    {"chatd_frames_received_total", "Frames received, by op", kCounter, frames, "op", proto::kOpCount + 1, op_label},
    {"chatd_messages_delivered_total", "msg events queued to a member", kCounter,
     one<&ShardStats::messages_delivered>},
    {"chatd_messages_dropped_total", "Broadcast events not delivered, by reason", kCounter, dropped, "reason",
     kDropReasonCount, reason_label},
    {"chatd_errors_total", "Error events sent, by code", kCounter, errors, "code", proto::kErrorCodeCount,
     code_label},
    {"chatd_bytes_received_total", "Bytes read from clients", kCounter, one<&ShardStats::bytes_received>},
    {"chatd_bytes_sent_total", "Bytes written to clients", kCounter, one<&ShardStats::bytes_sent>},
    {"chatd_slow_consumer_disconnects_total", "Connections closed with slow_consumer", kCounter,
     one<&ShardStats::slow_consumer_disconnects>},
    {"chatd_ring_full_total", "Cross-shard pushes that found the ring full (retried, not lost)", kCounter,
     one<&ShardStats::ring_full>},
    {"chatd_accept_errors_total", "accept() failures (EMFILE, ENFILE, ENOMEM, ...)", kCounter,
     one<&ShardStats::accept_errors>},
    {"chatd_http_responses_total", "HTTP responses on the chat port (101: WebSocket upgrades), by status", kCounter,
     http_responses, "status", kHttpStatusSlots, status_label},
    {"chatd_inputs_paused_total", "msg requests held because their sender's window was full (a burst slowed)",
     kCounter, one<&ShardStats::inputs_paused>},
    {"chatd_inputs_held_total", "Requests held because an outbox they post to was over its watermark", kCounter,
     one<&ShardStats::inputs_held>},
    {"chatd_outbox_peak", "The most envelopes one of the shard's outboxes has held at once", kGauge,
     one<&ShardStats::outbox_peak>},
};

MetricFamily collect(const ShardFamily& spec, const std::vector<const ShardStats*>& shards) {
  MetricFamily f = family(spec.name, spec.help, spec.type);
  for (std::size_t shard = 0; shard < shards.size(); ++shard) {
    for (int i = 0; i < spec.label_values; ++i) {
      std::vector<ClientMetric::Label> labels;
      if (spec.label) labels.push_back({spec.label, spec.label_value(i)});
      labels.push_back({"shard", std::to_string(shard)});
      f.metric.push_back(sample(spec.type, double(spec.read(*shards[shard], i)), std::move(labels)));
    }
  }
  return f;
}

// ---------------------------------------------------------------- what the shards copy out

// Gauges only a shard can compute (ShardSnapshot); a shard that did not answer
// the scrape in time has no sample.
struct SnapshotGauge {
  const char* name;
  const char* help;
  uint64_t ShardSnapshot::*field;
};

const SnapshotGauge kSnapshotGauges[] = {
    {"chatd_outbound_queue_bytes", "Bytes queued for clients", &ShardSnapshot::outbound_bytes},
    {"chatd_outbound_queue_max_messages", "Longest single connection queue, in events",
     &ShardSnapshot::outbound_max_messages},
};

// Log-spaced bucket bounds, 1-2-5 per decade from 1 µs to 10 s (22 buckets).
// Written out so the `le` labels print exactly.
constexpr double kLatencyBoundsSeconds[] = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3,
                                            5e-3, 1e-2, 2e-2, 5e-2, 0.1,  0.2,  0.5,  1,    2,    5,    10};

MetricFamily latency_family(const HdrHistogram& merged) {
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
  return latency;
}

// ---------------------------------------------------------------- the process

struct ProcessWide {
  ProcessStats process;
  AllocatorStats allocator;
  const CollectorInfo& info;
};

// One sample each; `labels`, when set, adds labels to it.
struct ProcessFamily {
  const char* name;
  const char* help;
  MetricType type;
  double (*read)(const ProcessWide&);
  std::vector<ClientMetric::Label> (*labels)(const ProcessWide&) = nullptr;
};

const ProcessFamily kProcessFamilies[] = {
    {"process_resident_memory_bytes", "Resident memory size in bytes", kGauge,
     [](const ProcessWide& p) { return p.process.resident_bytes; }},
    {"process_cpu_seconds_total", "User and system CPU time spent in seconds", kCounter,
     [](const ProcessWide& p) { return p.process.cpu_seconds; }},
    {"process_open_fds", "Number of open file descriptors", kGauge,
     [](const ProcessWide& p) { return p.process.open_fds; }},
    {"process_max_fds", "Maximum number of open file descriptors", kGauge,
     [](const ProcessWide& p) { return p.process.max_fds; }},
    {"process_start_time_seconds", "Start time of the process since the Unix epoch in seconds", kGauge,
     [](const ProcessWide& p) { return p.process.start_time_seconds; }},
    {"chatd_jemalloc_allocated_bytes", "Bytes allocated by the application (jemalloc)", kGauge,
     [](const ProcessWide& p) { return p.allocator.allocated; }},
    {"chatd_jemalloc_resident_bytes", "Bytes in physically resident allocator pages (jemalloc)", kGauge,
     [](const ProcessWide& p) { return p.allocator.resident; }},
    {"chatd_build_info", "chatd version and I/O backend", kGauge, [](const ProcessWide&) { return 1.0; },
     [](const ProcessWide& p) {
       return std::vector<ClientMetric::Label>{{"backend", p.info.backend}, {"version", p.info.version}};
     }},
    {"chatd_max_outbound_bytes", "Configured per-connection outbound bound", kGauge,
     [](const ProcessWide& p) { return p.info.max_outbound_bytes; }},
    {"chatd_memory_limit_bytes", "Memory the process may use (cgroup memory.max or RAM)", kGauge,
     [](const ProcessWide& p) { return p.info.memory_limit_bytes; }},
};

}  // namespace

ChatdCollector::ChatdCollector(std::vector<const ShardStats*> shards, SnapshotFn snapshot, CollectorInfo info)
    : shards_(std::move(shards)), snapshot_(std::move(snapshot)), info_(std::move(info)) {}

std::vector<MetricFamily> ChatdCollector::Collect() const {
  std::vector<MetricFamily> out;
  for (const ShardFamily& spec : kShardFamilies) out.push_back(collect(spec, shards_));

  const auto snaps = snapshot_();
  for (const SnapshotGauge& spec : kSnapshotGauges) {
    MetricFamily f = family(spec.name, spec.help, kGauge);
    for (std::size_t shard = 0; shard < snaps.size(); ++shard)
      if (snaps[shard])
        f.metric.push_back(sample(kGauge, double((*snaps[shard]).*spec.field), {{"shard", std::to_string(shard)}}));
    out.push_back(std::move(f));
  }
  MetricFamily modes = family("chatd_connections_by_mode", "Open client connections by mode", kGauge);
  for (std::size_t shard = 0; shard < snaps.size(); ++shard) {
    if (!snaps[shard]) continue;
    for (int m = 0; m < kConnectionModes; ++m)
      modes.metric.push_back(sample(kGauge, double(snaps[shard]->connections_by_mode[m]),
                                    {{"mode", kConnectionModeNames[m]}, {"shard", std::to_string(shard)}}));
  }
  out.push_back(std::move(modes));
  HdrHistogram merged = make_latency_histogram();
  for (const auto& snap : snaps)
    if (snap) merged.merge(snap->broadcast_latency);
  out.push_back(latency_family(merged));

  const ProcessWide p{read_process_stats(), read_allocator_stats(), info_};
  for (const ProcessFamily& spec : kProcessFamilies) {
    out.push_back(family(spec.name, spec.help, spec.type));
    std::vector<ClientMetric::Label> labels;
    if (spec.labels) labels = spec.labels(p);
    out.back().metric.push_back(sample(spec.type, spec.read(p), std::move(labels)));
  }
  return out;
}

std::string ChatdCollector::broadcast_latency_hgrm() const {
  HdrHistogram merged = make_latency_histogram();
  for (const auto& snap : snapshot_())
    if (snap) merged.merge(snap->broadcast_latency);
  return merged.percentile_distribution(1e6);  // ns → ms
}

}  // namespace chatd::metrics
