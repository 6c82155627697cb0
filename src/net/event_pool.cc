#include "net/event_pool.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>

namespace chatd::net {

EventPool::~EventPool() {
  for (int c = 0; c < kClasses; ++c) {
    // acquire: pairs with the release of the last give_back(), as in collect().
    Header* lists[2] = {local_[c], remote_[c].head.exchange(nullptr, std::memory_order_acquire)};
    for (Header* h : lists) {
      while (h) {
        Header* next = h->next;
        std::free(h);
        h = next;
      }
    }
  }
}

int EventPool::class_of(std::size_t bytes) {
  if (bytes <= kSmallestClass) return 0;
  const int c = std::bit_width(bytes - 1) - std::bit_width(kSmallestClass - 1);
  return c < kClasses ? c : -1;
}

void* EventPool::allocate(EventPool* pool, std::size_t bytes) {
  const std::size_t total = bytes + sizeof(Header);
  const int c = pool ? class_of(total) : -1;
  Header* h = nullptr;
  if (c >= 0) {
    h = pool->local_[c] ? pool->local_[c] : pool->collect(c);
    if (h) {
      pool->local_[c] = h->next;
      --pool->local_count_[c];
    }
  }
  if (!h) {
    h = static_cast<Header*>(std::malloc(c >= 0 ? class_bytes(c) : total));
    if (!h) throw std::bad_alloc();
    if (pool) ++(c >= 0 ? pool->blocks_made_ : pool->oversize_);
  }
  h->pool = c >= 0 ? pool : nullptr;
  h->size_class = uint32_t(c);
  return h + 1;
}

void EventPool::release(void* block) {
  Header* h = static_cast<Header*>(block) - 1;
  if (h->pool == nullptr) return std::free(h);
  h->pool->give_back(h);
}

void EventPool::give_back(Header* h) {
  std::atomic<Header*>& head = remote_[h->size_class].head;
  // relaxed: the CAS below re-reads on failure.
  Header* old = head.load(std::memory_order_relaxed);
  do {
    h->next = old;
    // release: our last reads of the block (the kernel's sendmsg is done, the
    // bytes were read) and the write of `next` happen-before the owner reuses it.
  } while (!head.compare_exchange_weak(old, h, std::memory_order_release, std::memory_order_relaxed));
}

EventPool::Header* EventPool::collect(int c) {
  // acquire: pairs with every give_back() whose push we take, so their writes to
  // the blocks (and to `next`) are visible before we walk and reuse them.
  Header* h = remote_[c].head.exchange(nullptr, std::memory_order_acquire);
  // Keep what the bound allows; the rest goes back to malloc (the walk is paid
  // once per block collected, so it is constant per allocation).
  const uint32_t keep = uint32_t(std::max<std::size_t>(kCachedBytesPerClass / class_bytes(c), 1));
  Header* kept = nullptr;
  uint32_t n = 0;
  while (h) {
    Header* next = h->next;
    if (n < keep) {
      h->next = kept;
      kept = h;
      ++n;
    } else {
      std::free(h);
    }
    h = next;
  }
  local_[c] = kept;
  local_count_[c] = n;
  return kept;
}

}  // namespace chatd::net
