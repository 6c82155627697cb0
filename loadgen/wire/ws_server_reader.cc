#include "loadgen/wire/ws_server_reader.h"

namespace chatd::loadgen {
namespace {

bool is_known_opcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

template <class Outcome>
Outcome broken_as(std::string_view code) {
  Outcome o;
  o.error = code;
  return o;
}

}  // namespace

ServerFrameReader::FrameScan ServerFrameReader::scan(std::string_view bytes) {
  auto broken = broken_as<FrameScan>;
  FrameScan s;
  if (bytes.size() < 2) {
    s.missing = 2 - bytes.size();
    return s;
  }
  const auto b0 = static_cast<uint8_t>(bytes[0]);
  const auto b1 = static_cast<uint8_t>(bytes[1]);
  s.fin = (b0 & 0x80) != 0;
  s.opcode = static_cast<ws::Opcode>(b0 & 0x0F);
  if ((b0 & 0x70) != 0) return broken("ws_reserved_bits");
  if (!is_known_opcode(b0 & 0x0F)) return broken("ws_bad_opcode");
  if ((b1 & 0x80) != 0) return broken("ws_masked_server_frame");  // RFC 6455 §5.1
  const uint8_t len7 = b1 & 0x7F;
  s.header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
  if (ws::is_control(s.opcode) && (!s.fin || len7 > ws::kMaxControlPayload)) return broken("ws_bad_control_frame");
  if (bytes.size() < s.header) {
    s.missing = s.header - bytes.size();
    return s;
  }
  uint64_t len = len7;
  if (len7 >= 126) {
    len = 0;
    for (std::size_t i = 2; i < s.header; ++i) len = len << 8 | static_cast<uint8_t>(bytes[i]);
    if (len >> 63) return broken("ws_bad_length");
  }
  if (len > kMaxServerFrame) return broken("server_frame_too_large");
  s.size = s.header + std::size_t(len);
  if (bytes.size() < s.size) s.missing = s.size - bytes.size();
  return s;
}

ServerFrameReader::FrameOutcome ServerFrameReader::take(const FrameScan& s, std::string_view frame) {
  auto broken = broken_as<FrameOutcome>;
  const std::string_view payload = frame.substr(s.header);
  FrameOutcome out;
  switch (s.opcode) {
    case ws::Opcode::ping:
    case ws::Opcode::pong:
      out.message = true;
      out.value = {s.opcode, payload, 0};
      return out;
    case ws::Opcode::close:
      if (payload.size() == 1) return broken("ws_bad_close");
      out.message = true;
      out.value.opcode = s.opcode;
      out.value.close_code = ws::close_code::no_status;
      if (payload.size() >= 2) {
        out.value.close_code = uint16_t(static_cast<uint8_t>(payload[0]) << 8 | static_cast<uint8_t>(payload[1]));
        out.value.payload = payload.substr(2);
      }
      return out;
    case ws::Opcode::text:
    case ws::Opcode::binary:
      if (in_message_) return broken("ws_bad_fragmentation");
      if (s.fin) {
        out.message = true;
        out.value = {s.opcode, payload, 0};
        return out;
      }
      in_message_ = true;
      message_opcode_ = s.opcode;
      message_.append(payload.data(), payload.size());
      return out;
    case ws::Opcode::continuation:
      if (!in_message_) return broken("ws_bad_continuation");
      if (message_.size() + payload.size() > kMaxServerFrame) return broken("server_frame_too_large");
      message_.append(payload.data(), payload.size());
      if (!s.fin) return out;
      in_message_ = false;
      out.message = true;
      out.reassembled = true;
      out.value = {message_opcode_, message_.view(), 0};
      return out;
  }
  return broken("ws_bad_opcode");
}

}  // namespace chatd::loadgen
