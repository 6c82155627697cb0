// The bounded ring that carries cross-shard messages: any thread pushes, one
// shard (the owner) drains. Dmitry Vyukov's bounded queue: every slot carries a
// sequence number that says whose turn it is, so producers only contend on one
// CAS of the tail and the consumer needs no atomic read-modify-write at all.
//
// Slot protocol, for position p living in slot p & mask (cap = capacity()):
//   seq == p        the slot is free for the producer that claims p;
//   seq == p + 1    the item for p is published, the consumer may take it;
//   seq == p + cap  the consumer took it; free for position p + cap (next lap).
//
// Bound: capacity() items. At the bound try_push() returns false and leaves the
// item with the caller, who keeps it and retries on its next loop turn;
// try_push_batch() takes what fits and leaves the rest with the caller.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "common/cache_line.h"

namespace chatd::xshard {

template <typename T>
class MpscRing {
  // A move that throws after a producer claimed a slot would leave the slot
  // unpublished forever, and the consumer stuck in front of it.
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "MpscRing items must be nothrow-move-constructible");

 public:
  // Rounded up to a power of two, at least 2.
  explicit MpscRing(std::size_t capacity)
      : mask_(std::bit_ceil(std::max<std::size_t>(capacity, 2)) - 1),
        slots_(std::make_unique<Slot[]>(mask_ + 1)) {
    // relaxed: the ring is handed to other threads after construction by
    // something that synchronises (thread start, a release store, ...).
    for (std::size_t i = 0; i <= mask_; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
  }

  // No producer or consumer may still be running.
  ~MpscRing() {
    drain([](T&&) {});
  }

  MpscRing(const MpscRing&) = delete;
  MpscRing& operator=(const MpscRing&) = delete;

  // Any thread. Moves from `item` and returns true, or returns false with
  // `item` untouched when the ring is full.
  bool try_push(T& item) {
    // relaxed: tail_ only hands out positions; a stale value is caught below by
    // the slot's seq or by the CAS, which always compares with the latest tail.
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& slot = slots_[pos & mask_];
      // acquire: pairs with the consumer's release in drain(), so its move-out and
      // destruction of the previous lap's item happen-before we construct here.
      const std::size_t seq = slot.seq.load(std::memory_order_acquire);
      const auto lag = static_cast<std::intptr_t>(seq - pos);
      if (lag == 0) {
        // relaxed: the CAS only decides which producer owns `pos`; the item is
        // published by the seq store below, not by tail_. On failure it reloads pos.
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          ::new (static_cast<void*>(slot.storage)) T(std::move(item));
          // release: the construction above happens-before the consumer's
          // acquire load that sees pos + 1.
          slot.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (lag < 0) {
        return false;  // the slot still holds the item from one lap ago: full
      } else {
        pos = tail_.load(std::memory_order_relaxed);  // another producer took pos
      }
    }
  }

  // Any thread. Moves the first k of `items[0, n)` into the ring with one claim of
  // k consecutive positions and returns k: as many as fit (0 when full). The k
  // items keep their order, and no other producer's item lands between them.
  std::size_t try_push_batch(T* items, std::size_t n) {
    n = std::min(n, mask_ + 1);
    if (n == 0) return 0;
    // relaxed: as in try_push(), the CAS below decides.
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      const std::size_t k = free_run(pos, n);
      if (k == 0) {
        // acquire as in free_run(); only the lag's sign is used here.
        const auto lag = static_cast<std::intptr_t>(slots_[pos & mask_].seq.load(std::memory_order_acquire) - pos);
        if (lag < 0) return 0;                        // full
        pos = tail_.load(std::memory_order_relaxed);  // another producer took pos
        continue;
      }
      // relaxed: only decides who owns [pos, pos + k); on failure pos is reloaded.
      // On success tail_ was still pos, and tail_ only grows, so nobody claimed any
      // of these positions since free_run() saw them free: they are ours alone.
      if (!tail_.compare_exchange_weak(pos, pos + k, std::memory_order_relaxed)) continue;
      for (std::size_t i = 0; i < k; ++i) {
        Slot& slot = slots_[(pos + i) & mask_];
        ::new (static_cast<void*>(slot.storage)) T(std::move(items[i]));
        // release: publishes this item, as in try_push(). The consumer takes them
        // one by one in position order, so it may start before the last is stored.
        slot.seq.store(pos + i + 1, std::memory_order_release);
      }
      return k;
    }
  }

  // The consumer thread only. Pops up to `max` items in FIFO order (FIFO per
  // producer; producers racing for neighbouring positions are ordered by their
  // CAS), calling fn(T&&) for each, and returns how many. Stops early at the
  // first position whose item is not yet published. With the default `max` it
  // keeps going while producers keep up: a shard loop should pass its budget.
  template <class Fn>
  std::size_t drain(Fn&& fn, std::size_t max = SIZE_MAX) {
    // relaxed: only this thread writes head_.
    const std::size_t start = head_.load(std::memory_order_relaxed);
    std::size_t head = start;
    // The position is published once per batch, also when fn throws: by then
    // the slots up to `head` are already released and must not be read again.
    struct Publish {
      std::atomic<std::size_t>& to;
      const std::size_t& head;
      // relaxed: head_ is only a hint for empty() callers; producers never read it.
      ~Publish() { to.store(head, std::memory_order_relaxed); }
    } publish{head_, head};
    while (head - start < max) {
      Slot& slot = slots_[head & mask_];
      // acquire: pairs with the producer's release of head + 1, so the item it
      // constructed is visible before we move it out.
      if (slot.seq.load(std::memory_order_acquire) != head + 1) break;
      T* stored = std::launder(reinterpret_cast<T*>(slot.storage));
      T item(std::move(*stored));
      std::destroy_at(stored);
      // release: the move-out and destruction above happen-before the producer
      // of the next lap (acquire load of seq) constructs over this slot.
      slot.seq.store(head + mask_ + 1, std::memory_order_release);
      ++head;
      fn(std::move(item));  // slot already free: fn may take its time, or throw
    }
    return head - start;
  }

  // Exact on the consumer thread (an item claimed but not yet published counts
  // as absent, as drain() would see it); only a hint on any other thread.
  bool empty() const {
    // relaxed both: nothing is read through this check; drain() does the
    // acquire that makes an item's contents visible.
    const std::size_t head = head_.load(std::memory_order_relaxed);
    return slots_[head & mask_].seq.load(std::memory_order_relaxed) != head + 1;
  }

  std::size_t capacity() const { return mask_ + 1; }

  // Items claimed and not yet consumed; a hint for metrics, from any thread.
  std::size_t size_approx() const {
    // relaxed both: a gauge, nothing is read through it.
    const std::size_t head = head_.load(std::memory_order_relaxed);
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    return tail > head ? tail - head : 0;
  }

 private:
  // How many of the positions pos, pos + 1, ... (at most n) are free for this lap.
  // The consumer frees slots strictly in position order, each with a release
  // store, so seeing the last of the n free (acquire) means every earlier one is
  // free too, and that the consumer's move-outs of all of them happen-before our
  // constructions: one load in the common case. Otherwise count from the front.
  std::size_t free_run(std::size_t pos, std::size_t n) const {
    const std::size_t last = pos + n - 1;
    if (slots_[last & mask_].seq.load(std::memory_order_acquire) == last) return n;
    std::size_t k = 0;
    while (k < n && slots_[(pos + k) & mask_].seq.load(std::memory_order_acquire) == pos + k) ++k;
    return k;
  }

  // One cache line per slot (for items up to 56 bytes): producers filling
  // neighbouring positions, and the consumer reading just behind them, would
  // otherwise bounce the same line between cores on every message.
  struct alignas(kCacheLine) Slot {
    std::atomic<std::size_t> seq;
    alignas(T) std::byte storage[sizeof(T)];
  };

  // Read-only after construction; kept off the two counters' lines.
  const std::size_t mask_;
  const std::unique_ptr<Slot[]> slots_;
  // Written by every producer.
  alignas(kCacheLine) std::atomic<std::size_t> tail_{0};
  // Written by the consumer only, once per drain(); alignas also pads the
  // object's end so nothing allocated after the ring shares this line.
  alignas(kCacheLine) std::atomic<std::size_t> head_{0};
};

}  // namespace chatd::xshard
