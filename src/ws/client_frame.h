// Client→server frames, masked as RFC 6455 §5.3 requires of a client: for tests, fuzzing
// and a WebSocket load generator. Knobs to build the malformed frames the server must
// refuse (unmasked, reserved bits, a non-final control frame, a wide length form).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ws/frame.h"

namespace chatd::ws {

enum class LengthForm : uint8_t {
  minimal,  // 7-bit, 16-bit or 64-bit, the smallest that fits (what the RFC asks)
  wide16,   // always the 16-bit form (legal only for lengths up to 65535)
  wide64,   // always the 64-bit form
};

struct ClientFrame {
  Opcode opcode = Opcode::text;
  std::string_view payload;
  uint32_t mask_key = 0x5A17C0DE;  // the 4 wire bytes, as load_mask_key reads them
  bool fin = true;
  bool masked = true;
  uint8_t rsv = 0;  // the RSV1-3 bits, 0-7
  LengthForm length_form = LengthForm::minimal;
};

// Appends the frame, its payload masked with mask_key (unless !masked).
void append_client_frame(const ClientFrame& frame, std::string& out);

// Shorthand: a final, masked frame.
inline std::string client_frame(Opcode opcode, std::string_view payload, uint32_t mask_key = 0x5A17C0DE) {
  std::string out;
  append_client_frame({.opcode = opcode, .payload = payload, .mask_key = mask_key}, out);
  return out;
}

}  // namespace chatd::ws
