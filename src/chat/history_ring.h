// The last N messages of a room, by seq: what `history` answers from and what a
// rejoin with `since` replays (docs/protocol.md, "history: catch up").
//
// Generic over what it stores: the owner keeps a reference-counted handle to the
// encoded event, but the ring only needs a movable, default-constructible `Stored`
// whose destruction lets go of whatever it refers to. So chat/ never learns the
// buffer type (net/ sits above nothing here).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace chatd::chat {

template <class Stored>
class HistoryRing {
 public:
  // Keeps at least one message, so a rejoin right after a message can recover it.
  explicit HistoryRing(uint32_t capacity) : slots_(std::max<uint32_t>(capacity, 1)) {}

  // Stores the message with `seq`, which must be the seq after the last one stored
  // (the room gives out every seq to a stored msg). The oldest falls out at capacity.
  void remember(uint64_t seq, Stored item) {
    slots_[slot(seq)] = std::move(item);  // the old occupant is released here
    last_ = seq;
    stored_ = std::min<uint64_t>(stored_ + 1, slots_.size());
  }

  uint64_t last_seq() const { return last_; }
  // The seq of the oldest message held, or last_seq() + 1 when none is.
  uint64_t first_seq() const { return last_ - stored_ + 1; }
  uint32_t capacity() const { return uint32_t(slots_.size()); }

  // Calls fn(const Stored&) for the stored messages with seq > since, oldest first,
  // at most `limit` of them; returns how many.
  template <class Fn>
  std::size_t for_each_since(uint64_t since, std::size_t limit, Fn&& fn) const {
    std::size_t n = 0;
    for (uint64_t seq = std::max(since + 1, first_seq()); seq <= last_ && n < limit; ++seq, ++n)
      fn(slots_[slot(seq)]);
    return n;
  }

 private:
  // The message with seq s sits at (s - 1) % capacity while it is stored.
  std::size_t slot(uint64_t seq) const { return std::size_t((seq - 1) % slots_.size()); }

  std::vector<Stored> slots_;
  uint64_t last_ = 0;
  uint64_t stored_ = 0;
};

}  // namespace chatd::chat
