// The mesh: every shard's mailbox (its MPSC ring, its wakeup eventfd, its sleeping
// flag), built before the shard threads start and immutable in shape afterwards.
//
// Wakeups never spin and cost a syscall only when the consumer sleeps: a shard about
// to block sets `sleeping`, re-checks its ring, then blocks in its reactor; a producer
// that pushed checks `sleeping` and, if set, writes the eventfd once. The seq_cst fence
// on each side makes "push then check" and "set then re-check" impossible to miss
// each other (Dekker).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/cache_line.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "xshard/envelope.h"
#include "xshard/mpsc_ring.h"

namespace chatd::xshard {

struct Mailbox {
  explicit Mailbox(std::size_t capacity) : ring(capacity) {}
  // No shard may still run. What was never drained is discarded (bodies freed).
  ~Mailbox() {
    ring.drain([](Envelope&& e) { e.discard(); });
  }
  // Bound: capacity envelopes. A producer that finds it full keeps the rest in its
  // own outbox (xshard/outbox.h) and retries every loop turn; nothing is dropped.
  MpscRing<Envelope> ring;
  UniqueFd wakeup_fd;
  alignas(kCacheLine) std::atomic<bool> sleeping{false};
  // Set by this mailbox's own shard while its outboxes are over their watermark
  // (it cannot hand its work on fast enough); other shards then hold new client
  // work for it. A hint: relaxed, written once per turn, read at admission.
  std::atomic<bool> backlogged{false};
};

class Mesh {
 public:
  static Result<std::unique_ptr<Mesh>> create(uint32_t shards, std::size_t ring_capacity);

  uint32_t shards() const { return uint32_t(boxes_.size()); }
  Mailbox& mailbox(uint32_t shard) { return *boxes_[shard]; }

  // Consumer side: true if the shard may block (nothing arrived after it said so).
  bool prepare_to_sleep(uint32_t shard);
  void woke_up(uint32_t shard) { boxes_[shard]->sleeping.store(false, std::memory_order_relaxed); }

  // Producer side, after a batch of pushes to `shard`.
  void wake(uint32_t shard);

  // For threads that are not shards (the metrics scraper): push one envelope and
  // wake the shard. False if the ring stayed full; the caller still owns the body.
  bool post_from_outside(uint32_t shard, Envelope e);

 private:
  std::vector<std::unique_ptr<Mailbox>> boxes_;
};

}  // namespace chatd::xshard
