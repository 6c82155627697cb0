// One simulated chat user: a connection, its decoder and send buffers, its
// place in the order of what it receives, and its share of the current step's
// traffic. Owned by one worker thread; never touched by another.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "loadgen/engine/send_buffer.h"
#include "loadgen/stats/delivery_ledger.h"
#include "loadgen/wire/wire_protocol.h"
#include "net/connection_writer.h"
#include "reactor/reactor.h"

namespace chatd::loadgen {
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

  // Exists from connect() until closed; freed after a feed, never inside one.
  std::unique_ptr<WireSession> session;
  bool in_feed = false;

  // What it has received in its room, for duplicates and reordering: chatd's
  // room seq, or per sender where the server has no seq (the peers; indexed by
  // the sender's RoomPlan::member_index, so at most the room's size).
  SeqTracker seq;
  std::vector<SenderOrder> room_senders;

  // Sending, driven by the worker's net::ConnectionWriter: one send in flight
  // (it reads out's in-flight half), new bytes wait in out.pending().
  SendBuffer out;
  net::SendState send;

  // This step's traffic.
  MessageHead head;        // the constant parts of every message
  std::string whisper_to;  // `whisper N`: this step's receiver
  uint32_t planned = 0;    // messages to send
  uint32_t generated = 0;  // messages written to out.pending()
  uint32_t unacked = 0;    // closed loop: sent and not yet echoed
  uint32_t schedule_slot = 0;  // open loop: its place in the worker's schedule
  // Servers that answer every message in order without naming it (the peers):
  // answers still due, and how many of those belong to earlier steps.
  uint32_t answers_owed = 0;
  uint32_t stale_answers = 0;

  bool alive() const { return state != State::closed; }
};

}  // namespace chatd::loadgen
