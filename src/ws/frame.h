// RFC 6455 vocabulary shared by the decoder, the encoder and the shard: opcodes, the
// close codes chatd sends or accepts, and the size limits of the frame format.
#pragma once

#include <cstddef>
#include <cstdint>

namespace chatd::ws {

enum class Opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

inline bool is_control(Opcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

// Close status codes (RFC 6455 §7.4.1) as chatd uses them.
namespace close_code {
constexpr uint16_t normal = 1000;            // the close handshake, all is well
constexpr uint16_t going_away = 1001;        // server_shutdown: the server is stopping
constexpr uint16_t protocol_error = 1002;    // unmasked frame, reserved bits, bad fragmentation, ...
constexpr uint16_t unsupported_data = 1003;  // a binary message: chatd speaks JSON text only
constexpr uint16_t no_status = 1005;         // reported for a close frame without a code; never sent
constexpr uint16_t invalid_payload = 1007;   // a text message (or close reason) that is not UTF-8
constexpr uint16_t policy_violation = 1008;  // slow_consumer and other server-side policy closes
constexpr uint16_t too_big = 1009;           // a message over --max-frame
constexpr uint16_t internal_error = 1011;
}  // namespace close_code

// True for a code a peer may put in a close frame: 1000-1003, 1007-1014 (the registered
// ones; 1004-1006 and 1015 are reserved never to be sent) and 3000-4999 (libraries and
// applications).
inline bool is_sendable_close_code(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

constexpr std::size_t kMaxControlPayload = 125;  // ping/pong/close payloads (and unfragmented)
constexpr std::size_t kMaxServerHeader = 10;     // 2 + 8-byte length; server frames are unmasked
constexpr std::size_t kMaxClientHeader = 14;     // + the 4-byte masking key

}  // namespace chatd::ws
