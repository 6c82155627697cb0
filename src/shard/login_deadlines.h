// The connections of a shard that must log in by a deadline (--login-timeout,
// docs/protocol.md "Authentication"), soonest first.
//
// Deadlines are accept time + one timeout, so they arrive almost in order: an
// accepted connection goes at the back. A connection adopted from another shard
// keeps the deadline of its accept (moving home must not buy it time), which sits
// a little before the back; it is inserted in order (binary search, then a short
// move of the entries behind it).
//
// Entries are not removed when a connection logs in or closes: the shard checks
// each entry when it comes due and skips the ones that no longer wait. Bound: the
// shard compacts (drop_if) when the entries outnumber twice its open connections
// plus a constant, so the queue stays within 2 × connections + kSlack, and the
// compaction is amortised over at least as many additions as it drops.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <utility>

#include "common/clock.h"
#include "reactor/reactor.h"

namespace chatd::shard {

class LoginDeadlines {
 public:
  static constexpr std::size_t kSlack = 64;

  void add(reactor::ConnKey key, Nanos deadline) {
    const Entry e{deadline, key};
    if (queue_.empty() || queue_.back().deadline <= deadline) return queue_.push_back(e);
    auto at = std::upper_bound(queue_.begin(), queue_.end(), deadline,
                               [](Nanos d, const Entry& x) { return d < x.deadline; });
    queue_.insert(at, e);
  }

  // Calls on_due(key) for every entry whose deadline is <= now, soonest first, and
  // forgets them.
  template <class OnDue>
  void expire(Nanos now, OnDue&& on_due) {
    while (!queue_.empty() && queue_.front().deadline <= now) {
      const reactor::ConnKey key = queue_.front().key;
      queue_.pop_front();
      on_due(key);
    }
  }

  // Whether the entries outnumber what `live` connections can need.
  bool needs_compaction(std::size_t live) const { return queue_.size() > 2 * live + kSlack; }
  // Forgets the entries for which stale(key) holds (logged in, closed, moved away).
  template <class Stale>
  void drop_if(Stale&& stale) {
    std::erase_if(queue_, [&](const Entry& e) { return stale(e.key); });
  }

  bool empty() const { return queue_.empty(); }
  std::size_t size() const { return queue_.size(); }
  Nanos next() const { return queue_.front().deadline; }  // not empty()

 private:
  struct Entry {
    Nanos deadline;
    reactor::ConnKey key;
  };
  std::deque<Entry> queue_;
};

}  // namespace chatd::shard
