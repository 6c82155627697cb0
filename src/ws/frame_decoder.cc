#include "ws/frame_decoder.h"

#include <simdjson.h>

#include <optional>

#include "ws/mask.h"

namespace chatd::ws {
namespace {

DecodeStep need(std::size_t have, std::size_t want) {
  DecodeStep s;
  s.status = DecodeStatus::need_more;
  s.needed = want - have;
  return s;
}

DecodeStep event_step() {
  DecodeStep s;
  s.status = DecodeStatus::event;
  return s;
}

bool known_opcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

uint64_t read_be(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

DecodeStep FrameDecoder::fail(uint16_t code, std::string_view why) {
  stopped_ = true;
  DecodeStep s;
  s.status = DecodeStatus::event;
  s.event.kind = WsEventKind::error;
  s.event.code = code;
  s.event.why = why;
  return s;
}

std::optional<DecodeStep> FrameDecoder::read_header(const char* data, std::size_t len, Header* h) {
  if (len < 2) return need(len, 2);
  const auto* b = reinterpret_cast<const unsigned char*>(data);
  h->fin = (b[0] & 0x80) != 0;
  if ((b[0] & 0x70) != 0) return fail(close_code::protocol_error, "reserved bits set, and no extension was negotiated");
  if (!known_opcode(b[0] & 0x0F)) return fail(close_code::protocol_error, "reserved opcode");
  h->opcode = static_cast<Opcode>(b[0] & 0x0F);
  const uint8_t len7 = b[1] & 0x7F;
  if (is_control(h->opcode)) {
    if (!h->fin) return fail(close_code::protocol_error, "fragmented control frame");
    if (len7 > kMaxControlPayload) return fail(close_code::protocol_error, "control frame over 125 bytes");
  }
  if ((b[1] & 0x80) == 0) return fail(close_code::protocol_error, "unmasked client frame");
  const int ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  h->header_len = 2 + ext + 4;
  if (len < 2 + std::size_t(ext)) return need(len, 2 + ext);
  h->payload_len = ext == 0 ? len7 : read_be(b + 2, ext);
  if (ext == 8 && (h->payload_len >> 63) != 0) return fail(close_code::protocol_error, "64-bit length with the top bit set");
  if (std::optional<DecodeStep> refused = check_data_frame(*h)) return refused;
  if (len < h->header_len) return need(len, h->header_len);
  h->mask_key = load_mask_key(data + 2 + ext);
  return std::nullopt;
}

// Fragmentation order, binary refusal and the message size bound; nullopt if fine.
std::optional<DecodeStep> FrameDecoder::check_data_frame(const Header& h) {
  if (is_control(h.opcode)) return std::nullopt;
  if (h.opcode == Opcode::continuation && !in_message_) {
    return fail(close_code::protocol_error, "continuation frame with no message open");
  }
  if (h.opcode != Opcode::continuation && in_message_) {
    return fail(close_code::protocol_error, "new message before the previous one ended");
  }
  if (h.opcode == Opcode::binary) return fail(close_code::unsupported_data, "binary messages are not accepted");
  const uint64_t total = uint64_t(message_.size()) + h.payload_len;
  if (h.payload_len > max_message_ || total > max_message_) return fail(close_code::too_big, "message over --max-frame");
  return std::nullopt;
}

DecodeStep FrameDecoder::decode(char* data, std::size_t len) {
  if (stopped_) {
    DecodeStep s;
    s.status = DecodeStatus::stopped;
    return s;
  }
  if (release_message_) {
    message_.clear();
    release_message_ = false;
  }
  Header h;
  if (std::optional<DecodeStep> early = read_header(data, len, &h)) return *early;
  DecodeStep step = event_step();
  const std::size_t frame_len = h.header_len + h.payload_len;  // both bounded by now
  if (len < frame_len) return need(len, frame_len);
  char* payload = data + h.header_len;
  apply_mask(payload, h.payload_len, h.mask_key);

  switch (h.opcode) {
    case Opcode::ping:
    case Opcode::pong:
      step.event.kind = h.opcode == Opcode::ping ? WsEventKind::ping : WsEventKind::pong;
      step.event.payload = {payload, h.payload_len};
      break;
    case Opcode::close:
      step = on_close({payload, h.payload_len});
      break;
    default:
      step = on_text(h, payload);
      break;
  }
  step.consumed = frame_len;
  return step;
}

DecodeStep FrameDecoder::on_text(const Header& h, char* payload) {
  std::string_view message(payload, h.payload_len);
  if (!h.fin || in_message_) {
    message_.append(payload, h.payload_len);
    if (!h.fin) {
      in_message_ = true;
      DecodeStep s;
      s.status = DecodeStatus::fragment;
      return s;
    }
    in_message_ = false;
    release_message_ = true;
    message = message_.view();
  }
  if (!simdjson::validate_utf8(message.data(), message.size())) {
    return fail(close_code::invalid_payload, "text message is not valid UTF-8");
  }
  DecodeStep s = event_step();
  s.event.kind = WsEventKind::text;
  s.event.payload = message;
  return s;
}

DecodeStep FrameDecoder::on_close(std::string_view payload) {
  DecodeStep s = event_step();
  s.event.kind = WsEventKind::close;
  if (payload.empty()) {
    s.event.code = close_code::no_status;
  } else if (payload.size() == 1) {
    return fail(close_code::protocol_error, "close payload of one byte");
  } else {
    s.event.code = uint16_t(read_be(reinterpret_cast<const unsigned char*>(payload.data()), 2));
    if (!is_sendable_close_code(s.event.code)) return fail(close_code::protocol_error, "close code no peer may send");
    s.event.payload = payload.substr(2);
    if (!simdjson::validate_utf8(s.event.payload.data(), s.event.payload.size())) {
      return fail(close_code::invalid_payload, "close reason is not valid UTF-8");
    }
  }
  stopped_ = true;  // the close handshake: the peer sends nothing after its close
  return s;
}

}  // namespace chatd::ws
