// NATS core pub/sub, text protocol (https://docs.nats.io/reference/reference-protocols/nats-protocol).
//
// One connection per client, as with chatd: CONNECT, SUB to the room's subject
// (sid 1) and the client's own subject (sid 2), then PING; the PONG that answers
// it means every SUB before it took effect: ready. Messages are PUB on the same
// connection; NATS echoes a client's own messages to its subscriptions by
// default, the same echo chatd sends. PING from the server is answered PONG.
//
// NATS acknowledges nothing unless the connection is verbose (+OK for every
// CONNECT, SUB and PUB). Room traffic needs no acknowledgement (the echo is
// one), so connections are verbose only when the run whispers in a closed loop
// (WireOptions::whisper_acks): then each +OK after the PONG answers one PUB, in order.
//
//   greeting  CONNECT {"verbose":false,"pedantic":false,...}  SUB <room> 1  SUB <user> 2  PING  → PONG: ready
//   message   PUB <subject> <#bytes>\r\n<body>\r\n
//   delivery  MSG <subject> <sid> [reply-to] <#bytes>\r\n<body>\r\n   (body: peer_payload.h)
#pragma once

#include <string_view>

#include "loadgen/wire/frame_buffer.h"
#include "loadgen/wire/wire_protocol.h"

namespace chatd::loadgen {

// One server → client frame, summarised; views point into the scanned bytes.
struct NatsFrame {
  enum class Verb : unsigned char { msg, ping, pong, ok, err, info, other };
  Verb verb = Verb::other;
  std::string_view subject, sid, payload;  // msg (an HMSG's payload without its headers)
  std::string_view text;                   // err: the message without quotes; info: the JSON
};

// Scans the frame at the start of `bytes`.
FrameScan scan_nats(std::string_view bytes, NatsFrame& out);

std::unique_ptr<WireProtocol> make_nats_wire(bool verbose);

}  // namespace chatd::loadgen
