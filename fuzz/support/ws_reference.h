// What WsReader must deliver for a client byte stream, worked out from RFC 6455 and the
// refusal list of src/ws/frame_decoder.h, frame after frame over the whole stream: each
// check as soon as the bytes it needs are there (so a bad header is refused before its
// payload arrives), in the order frame_decoder.h states them; the payload unmasked byte by
// byte into a copy; fragments gathered into a string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ws/frame_decoder.h"

namespace chatd::fuzz {

struct WsSeen {
  ws::WsEventKind kind = ws::WsEventKind::text;
  uint16_t code = 0;
  std::string payload;
  std::string why;  // error only; the reference leaves it empty (it names no reason)
  bool operator==(const WsSeen&) const = default;
};

struct WsExpected {
  std::vector<WsSeen> events;
  bool stopped = false;        // a close or an error ended the stream
  std::size_t unfinished = 0;  // bytes of the last, incomplete frame (0 when stopped)
};

WsExpected reference_ws_events(std::string_view stream, std::size_t max_message);

std::string describe(const WsSeen& e);

}  // namespace chatd::fuzz
