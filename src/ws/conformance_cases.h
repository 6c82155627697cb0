// Autobahn-style conformance cases for chatd's WebSocket side: case groups modelled on
// the Autobahn Testsuite's 1 (framing), 2 (pings/pongs), 3 (reserved bits), 4
// (opcodes), 5 (fragmentation), 6 (UTF-8), 7 (close) and 9 (limits), written for
// chatd's contract rather than an echo server's: a text message is delivered (the
// shard answers it as a JSON request), a binary one is refused with 1003, a message
// over --max-frame with 1009.
//
// Each case is the client's bytes and the decoder events they must produce. Two tests
// run them: src/ws/conformance_test.cc through WsReader alone, and
// src/shard/ws_socket_conformance_test.cc through a real shard over a socket.
// Test-only code: not part of the server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ws/frame_decoder.h"

namespace chatd::ws::conformance {

constexpr std::size_t kMaxFrame = 65536;  // chatd's default --max-frame

struct Seen {
  WsEventKind kind;
  uint16_t code = 0;
  std::string payload;
  bool operator==(const Seen&) const = default;
};

struct Case {
  std::string id;
  std::string bytes;
  std::vector<Seen> want;
};

// "1 framing" -> its cases, and so on for each group.
std::map<std::string, std::vector<Case>> case_groups();

// The events, short, for failure messages.
std::string describe(const std::vector<Seen>& events);

}  // namespace chatd::ws::conformance
