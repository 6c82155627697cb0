// What a connection's outbound bound means (docs/protocol.md, "Guarantees: a slow
// reader slows only itself", and the choices listed under "Choices where the
// contract is silent"):
//
//  * a broadcast that would take the queue past --max-outbound is dropped for that
//    connection alone and counted; the first such drop starts its slow clock;
//  * a connection still over half the bound --slow-timeout after its first drop gets
//    `slow_consumer` and is closed; one that drains to half the bound is forgiven
//    (hysteresis: a queue kept just under the bound by drops is still over it);
//  * direct replies are never dropped; a connection whose queue is over the bound
//    after one stops having its requests read until it drains to half the bound;
//  * a whisper is dropped at the bound like a broadcast but does not start the clock.
//
// Values in, verdicts out: the shard owns the queues and acts on the verdicts.
#pragma once

#include <cstddef>

#include "common/clock.h"

namespace chatd::chat {

// Per connection: since when broadcasts have had to be dropped (0 = not over).
struct OverBound {
  Nanos since = 0;
  bool watched() const { return since != 0; }
};

enum class BroadcastVerdict {
  deliver,         // queue it
  drop,            // over the bound: drop and count
  drop_and_watch,  // the first drop: drop, count, and start watching the connection
};

enum class SlowVerdict {
  forgiven,    // drained to half the bound: stop watching
  watching,    // still over, still within --slow-timeout
  disconnect,  // over for too long: slow_consumer
};

class DeliveryPolicy {
 public:
  DeliveryPolicy(std::size_t max_outbound, Nanos slow_timeout)
      : max_outbound_(max_outbound), slow_timeout_(slow_timeout) {}

  // A broadcast of `size` bytes for a connection with `queued` bytes waiting.
  BroadcastVerdict broadcast(std::size_t queued, std::size_t size, OverBound& state, Nanos now) const;
  // A whisper of `size` bytes: true if it is queued.
  bool whisper_fits(std::size_t queued, std::size_t size) const { return queued + size <= max_outbound_; }
  // For a watched connection, once per timer tick.
  SlowVerdict check_slow(std::size_t queued, OverBound& state, Nanos now) const;
  // After queueing a direct reply: stop reading the connection's requests?
  bool pause_input(std::size_t queued) const { return queued > max_outbound_; }
  // After a send completed on a paused connection: read its requests again?
  bool resume_input(std::size_t queued) const { return queued <= max_outbound_ / 2; }

  std::size_t max_outbound() const { return max_outbound_; }

 private:
  std::size_t max_outbound_;
  Nanos slow_timeout_;
};

}  // namespace chatd::chat
