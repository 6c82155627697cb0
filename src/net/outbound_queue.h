// A connection's queue of bytes to send: references to shared EventBuffers, never copies.
//
// Bound: the owner checks bytes() against --max-outbound before queueing a droppable
// (broadcast) entry; direct replies are always queued. Storage is a ring of 16-byte
// entries, allocated on first use; when it empties it is kept if small (so steady
// traffic allocates nothing per event) and freed if a burst had grown it.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "net/event_buffer.h"

namespace chatd::net {

class OutboundQueue {
 public:
  OutboundQueue() = default;
  OutboundQueue(const OutboundQueue&) = delete;
  OutboundQueue& operator=(const OutboundQueue&) = delete;
  ~OutboundQueue() { clear(); }

  bool empty() const { return count_ == 0; }
  std::size_t bytes() const { return bytes_; }
  uint32_t entries() const { return count_; }

  // Queues `part` (bytes inside `buffer`) and takes over one reference to `buffer`.
  void push(EventBuffer* buffer, std::string_view part, bool droppable);

  // Fills up to `max` iovecs from the head (the head's unsent rest first); returns how many.
  int gather(iovec* iov, int max) const;

  // The kernel took `n` bytes: releases every entry sent in full.
  void consume(std::size_t n);

  // Drops every droppable entry except the first `in_flight` (a send the kernel has not
  // finished reads them) and a partly sent head (its rest must still go out to keep the
  // stream well-formed); returns how many were dropped.
  uint32_t drop_droppable(uint32_t in_flight);

  void clear();

 private:
  struct Entry {
    EventBuffer* buffer;
    uint32_t offset;        // of the bytes, from buffer->base()
    uint32_t len : 31;
    uint32_t droppable : 1;
    const char* data() const { return buffer->base() + offset; }
  };
  static_assert(sizeof(Entry) == 16);
  static constexpr uint32_t kKeptCapacity = 4;  // ring kept across idle periods: 64 bytes
  Entry& at(uint32_t i) const { return ring_[(head_ + i) & (capacity_ - 1)]; }
  void grow();

  std::unique_ptr<Entry[]> ring_;
  uint32_t head_ = 0;
  uint32_t count_ = 0;
  uint32_t capacity_ = 0;     // a power of two
  uint32_t head_sent_ = 0;    // bytes of the head entry already sent
  std::size_t bytes_ = 0;     // unsent bytes queued
};

}  // namespace chatd::net
