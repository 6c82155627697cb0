#include "support/ws_reference.h"

#include <simdjson.h>

#include "support/check.h"

namespace chatd::fuzz {
namespace {

using ws::WsEventKind;

bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

uint64_t big_endian(std::string_view bytes) {
  uint64_t v = 0;
  for (unsigned char c : bytes) v = v << 8 | c;
  return v;
}

// Walks the stream frame by frame; every method returns false once the stream has ended
// (a terminal event recorded).
class Walker {
 public:
  Walker(std::string_view stream, std::size_t max_message) : s_(stream), max_(max_message) {}

  WsExpected run() {
    while (frame()) {
    }
    return out_;
  }

 private:
  bool refuse(uint16_t code) {
    out_.events.push_back({WsEventKind::error, code, {}, {}});
    out_.stopped = true;
    out_.unfinished = 0;
    return false;
  }
  bool wait() {  // the frame at pos_ is incomplete: the stream ends here, for now
    out_.unfinished = s_.size() - pos_;
    return false;
  }

  bool frame() {
    const std::string_view rest = s_.substr(pos_);
    if (rest.size() < 2) return wait();
    const auto b0 = static_cast<unsigned char>(rest[0]), b1 = static_cast<unsigned char>(rest[1]);
    const bool fin = b0 & 0x80;
    const unsigned op = b0 & 0x0F;
    const bool control = op >= 8;
    if (b0 & 0x70) return refuse(ws::close_code::protocol_error);  // no extension negotiated
    if (!(op <= 2 || (op >= 8 && op <= 10))) return refuse(ws::close_code::protocol_error);
    if (control && (!fin || (b1 & 0x7F) > 125)) return refuse(ws::close_code::protocol_error);
    if (!(b1 & 0x80)) return refuse(ws::close_code::protocol_error);  // clients must mask
    const std::size_t ext = (b1 & 0x7F) == 126 ? 2 : (b1 & 0x7F) == 127 ? 8 : 0;
    if (rest.size() < 2 + ext) return wait();
    const uint64_t len = ext == 0 ? (b1 & 0x7F) : big_endian(rest.substr(2, ext));
    if (ext == 8 && len >> 63) return refuse(ws::close_code::protocol_error);
    if (!control) {
      if ((op == 0) != in_message_) return refuse(ws::close_code::protocol_error);
      if (op == 2) return refuse(ws::close_code::unsupported_data);
      if (len > max_ || message_.size() + len > max_) return refuse(ws::close_code::too_big);
    }
    const std::size_t header = 2 + ext + 4;
    if (rest.size() < header || rest.size() - header < len) return wait();
    std::string payload(rest.substr(header, len));
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = char(payload[i] ^ rest[2 + ext + i % 4]);
    pos_ += header + len;
    if (op == 9 || op == 10) {
      out_.events.push_back({op == 9 ? WsEventKind::ping : WsEventKind::pong, 0, payload, {}});
      return true;
    }
    if (op == 8) return close(payload);
    message_ += payload;
    in_message_ = !fin;
    if (!fin) return true;
    if (!valid_utf8(message_)) return refuse(ws::close_code::invalid_payload);
    out_.events.push_back({WsEventKind::text, 0, message_, {}});
    message_.clear();
    return true;
  }

  bool close(std::string_view payload) {
    if (payload.size() == 1) return refuse(ws::close_code::protocol_error);
    uint16_t code = ws::close_code::no_status;
    if (!payload.empty()) {
      code = uint16_t(big_endian(payload.substr(0, 2)));
      const bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                            (code >= 3000 && code <= 4999);
      if (!sendable) return refuse(ws::close_code::protocol_error);
      payload.remove_prefix(2);
      if (!valid_utf8(payload)) return refuse(ws::close_code::invalid_payload);
    }
    out_.events.push_back({WsEventKind::close, code, std::string(payload), {}});
    out_.stopped = true;
    out_.unfinished = 0;
    return false;
  }

  std::string_view s_;
  std::size_t max_;
  std::size_t pos_ = 0;
  bool in_message_ = false;
  std::string message_;
  WsExpected out_;
};

}  // namespace

WsExpected reference_ws_events(std::string_view stream, std::size_t max_message) {
  return Walker(stream, max_message).run();
}

std::string describe(const WsSeen& e) {
  static constexpr const char* kKinds[] = {"text", "ping", "pong", "close", "error"};
  std::string out = kKinds[static_cast<int>(e.kind)];
  if (e.kind == WsEventKind::close || e.kind == WsEventKind::error) out += " " + std::to_string(e.code);
  out += " \"" + printable(e.payload.substr(0, 200)) + (e.payload.size() > 200 ? "...\"" : "\"");
  if (!e.why.empty()) out += " (" + e.why + ")";
  return out;
}

}  // namespace chatd::fuzz
