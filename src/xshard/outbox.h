// What one shard has posted to another and not yet handed to the target's ring:
// a FIFO per destination, pushed into the ring in batches (one claim of the ring's
// tail per batch, one wakeup per destination per loop turn).
//
// Bound: `watermark` envelopes. The outbox itself never refuses an envelope (what a
// shard posts has already been accepted, and must not be lost); the owner of the
// outbox looks at over_watermark() before it admits new work that would post here,
// and holds that work back until below_low_watermark(). See docs/architecture.md,
// "Queues and their bounds". Storage grows by doubling while envelopes wait and
// shrinks back when the outbox empties.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "xshard/envelope.h"
#include "xshard/mpsc_ring.h"

namespace chatd::xshard {

class Outbox {
 public:
  explicit Outbox(std::size_t watermark = 4096) : watermark_(watermark) {}
  Outbox(Outbox&& o) noexcept
      : slots_(std::move(o.slots_)),
        head_(std::exchange(o.head_, 0)),
        count_(std::exchange(o.count_, 0)),
        capacity_(std::exchange(o.capacity_, 0)),
        watermark_(o.watermark_),
        peak_(o.peak_) {}
  Outbox& operator=(Outbox&&) = delete;
  // What was never handed over is discarded (its bodies freed, nothing run).
  ~Outbox() {
    while (count_ > 0) take_front().discard();
  }

  void push(Envelope e) {
    if (count_ == capacity_) grow();
    slots_[(head_ + count_) & (capacity_ - 1)] = e;
    ++count_;
    if (count_ > peak_) peak_ = count_;
  }

  // Pushes from the front into `ring` as far as it has room; returns how many went.
  std::size_t flush_into(MpscRing<Envelope>& ring) {
    std::size_t moved = 0;
    while (count_ > 0) {
      // The waiting envelopes may wrap around the end of the storage: push the
      // contiguous run at the front, then (next time round) the rest.
      const std::size_t run = std::min(count_, capacity_ - head_);
      const std::size_t k = ring.try_push_batch(&slots_[head_], run);
      moved += k;
      pop_front(k);
      if (k < run) break;  // the ring is full
    }
    return moved;
  }

  // Hands the front envelope to the caller (for the shard's own outbox, which is
  // drained in place rather than through a ring).
  Envelope take_front() {
    Envelope e = slots_[head_];
    pop_front(1);
    return e;
  }

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  std::size_t watermark() const { return watermark_; }
  bool over_watermark() const { return count_ >= watermark_; }
  bool below_low_watermark() const { return count_ <= watermark_ / 2; }
  // The most envelopes it ever held at once: how far past the watermark it went.
  std::size_t peak() const { return peak_; }

 private:
  static constexpr std::size_t kKeptCapacity = 256;  // 4 KiB kept across idle turns

  void pop_front(std::size_t n) {
    head_ = (head_ + n) & (capacity_ - 1);
    count_ -= n;
    if (count_ == 0) {
      head_ = 0;
      // A backlog that grew the storage is over: give the memory back.
      if (capacity_ > kKeptCapacity) {
        slots_.reset();
        capacity_ = 0;
      }
    }
  }

  void grow() {
    const std::size_t cap = capacity_ == 0 ? 64 : capacity_ * 2;
    auto slots = std::make_unique<Envelope[]>(cap);
    for (std::size_t i = 0; i < count_; ++i) slots[i] = slots_[(head_ + i) & (capacity_ - 1)];
    slots_ = std::move(slots);
    capacity_ = cap;
    head_ = 0;
  }

  std::unique_ptr<Envelope[]> slots_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t capacity_ = 0;  // a power of two
  std::size_t watermark_;
  std::size_t peak_ = 0;
};

}  // namespace chatd::xshard
