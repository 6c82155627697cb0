// Server→client WebSocket frames (RFC 6455 §5), as a client reads them: received
// chunks in, messages out. No I/O.
//
// Server frames are never masked, so a frame that lies wholly inside a chunk is
// handed out where it lies (no copy, no unmasking); only a frame split across
// chunks is copied, into a buffer that holds exactly the bytes it still needs.
// Fragmented messages are reassembled (control frames may come between their
// fragments). Every payload handed out is followed by proto::kFramePadding
// readable bytes — the chunk's own padding (reactor::kRecvPadding) or the
// reader's padded buffers — so a text message goes straight to simdjson.
//
// Refused, each with an error code (nothing more is read after one): a masked
// frame, reserved bits (no extension was negotiated), a reserved opcode, a
// control frame that is fragmented or over 125 bytes, a continuation with no
// message open, a new message while one is open, a close payload of one byte,
// a 64-bit length with its top bit set, and a frame or message over
// kMaxServerFrame. UTF-8 is not validated: the server, not loadgen, is under test
// for that, and a bad text fails as JSON anyway.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "loadgen/wire/frame_buffer.h"
#include "ws/frame.h"
#include "ws/padded_buffer.h"

namespace chatd::loadgen {

struct ServerMessage {
  ws::Opcode opcode = ws::Opcode::text;  // text, binary, ping, pong or close
  std::string_view payload;              // close: the reason
  uint16_t close_code = 0;               // close: the code, 1005 when none was sent
};

class ServerFrameReader {
 public:
  // on_message(const ServerMessage&) -> bool (false: stop reading this stream).
  // Returns "" or the error code that broke the stream. After a close message or
  // an error, nothing more is read.
  template <class OnMessage>
  std::string_view feed(std::string_view chunk, OnMessage&& on_message);

  bool stopped() const { return stopped_; }
  std::size_t buffered() const { return pending_.size() + message_.size(); }

 private:
  // What the start of some bytes holds: a whole frame, or how many more bytes
  // are needed at least, or why the stream is broken.
  struct FrameScan {
    std::string_view error;   // set: the stream is broken
    std::size_t missing = 0;  // > 0: incomplete
    std::size_t size = 0;     // complete: header + payload
    std::size_t header = 0;
    bool fin = false;
    ws::Opcode opcode = ws::Opcode::text;
  };
  static FrameScan scan(std::string_view bytes);

  // A complete frame: a message to hand out (true), a fragment kept (false with no
  // error), or an error.
  struct FrameOutcome {
    bool message = false;
    bool reassembled = false;  // value.payload points into message_
    ServerMessage value;
    std::string_view error;
  };
  FrameOutcome take(const FrameScan& s, std::string_view frame);
  std::string_view fail(std::string_view code) {
    stopped_ = true;
    return code;
  }
  // Hands a complete frame on; false when reading must stop.
  template <class OnMessage>
  bool deliver(const FrameScan& s, std::string_view frame, OnMessage& on_message, std::string_view& error);

  ws::PaddedBuffer pending_;  // an unfinished frame; empty between frames
  ws::PaddedBuffer message_;  // the fragments of an unfinished message
  bool in_message_ = false;
  ws::Opcode message_opcode_ = ws::Opcode::text;
  bool stopped_ = false;
};

template <class OnMessage>
bool ServerFrameReader::deliver(const FrameScan& s, std::string_view frame, OnMessage& on_message,
                                std::string_view& error) {
  const FrameOutcome out = take(s, frame);
  if (!out.error.empty()) {
    error = fail(out.error);
    return false;
  }
  if (!out.message) return true;
  if (out.value.opcode == ws::Opcode::close) stopped_ = true;
  const bool go_on = on_message(out.value) && !stopped_;
  if (out.reassembled) message_.clear();  // after the consumer is done with the view into it
  if (!go_on) stopped_ = true;
  return go_on;
}

template <class OnMessage>
std::string_view ServerFrameReader::feed(std::string_view chunk, OnMessage&& on_message) {
  std::string_view error;
  // Finish the frame an earlier chunk left unfinished, taking only what it lacks.
  while (!stopped_ && !pending_.empty()) {
    const FrameScan s = scan(pending_.view());
    if (!s.error.empty()) return fail(s.error);
    if (s.missing == 0) {
      const bool go_on = deliver(s, pending_.view(), on_message, error);
      pending_.clear();
      if (!go_on) return error;
      break;
    }
    if (chunk.empty()) return {};
    const std::size_t take = std::min(chunk.size(), s.missing);
    pending_.append(chunk.data(), take);
    chunk.remove_prefix(take);
  }
  while (!stopped_ && !chunk.empty()) {
    const FrameScan s = scan(chunk);
    if (!s.error.empty()) return fail(s.error);
    if (s.missing > 0) {  // bounded: scan refused any frame over kMaxServerFrame
      pending_.append(chunk.data(), chunk.size());
      return {};
    }
    if (!deliver(s, chunk.substr(0, s.size), on_message, error)) return error;
    chunk.remove_prefix(s.size);
  }
  return {};
}

}  // namespace chatd::loadgen
