// RFC 6455 server frames: always final (never fragmented) and never masked, so one
// encoded frame is byte-identical for every receiver. The shard frames a broadcast event
// once — its JSON line without the trailing newline is the payload — and queues those
// same bytes on every WebSocket member (docs/web.md, "Framing a broadcast once").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ws/frame.h"

namespace chatd::ws {

// The header size of a server frame carrying `payload_len` bytes: 2, 4 or 10.
constexpr std::size_t frame_header_size(std::size_t payload_len) {
  return payload_len < 126 ? 2 : payload_len <= 0xFFFF ? 4 : 10;
}

// Writes a final, unmasked frame header into out[0, frame_header_size(payload_len));
// returns how many bytes it wrote. `out` needs room for kMaxServerHeader bytes.
std::size_t write_frame_header(Opcode opcode, std::size_t payload_len, char* out);

// Writes the header so that it ends exactly at `payload` (the caller keeps
// kMaxServerHeader bytes of headroom before it) and returns where the frame begins:
// header and payload are then one contiguous span, sent without a copy or an iovec more.
char* prepend_frame_header(Opcode opcode, char* payload, std::size_t payload_len);

// Appends a whole frame (header + payload) to `out`.
void append_frame(Opcode opcode, std::string_view payload, std::string& out);

// Appends a close frame: the code, then `reason` cut to fit 125 bytes without splitting
// a UTF-8 sequence. code 1005 ("no status") makes an empty close frame, as the RFC wants
// when echoing a close that carried no code.
void append_close_frame(uint16_t code, std::string_view reason, std::string& out);

}  // namespace chatd::ws
