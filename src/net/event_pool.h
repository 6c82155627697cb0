// A shard's pool of memory blocks for EventBuffers (and the cross-shard messages
// that carry a msg's strings), so that a steady flow of messages allocates nothing:
// a block comes back to the pool it was cut from when its last reference goes, and
// is handed out again.
//
// Threads: one shard allocates from its pool; any shard may give a block back,
// because the last reference to an event is often dropped by another shard (the
// one whose connection sent it last). Blocks given back land on a lock-free stack
// per size class (push: one CAS); the owner takes a whole stack with one exchange
// when its private list of that class runs dry (mimalloc's "delayed free" idea).
// Taking all at once means no ABA: nobody ever pops a single node off the shared
// stack.
//
// Bound: a size class keeps at most kCachedBytesPerClass of free blocks; beyond that
// they go back to malloc when the owner collects them. Blocks larger than the
// largest class are plain malloc (counted in oversize()).
//
// Lifetime: the pool must outlive every block it handed out (chatd keeps the pools
// in ServerShared, which outlives the shards).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/cache_line.h"

namespace chatd::net {

class EventPool {
 public:
  static constexpr int kClasses = 10;                      // 256 B .. 128 KiB, powers of two
  static constexpr std::size_t kSmallestClass = 256;
  static constexpr std::size_t kCachedBytesPerClass = 1 << 20;

  EventPool() = default;
  EventPool(const EventPool&) = delete;
  EventPool& operator=(const EventPool&) = delete;
  ~EventPool();

  // `pool` may be null: then the block is plain malloc and free. Owner thread only.
  // Returns at least `bytes` usable bytes, aligned for any EventBuffer.
  static void* allocate(EventPool* pool, std::size_t bytes);
  // Any thread: gives a block from allocate() back to its pool (or to malloc).
  static void release(void* block);

  // For tests and gauges, owner thread: blocks cut from malloc so far, and blocks
  // too large for any class.
  uint64_t blocks_made() const { return blocks_made_; }
  uint64_t oversize() const { return oversize_; }

 private:
  // In front of every block. While the block is in use it says where it goes
  // back to; while it is free, `next` links it into a free list.
  struct alignas(16) Header {
    EventPool* pool;  // null: a plain malloc block
    union {
      uint32_t size_class;  // in use
      Header* next;         // free
    };
  };
  static_assert(sizeof(Header) == 16);

  static int class_of(std::size_t bytes);
  static std::size_t class_bytes(int c) { return kSmallestClass << c; }
  void give_back(Header* h);
  Header* collect(int c);

  // Owner only: the private free lists, and how many each holds.
  Header* local_[kClasses] = {};
  uint32_t local_count_[kClasses] = {};
  uint64_t blocks_made_ = 0;
  uint64_t oversize_ = 0;
  // Pushed by any thread, taken whole by the owner; one cache line each so that
  // shards giving back different classes do not contend.
  struct alignas(kCacheLine) RemoteStack {
    std::atomic<Header*> head{nullptr};
  };
  RemoteStack remote_[kClasses];
};

}  // namespace chatd::net
