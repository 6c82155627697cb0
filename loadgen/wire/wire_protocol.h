// The line between loadgen's engine and the server it loads: everything that
// depends on the wire protocol. The engine (connecting, the closed and open
// loops, accounting) is the same for every target; a target is an encoder of
// a client's requests and a per-connection decoder that turns received bytes
// into WireEvents. Bytes in, bytes out, no I/O: the encoders and decoders are
// unit-tested without sockets.
//
//   chatd   chatd_wire.h   JSON lines: hello + join, msg, whisper (docs/protocol.md)
//           chatd_ws_wire.h  the same JSON over WebSocket (--ws)
//   redis   resp_wire.h    RESP3 pub/sub: SUBSCRIBE, PUBLISH
//   nats    nats_wire.h    NATS text protocol: SUB, PUB
//
// On the peers a room is a channel (Redis) or subject (NATS), a member is a
// connection subscribed to it, and each client also subscribes to a channel
// named after itself, which carries its whispers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "loadgen/wire/requests.h"

namespace chatd::loadgen {

enum class Target : uint8_t { chatd, redis, nats };
std::string_view target_name(Target t);
Result<Target> parse_target(std::string_view name);
uint16_t default_port(Target t);  // 7000, 6379, 4222

enum class MessageKind : uint8_t { room, whisper };

// What the decoder saw, flattened. String views point into the received bytes
// or the decoder's buffer: valid during the callback only.
struct WireEvent {
  enum class Kind : uint8_t {
    ready,            // logged in and subscribed/joined: the client may send
    room_delivery,    // a message in the client's room
    direct_delivery,  // a whisper to the client
    accepted,         // the server took one of the client's messages
    error,            // the server refused something (a request, or the connection)
    server_info,      // what the server says about itself
    garbled,          // a frame that could not be decoded (code says how); the stream goes on
  };
  Kind kind = Kind::server_info;
  std::string_view id;       // deliveries; accepted: chatd names the whisper, the peers answer in order (empty)
  int64_t ts = 0;            // deliveries
  bool has_ts = false;
  int64_t seq = 0;           // room_delivery: chatd's per-room seq; 0 where the server has none
  int64_t last_seq = 0;      // ready: the room's last seq when joined (chatd)
  int64_t receivers = -1;    // accepted: subscribers that got it (Redis); -1 unknown
  std::string_view code;     // error: chatd's code, or "redis_err", "nats_err", ...; garbled: what was wrong
  std::string_view op;       // error: the refused op (chatd); empty on the peers
  std::string_view detail;   // error: the server's words
  int64_t shards = 0;        // server_info: chatd's welcome
  std::string_view version;  // server_info: Redis's HELLO reply, NATS's INFO
};

class WireEventSink {
 public:
  virtual ~WireEventSink() = default;
  // False: stop decoding this connection (it was closed); the rest is dropped.
  virtual bool on_wire_event(const WireEvent& e) = 0;
};

// One connection's decoder: the state a frame split across reads needs.
class WireSession {
 public:
  virtual ~WireSession() = default;
  // Decodes `data` (followed by at least reactor::kRecvPadding readable bytes)
  // and reports every complete frame to `sink`. Bytes the protocol requires in
  // answer (NATS: PONG for PING) are appended to `reply`. Returns an error code
  // ("server_frame_too_large", "bad_server_frame") when the stream is unusable.
  virtual std::string_view feed(std::string_view data, WireEventSink& sink, std::string& reply) = 0;
};

// The constant parts of a client's messages in one step, built once per client
// and step so that each message costs only its id, ts and (whisper) receiver.
struct MessageHead {
  std::string prefix;
  std::string suffix;
};

struct ClientAddress {
  std::string_view user;    // chatd's user name; on the peers, the client's whisper channel
  std::string_view room;    // the room; on the peers, its channel/subject
  std::string_view server = {};  // "host:port" the client connects to (WebSocket's Host header)
};

class WireProtocol {
 public:
  virtual ~WireProtocol() = default;
  virtual Target target() const = 0;

  // A new connection: its decoder, and (appended to `greeting`) what the client
  // sends as soon as it is connected: log in, join its room (and on the peers
  // subscribe to its own channel), and whatever makes the server confirm that
  // all of it took effect; the decoder reports `ready` then. One call, because
  // a greeting can depend on the session (WebSocket: the handshake's key).
  virtual std::unique_ptr<WireSession> open_session(const ClientAddress& client, std::string& greeting) = 0;

  // A message: `room` for room messages; for whispers `to` (per message) names
  // the receiver. The text is fixed per head; id and ts travel with every message.
  virtual MessageHead message_head(MessageKind kind, std::string_view room, std::string_view text) const = 0;
  virtual void append_message(std::string& out, const MessageHead& head, std::string_view to, MessageId id,
                              Nanos ts) const = 0;

  // True when the server answers every message of this kind on the sender's
  // connection without naming it (Redis's integer reply, NATS's +OK): the
  // engine then matches answers to messages by order.
  virtual bool answers_in_order(MessageKind kind) const = 0;
};

struct WireOptions {
  // The engine needs a per-message answer to whispers (the closed loop's
  // acknowledgement). chatd always gives one (whisper_sent); the peers are
  // asked for one only then (Redis: PUBLISH replies on; NATS: verbose), so
  // that in room workloads every target sends back only the deliveries.
  bool whisper_acks = false;
  // chatd over WebSocket (--ws): the same JSON objects, one per text message
  // after an HTTP upgrade (chatd_ws_wire.h), instead of one per line.
  bool websocket = false;
  // chatd with auth on (--auth-secret-file): the HS256 key every hello's token
  // is minted with (sub = the user, exp an hour from the greeting). Empty: no token.
  std::string auth_secret = {};
};

std::unique_ptr<WireProtocol> make_wire_protocol(Target target, const WireOptions& options);

}  // namespace chatd::loadgen
