// Redis pub/sub in RESP3 (https://redis.io/docs/reference/protocol-spec/).
//
// One connection per client, as with chatd: HELLO 3, then SUBSCRIBE to the
// room's channel and the client's own (whisper) channel; messages are PUBLISH
// on that same connection. RESP3 allows commands on a subscribed connection
// (RESP2 does not), and pushes (`>`) carry the subscriptions' messages. A
// client's own room messages come back through its subscription: the same
// echo chatd sends, which acknowledges the closed loop's room messages.
//
// Redis answers each PUBLISH with its receiver count. Room traffic needs no
// answer, so, like chatd and NATS, Redis is asked to send only the deliveries
// (CLIENT REPLY OFF: replies stop, pushes go on). Where the closed loop needs
// each whisper acknowledged (WireOptions::whisper_acks), replies stay on and
// the integer replies, which keep their order, answer the messages in order.
//
//   greeting  *2 HELLO 3                     → %map (server, version, ...)
//             *3 SUBSCRIBE <room> <user>     → >3 subscribe <ch> <n>, twice: ready
//             [*3 CLIENT REPLY OFF]          (no reply)
//   message   *3 PUBLISH <channel> <body>    → [:<receivers>]
//   delivery  >3 message <channel> <body>    (body: peer_payload.h)
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "loadgen/wire/frame_buffer.h"
#include "loadgen/wire/wire_protocol.h"

namespace chatd::loadgen {

// One RESP3 value, summarised: its type byte, its scalar contents, and for an
// aggregate its element count and the first few scalar elements (enough for a
// push's kind, channel and body, or HELLO's version). Views point into the
// scanned bytes.
struct RespValue {
  struct Item {
    char type = 0;
    std::string_view text;  // simple/bulk/verbatim string, error
    int64_t integer = 0;
  };
  static constexpr std::size_t kItems = 4;

  char type = 0;
  std::string_view text;
  int64_t integer = 0;
  bool null = false;
  uint64_t count = 0;  // elements of an aggregate (a map's keys and values both count)
  std::array<Item, kItems> items{};
};

// Scans the value at the start of `bytes`: its size when complete (filling
// `out`), incomplete, or bad (not RESP, or nested deeper than loadgen allows).
FrameScan scan_resp(std::string_view bytes, RespValue& out);

void append_resp_command(std::string& out, std::initializer_list<std::string_view> args);

std::unique_ptr<WireProtocol> make_resp_wire(bool publish_replies);

}  // namespace chatd::loadgen
