// A shard's own counters: written only by the shard's thread (a relaxed load and
// store, never a read-modify-write, never a lock), read by the metrics collector.
// What cannot be a single word — the latency histogram, per-connection queue
// gauges — is copied by the shard itself on request (ShardSnapshot).
#pragma once

#include <atomic>
#include <cstdint>

#include "common/cache_line.h"
#include "metrics/hdr_histogram.h"

namespace chatd::metrics {

// A counter only its shard writes: a relaxed load+store, no read-modify-write.
class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// One counter per request op and per error code. Plain counts, so metrics/ needs
// nothing from proto/ (they sit side by side); src/shard/shard.cc, which sees both,
// checks that they equal proto::kOpCount and proto::kErrorCodeCount.
constexpr int kFrameOpSlots = 11;
constexpr int kErrorCodeSlots = 17;

enum class DropReason : uint8_t { outbound_full, slow_consumer_close };
constexpr int kDropReasonCount = 2;
constexpr const char* kDropReasonNames[kDropReasonCount] = {"outbound_full", "slow_consumer_close"};

// HTTP responses on the chat port, by status: the ones chatd sends, then "other".
constexpr int kHttpStatusSlots = 10;
constexpr uint16_t kHttpStatuses[kHttpStatusSlots - 1] = {101, 200, 304, 400, 404, 405, 426, 500, 505};
constexpr int http_status_slot(uint16_t status) {
  for (int i = 0; i < kHttpStatusSlots - 1; ++i)
    if (kHttpStatuses[i] == status) return i;
  return kHttpStatusSlots - 1;
}

// Connections by mode, in proto::Mode's order (src/shard/shard.cc checks the count).
constexpr int kConnectionModes = 5;
constexpr const char* kConnectionModeNames[kConnectionModes] = {"undecided", "json", "text", "http", "ws"};

struct alignas(kCacheLine) ShardStats {
  Counter connections_active;
  Counter users_online;
  Counter rooms_owned;
  Counter frames_received[kFrameOpSlots];
  Counter frames_invalid;  // frames that never got an op (bad_json, unknown_op)
  Counter errors[kErrorCodeSlots];
  Counter messages_delivered;  // msg events queued to a member
  Counter messages_dropped[kDropReasonCount];
  Counter bytes_received;
  Counter bytes_sent;
  Counter slow_consumer_disconnects;
  Counter ring_full;  // pushes that found a peer's ring full and were retried later
  Counter inputs_held;  // requests held because an outbox they post to was over its watermark
  Counter inputs_paused;  // msgs held because their sender's window was full (a burst slowed)
  Counter outbox_peak;  // the most envelopes any of its outboxes held at once
  Counter accept_errors;
  Counter mailbox_depth;
  Counter http_responses[kHttpStatusSlots];
};

// Broadcast latency in nanoseconds, 1 ns .. 10 s at 3 significant digits.
inline HdrHistogram make_latency_histogram() { return HdrHistogram(1, 10'000'000'000, 3); }

// What a shard copies out for a scrape, on its own thread.
struct ShardSnapshot {
  HdrHistogram broadcast_latency = make_latency_histogram();
  uint64_t outbound_bytes = 0;         // queued on all its connections
  uint64_t outbound_max_messages = 0;  // the longest single connection queue
  uint64_t connections_by_mode[kConnectionModes] = {};
};

}  // namespace chatd::metrics
