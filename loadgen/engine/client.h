// One simulated chat user: a connection, its framing and send buffers, its place
// in the room's seq order and its share of the current step's traffic. Owned by
// one worker thread; never touched by another.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "loadgen/stats/delivery_ledger.h"
#include "proto/line_framer.h"
#include "reactor/reactor.h"

namespace chatd::loadgen {

// Longest server line loadgen accepts (chatd's frames are at most 64 KiB by default).
constexpr std::size_t kMaxServerLine = 1 << 20;
// Open loop: a client whose unsent bytes reach this stops generating until its
// sends drain; the messages it owes keep their intended send times (see docs).
constexpr std::size_t kMaxPendingBytes = 256 * 1024;

struct Client {
  enum class State : uint8_t { queued, connecting, greeting, joined, closed };

  uint32_t number = 0;  // global: names it, places it in a room, tags its messages
  uint32_t room = 0;
  int fd = -1;
  reactor::ConnKey key = 0;
  State state = State::queued;
  bool in_reactor = false;  // start_recv done: the reactor must close the fd
  Nanos started = 0;       // connect() call: connect+hello+join time starts here

  proto::LineFramer framer{kMaxServerLine};
  SeqTracker seq;

  // Sending: one send in flight (its iovec points into in_flight), the rest waits.
  std::string pending;
  std::string in_flight;
  std::size_t in_flight_done = 0;
  bool sending = false;
  bool dirty = false;  // on the worker's flush list

  // This step's traffic.
  std::string head;        // the constant start of every message line
  uint32_t planned = 0;    // messages to send
  uint32_t generated = 0;  // messages written to `pending`
  uint32_t unacked = 0;    // closed loop: sent and not yet echoed
  uint32_t schedule_slot = 0;  // open loop: its place in the worker's schedule

  bool alive() const { return state != State::closed; }
};

}  // namespace chatd::loadgen
