// A backend's per-connection state, indexed by a small dense number: the ConnKey's
// index (io_uring) or the fd (epoll). Both are bounded, by the shard's connection
// slots and by the process fd limit, so the table grows to at most that and never
// shrinks (a slot is reused by the next connection with that index).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace chatd::reactor {

template <class Slot>
class ConnTable {
 public:
  // Grows the table when `index` is new. The reference is valid until the next call:
  // look the slot up again after a Handler callback (it may open a connection).
  Slot& operator[](uint32_t index) {
    if (index >= slots_.size()) slots_.resize(std::size_t(index) * 2 + 64);
    return slots_[index];
  }

 private:
  std::vector<Slot> slots_;
};

}  // namespace chatd::reactor
