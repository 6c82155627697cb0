#include "net/outbound_queue.h"

#include <utility>

namespace chatd::net {

void OutboundQueue::push(EventBuffer* buffer, std::string_view part, bool droppable) {
  if (count_ == capacity_) grow();
  ring_[(head_ + count_) & (capacity_ - 1)] =
      Entry{buffer, uint32_t(part.data() - buffer->base()), uint32_t(part.size()), droppable};
  ++count_;
  bytes_ += part.size();
}

void OutboundQueue::grow() {
  const uint32_t cap = capacity_ == 0 ? 4 : capacity_ * 2;
  auto ring = std::make_unique<Entry[]>(cap);
  for (uint32_t i = 0; i < count_; ++i) ring[i] = at(i);
  ring_ = std::move(ring);
  capacity_ = cap;
  head_ = 0;
}

int OutboundQueue::gather(iovec* iov, int max) const {
  int n = 0;
  for (uint32_t i = 0; i < count_ && n < max; ++i, ++n) {
    const Entry& e = at(i);
    const uint32_t skip = i == 0 ? head_sent_ : 0;
    iov[n].iov_base = const_cast<char*>(e.data() + skip);
    iov[n].iov_len = e.len - skip;
  }
  return n;
}

void OutboundQueue::consume(std::size_t n) {
  bytes_ -= n;
  while (n > 0) {
    Entry& e = at(0);
    const std::size_t rest = e.len - head_sent_;
    if (n < rest) {
      head_sent_ += uint32_t(n);
      return;
    }
    n -= rest;
    e.buffer->release();
    head_ = (head_ + 1) & (capacity_ - 1);
    --count_;
    head_sent_ = 0;
  }
  if (count_ == 0) {
    head_ = 0;
    // A ring grown by a burst goes; a small one stays for the next event.
    if (capacity_ > kKeptCapacity) {
      ring_.reset();
      capacity_ = 0;
    }
  }
}

uint32_t OutboundQueue::drop_droppable(uint32_t in_flight) {
  uint32_t kept = 0, dropped = 0;
  for (uint32_t i = 0; i < count_; ++i) {
    Entry e = at(i);
    const bool must_keep = i < in_flight || (i == 0 && head_sent_ > 0);
    if (e.droppable && !must_keep) {
      bytes_ -= e.len;
      e.buffer->release();
      ++dropped;
    } else {
      at(kept++) = e;
    }
  }
  count_ = kept;
  return dropped;
}

void OutboundQueue::clear() {
  for (uint32_t i = 0; i < count_; ++i) at(i).buffer->release();
  ring_.reset();
  head_ = count_ = capacity_ = head_sent_ = 0;
  bytes_ = 0;
}

}  // namespace chatd::net
