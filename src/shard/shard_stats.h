// A shard's own counters: plain integers written only by the shard's thread, read
// (racily but harmlessly, as relaxed atomics) by the metrics collector.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/cache_line.h"
#include "proto/error_code.h"
#include "proto/request.h"

namespace chatd::shard {

// A counter only its shard writes: a relaxed load+store, no read-modify-write.
class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

enum class DropReason : uint8_t { outbound_full, slow_consumer_close, peer_gone };
constexpr int kDropReasonCount = 3;

struct alignas(kCacheLine) ShardStats {
  Counter connections_active;
  Counter users_online;
  Counter rooms_owned;
  Counter frames_received[proto::kOpCount];
  Counter frames_invalid;  // frames that never got an op (bad_json, unknown_op)
  Counter errors[proto::kErrorCodeCount];
  Counter messages_delivered;  // msg events queued to a member
  Counter messages_dropped[kDropReasonCount];
  Counter bytes_received;
  Counter bytes_sent;
  Counter slow_consumer_disconnects;
  Counter ring_full;  // pushes that found a peer's ring full and were retried later
  Counter accept_errors;
  Counter mailbox_depth;
};

}  // namespace chatd::shard
