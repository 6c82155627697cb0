#include "ws/frame_encoder.h"

#include <algorithm>
#include <cstring>

namespace chatd::ws {

std::size_t write_frame_header(Opcode opcode, std::size_t payload_len, char* out) {
  auto* b = reinterpret_cast<unsigned char*>(out);
  b[0] = static_cast<unsigned char>(0x80 | static_cast<uint8_t>(opcode));  // FIN
  if (payload_len < 126) {
    b[1] = static_cast<unsigned char>(payload_len);
    return 2;
  }
  if (payload_len <= 0xFFFF) {
    b[1] = 126;
    b[2] = static_cast<unsigned char>(payload_len >> 8);
    b[3] = static_cast<unsigned char>(payload_len);
    return 4;
  }
  b[1] = 127;
  for (int i = 0; i < 8; ++i) b[2 + i] = static_cast<unsigned char>(uint64_t(payload_len) >> (56 - 8 * i));
  return 10;
}

char* prepend_frame_header(Opcode opcode, char* payload, std::size_t payload_len) {
  char* start = payload - frame_header_size(payload_len);
  write_frame_header(opcode, payload_len, start);
  return start;
}

void append_frame(Opcode opcode, std::string_view payload, std::string& out) {
  char header[kMaxServerHeader];
  out.append(header, write_frame_header(opcode, payload.size(), header));
  out.append(payload);
}

void append_close_frame(uint16_t code, std::string_view reason, std::string& out) {
  if (code == close_code::no_status) {
    append_frame(Opcode::close, {}, out);
    return;
  }
  std::size_t keep = std::min(reason.size(), kMaxControlPayload - 2);
  // Back up over UTF-8 continuation bytes (10xxxxxx) so the cut falls between characters.
  if (keep < reason.size()) {
    while (keep > 0 && (static_cast<unsigned char>(reason[keep]) & 0xC0) == 0x80) --keep;
  }
  char payload[kMaxControlPayload];
  payload[0] = static_cast<char>(code >> 8);
  payload[1] = static_cast<char>(code & 0xFF);
  if (keep > 0) std::memcpy(payload + 2, reason.data(), keep);
  append_frame(Opcode::close, {payload, keep + 2}, out);
}

}  // namespace chatd::ws
