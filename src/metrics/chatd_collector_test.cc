#include "metrics/chatd_collector.h"
#include "proto/error_code.h"
#include "proto/request.h"

#include <gtest/gtest.h>

#include <map>

namespace chatd::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::map<std::string, MetricFamily> by_name(const std::vector<MetricFamily>& families) {
  std::map<std::string, MetricFamily> out;
  for (const MetricFamily& f : families) EXPECT_TRUE(out.emplace(f.name, f).second) << "twice: " << f.name;
  return out;
}

std::string label(const ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label)
    if (l.name == name) return l.value;
  return "(none)";
}

// The sample with these label values, or a failure.
const ClientMetric& find(const MetricFamily& f, const std::map<std::string, std::string>& want) {
  for (const ClientMetric& m : f.metric) {
    bool all = true;
    for (const auto& [k, v] : want) all = all && label(m, k) == v;
    if (all) return m;
  }
  ADD_FAILURE() << "no sample in " << f.name;
  static const ClientMetric none;
  return none;
}

struct Fixture {
  ShardStats shards[2];
  std::vector<std::optional<ShardSnapshot>> snapshots;
  ChatdCollector collector{{&shards[0], &shards[1]},
                           [this] { return snapshots; },
                           CollectorInfo{"9.9.9", "epoll", 4096, 1e9}};
};

TEST(ChatdCollector, PerShardFamiliesReadTheirCounters) {
  Fixture fx;
  fx.shards[0].connections_active.set(3);
  fx.shards[1].connections_active.set(5);
  fx.shards[1].bytes_sent.add(1234);
  fx.shards[1].frames_received[int(proto::Op::msg)].add(7);
  fx.shards[0].frames_invalid.add(2);
  fx.shards[1].messages_dropped[int(DropReason::slow_consumer_close)].add(4);
  fx.shards[0].errors[int(proto::ErrorCode::not_in_room)].add(6);
  auto f = by_name(fx.collector.Collect());

  const MetricFamily& conns = f.at("chatd_connections_active");
  EXPECT_EQ(conns.type, MetricType::Gauge);
  EXPECT_EQ(conns.help, "Open client connections");
  ASSERT_EQ(conns.metric.size(), 2u);
  EXPECT_EQ(find(conns, {{"shard", "0"}}).gauge.value, 3);
  EXPECT_EQ(find(conns, {{"shard", "1"}}).gauge.value, 5);

  EXPECT_EQ(f.at("chatd_bytes_sent_total").type, MetricType::Counter);
  EXPECT_EQ(find(f.at("chatd_bytes_sent_total"), {{"shard", "1"}}).counter.value, 1234);

  const MetricFamily& frames = f.at("chatd_frames_received_total");
  EXPECT_EQ(frames.metric.size(), 2u * (proto::kOpCount + 1)) << "every op and 'invalid', per shard";
  EXPECT_EQ(find(frames, {{"op", "msg"}, {"shard", "1"}}).counter.value, 7);
  EXPECT_EQ(find(frames, {{"op", "msg"}, {"shard", "0"}}).counter.value, 0);
  EXPECT_EQ(find(frames, {{"op", "invalid"}, {"shard", "0"}}).counter.value, 2);

  EXPECT_EQ(find(f.at("chatd_messages_dropped_total"), {{"reason", "slow_consumer_close"}, {"shard", "1"}})
                .counter.value,
            4);
  EXPECT_EQ(f.at("chatd_errors_total").metric.size(), 2u * proto::kErrorCodeCount);
  EXPECT_EQ(find(f.at("chatd_errors_total"), {{"code", "not_in_room"}, {"shard", "0"}}).counter.value, 6);
}

TEST(ChatdCollector, HttpResponsesByStatusAndConnectionsByMode) {
  Fixture fx;
  fx.shards[0].http_responses[http_status_slot(101)].add(2);
  fx.shards[1].http_responses[http_status_slot(404)].add(1);
  fx.shards[1].http_responses[http_status_slot(418)].add(3);  // not one chatd sends: "other"
  ShardSnapshot snap;
  snap.connections_by_mode[4] = 7;  // ws
  snap.connections_by_mode[1] = 2;  // json
  fx.snapshots = {std::nullopt, std::move(snap)};
  auto f = by_name(fx.collector.Collect());

  const MetricFamily& http = f.at("chatd_http_responses_total");
  EXPECT_EQ(http.type, MetricType::Counter);
  EXPECT_EQ(http.metric.size(), 2u * kHttpStatusSlots);
  EXPECT_EQ(find(http, {{"status", "101"}, {"shard", "0"}}).counter.value, 2);
  EXPECT_EQ(find(http, {{"status", "404"}, {"shard", "1"}}).counter.value, 1);
  EXPECT_EQ(find(http, {{"status", "other"}, {"shard", "1"}}).counter.value, 3);

  const MetricFamily& modes = f.at("chatd_connections_by_mode");
  EXPECT_EQ(modes.type, MetricType::Gauge);
  EXPECT_EQ(modes.metric.size(), std::size_t(kConnectionModes)) << "only the shard that answered";
  EXPECT_EQ(find(modes, {{"mode", "ws"}, {"shard", "1"}}).gauge.value, 7);
  EXPECT_EQ(find(modes, {{"mode", "json"}, {"shard", "1"}}).gauge.value, 2);
  EXPECT_EQ(find(modes, {{"mode", "text"}, {"shard", "1"}}).gauge.value, 0);
}

TEST(ChatdCollector, BackpressureCountersAreExported) {
  Fixture fx;
  fx.shards[0].inputs_paused.add(11);
  fx.shards[1].inputs_held.add(3);
  fx.shards[1].outbox_peak.set(4100);
  auto f = by_name(fx.collector.Collect());
  EXPECT_EQ(f.at("chatd_inputs_paused_total").type, MetricType::Counter);
  EXPECT_EQ(find(f.at("chatd_inputs_paused_total"), {{"shard", "0"}}).counter.value, 11);
  EXPECT_EQ(find(f.at("chatd_inputs_held_total"), {{"shard", "1"}}).counter.value, 3);
  EXPECT_EQ(f.at("chatd_outbox_peak").type, MetricType::Gauge);
  EXPECT_EQ(find(f.at("chatd_outbox_peak"), {{"shard", "1"}}).gauge.value, 4100);
}

TEST(ChatdCollector, SnapshotFamiliesSkipAShardThatDidNotAnswer) {
  Fixture fx;
  ShardSnapshot answered;
  answered.outbound_bytes = 900;
  answered.outbound_max_messages = 12;
  answered.broadcast_latency.record(2'000'000);  // 2 ms
  answered.broadcast_latency.record(3'000'000);
  fx.snapshots = {std::nullopt, std::move(answered)};
  auto f = by_name(fx.collector.Collect());

  const MetricFamily& bytes = f.at("chatd_outbound_queue_bytes");
  ASSERT_EQ(bytes.metric.size(), 1u);
  EXPECT_EQ(label(bytes.metric[0], "shard"), "1");
  EXPECT_EQ(bytes.metric[0].gauge.value, 900);
  EXPECT_EQ(f.at("chatd_outbound_queue_max_messages").metric.at(0).gauge.value, 12);

  const MetricFamily& latency = f.at("chatd_broadcast_latency_seconds");
  EXPECT_EQ(latency.type, MetricType::Histogram);
  const auto& h = latency.metric.at(0).histogram;
  EXPECT_EQ(h.sample_count, 2u);
  EXPECT_NEAR(h.sample_sum, 0.005, 0.0001);
  ASSERT_EQ(h.bucket.size(), 23u);
  EXPECT_EQ(h.bucket[8].upper_bound, 5e-4);
  EXPECT_EQ(h.bucket[8].cumulative_count, 0u);
  EXPECT_EQ(h.bucket[10].upper_bound, 2e-3);
  EXPECT_EQ(h.bucket[10].cumulative_count, 1u);
  EXPECT_EQ(h.bucket[11].cumulative_count, 2u);
  EXPECT_EQ(h.bucket.back().cumulative_count, 2u);
}

TEST(ChatdCollector, ProcessFamiliesHaveOneSampleEach) {
  Fixture fx;
  auto f = by_name(fx.collector.Collect());
  const MetricFamily& info = f.at("chatd_build_info");
  ASSERT_EQ(info.metric.size(), 1u);
  EXPECT_EQ(info.metric[0].gauge.value, 1);
  EXPECT_EQ(label(info.metric[0], "backend"), "epoll");
  EXPECT_EQ(label(info.metric[0], "version"), "9.9.9");
  EXPECT_EQ(f.at("chatd_max_outbound_bytes").metric.at(0).gauge.value, 4096);
  EXPECT_EQ(f.at("chatd_memory_limit_bytes").metric.at(0).gauge.value, 1e9);
  EXPECT_EQ(f.at("process_cpu_seconds_total").type, MetricType::Counter);
  EXPECT_GT(f.at("process_open_fds").metric.at(0).gauge.value, 0);
  for (const char* name : {"process_resident_memory_bytes", "process_max_fds", "process_start_time_seconds",
                           "chatd_jemalloc_allocated_bytes", "chatd_jemalloc_resident_bytes"})
    EXPECT_EQ(f.at(name).metric.size(), 1u) << name;
  EXPECT_EQ(f.size(), 31u) << "every family of docs/protocol.md's Metrics section, the HTTP and backpressure ones, once";
}

}  // namespace
}  // namespace chatd::metrics
