// One client connection as its shard sees it: I/O state (fd, input framer, outbound
// queue) and chat state (who it is, which rooms). Owned by exactly one shard; it moves
// to the user's home shard after hello as a bare fd plus unprocessed bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chat/delivery_policy.h"
#include "chat/local_rooms.h"
#include "chat/sender_pacing.h"
#include "chat/token_bucket.h"
#include "chat/user_list.h"
#include "common/clock.h"
#include "net/connection_writer.h"
#include "net/outbound_queue.h"
#include "proto/events.h"
#include "proto/line_framer.h"
#include "reactor/reactor.h"
#include "shard/admission.h"
#include "shard/web_connection.h"

namespace chatd::shard {

struct Connection;
// The rooms this shard hosts members of, with the connections as members.
using LocalRooms = chat::LocalRooms<Connection*>;

enum class Phase : uint8_t {
  open,       // reading and answering
  migrating,  // hello named another home shard: stopping recv, then the fd moves
  draining,   // last words queued (bye, an error, shutdown): flush, then shut the write side
  lingering,  // write side shut; discard input until EOF or the deadline, then close
};

struct Connection {
  Connection(reactor::ConnKey k, int f, std::size_t max_frame) : key(k), fd(f), framer(max_frame) {}

  reactor::ConnKey key;
  int fd;
  proto::Mode mode = proto::Mode::undecided;
  Phase phase = Phase::open;
  bool receiving = false;       // a recv is armed in the reactor
  bool input_paused = false;    // outbound over its bound: stop reading requests
  bool held = false;            // an outbox its next request posts to is full, or its window: wait (backpressure.cc)
  bool peer_closed = false;     // EOF seen: finish what was read, flush, close
  uint16_t pending = 0;         // cross-shard replies awaited; requests wait meanwhile
  uint16_t migrate_to = 0;      // migrating: the home shard named by hello
  uint32_t held_for = 0;        // held: the shard whose outbox is full (kAllShards: any)

  uint64_t session = 0;  // non-zero once logged in; unique per login across shards
  std::string user;
  LocalRooms::Memberships rooms;
  std::string current_room;  // text mode: where plain lines go
  chat::TokenBucket bucket;
  Admission admission;  // login deadline, refused tokens, per-address slot (login.cc)

  chat::OverBound over_bound;  // since when broadcasts have had to be dropped
  Nanos deadline = 0;          // draining/lingering: close then (lingering: unless the peer still receives)
  Nanos close_by = 0;          // draining/lingering: close by then regardless

  // Pacing bursts (chat/sender_pacing.h, shard/sender_pacing.cc).
  chat::KeepUp keep_up;     // as a member: when its queue last drained to the low mark
  uint32_t unreleased = 0;  // as a sender: weight of its msgs not yet released everywhere
  uint32_t slice_turn = 0;  // the turn slice_used counts in
  uint32_t slice_used = 0;  // bytes of frames handled in that turn
  bool yielded = false;     // its slice ran out with frames left: listed to go on next turn

  // Input: bounded by --max-frame per frame; while requests wait (pending replies,
  // a full outbound queue, a full outbox) at most max_frame + 256 KiB is held,
  // then the connection is not read until the backlog is worked off.
  proto::LineFramer framer;
  // Output: bounded by --max-outbound (chat/delivery_policy.h says what happens at
  // the bound: broadcasts dropped and counted, replies kept and input paused).
  net::OutboundQueue out;
  net::SendState send;  // the shard's ConnectionWriter's state for this connection
  std::string handoff;              // migrating: the hello frame, to be replayed at home
  std::unique_ptr<chat::ListGather> gather;  // users/rooms: parts collected from every shard
  std::unique_ptr<HttpInput> http;  // Mode::http only (web_connection.h)
  std::unique_ptr<WebSocket> ws;    // Mode::ws only

  bool logged_in() const { return session != 0; }
  // Whether the next frame may be handled now.
  bool takes_frames() const { return phase == Phase::open && pending == 0 && !input_paused && !held; }
};

// The bytes of a direct reply for a connection of `mode`: the encoded line as it is,
// or as one WebSocket text frame.
inline std::string_view reply_part(const net::EventBuffer& b, proto::Mode mode) {
  return mode == proto::Mode::ws ? b.ws_frame() : b.json();
}

// The bytes of a broadcast event for a member of `mode`: the human line (text mode),
// the shared frame (WebSocket) or the JSON line.
inline std::string_view broadcast_part(const net::EventBuffer& b, proto::Mode mode) {
  switch (mode) {
    case proto::Mode::text: return b.text();
    case proto::Mode::ws: return b.ws_frame();
    default: return b.json();
  }
}

}  // namespace chatd::shard
