#include "ws/reader.h"

#include "ws/client_frame.h"

namespace chatd::ws {

void WsReader::hold(const WsEvent& event) {
  // The payload lives in a receive chunk or the decoder's message buffer, both gone by
  // resume(): keep a copy (padded, like every text the reader hands out).
  held_bytes_.clear();
  held_bytes_.append(event.payload.data(), event.payload.size());
  held_event_ = event;
  held_event_.payload = held_bytes_.view();
  held_ = true;
}

namespace {

Opcode opcode_of(WsEventKind kind) {
  switch (kind) {
    case WsEventKind::ping: return Opcode::ping;
    case WsEventKind::pong: return Opcode::pong;
    case WsEventKind::close: return Opcode::close;
    default: return Opcode::text;
  }
}

}  // namespace

std::string WsReader::take_buffered() {
  std::string out;
  // Mask key 0 leaves the payload as it is; the frames are still "masked" as a client's must be.
  if (decoder_.in_message()) {
    append_client_frame({.opcode = Opcode::text, .payload = decoder_.open_message(), .mask_key = 0, .fin = false}, out);
    decoder_.drop_open_message();
  }
  if (held_ && held_event_.kind != WsEventKind::error) {  // an error ends the connection: nothing to move
    std::string close_payload;
    std::string_view payload = held_event_.payload;
    if (held_event_.kind == WsEventKind::close && held_event_.code != close_code::no_status) {
      close_payload = {char(held_event_.code >> 8), char(held_event_.code & 0xFF)};
      close_payload += held_event_.payload;
      payload = close_payload;
    }
    append_client_frame({.opcode = opcode_of(held_event_.kind), .payload = payload, .mask_key = 0}, out);
    held_ = false;
    held_bytes_.clear();
  }
  out.append(buf_.view());
  buf_.clear();
  needed_ = 0;
  return out;
}

}  // namespace chatd::ws
