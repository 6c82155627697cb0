// RFC 6455 client frames → events, one frame per call, in place: the payload is unmasked
// where it lies in the caller's buffer and a text message is handed out as a view of it.
// Bytes in, values out; no I/O (docs/web.md).
//
// What is refused, and with which close code (the event says; the caller sends the
// close frame and closes):
//   1002  reserved bits set (no extension is ever negotiated), a reserved opcode, an
//         unmasked frame, a fragmented or over-125-byte control frame, a continuation
//         with no message open, a new text/binary frame while one is open, a 64-bit
//         length with its top bit set, a close payload of one byte or a code no peer may send
//   1003  a binary message (chatd speaks JSON text only)
//   1007  a text message (checked whole, once complete) or a close reason that is not UTF-8
//   1009  a message whose size, counted over its fragments, is over max_message
//         (--max-frame) — refused from the frame header, before its payload is buffered
// Each check runs as soon as the bytes it needs are there, so a bad header is refused
// before its payload arrives.
//
// Fragmented messages are reassembled in a decoder-owned buffer (bounded by max_message);
// control frames may come between the fragments. Every text payload handed out is
// followed by proto::kFramePadding readable bytes when the caller's buffer is (see
// WsReader), as simdjson's On Demand parser needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ws/frame.h"
#include "ws/padded_buffer.h"

namespace chatd::ws {

enum class WsEventKind : uint8_t {
  text,   // payload: one complete text message (valid UTF-8)
  ping,   // payload: to be echoed in a pong
  pong,   // payload: ignored by chatd
  close,  // code: the peer's status (1005 if it sent none); payload: its reason
  error,  // code: the close code to send; why: in words. Nothing more is decoded.
};

struct WsEvent {
  WsEventKind kind = WsEventKind::text;
  uint16_t code = 0;
  std::string_view payload;
  std::string_view why;  // error only: a static string
};

enum class DecodeStatus : uint8_t {
  event,      // `event` is set; `consumed` bytes were the frame
  fragment,   // a non-final fragment was taken into the message buffer; no event yet
  need_more,  // the frame is incomplete: at least `needed` more bytes are wanted
  stopped,    // a close or an error was already produced: nothing more is decoded
};

struct DecodeStep {
  DecodeStatus status = DecodeStatus::need_more;
  std::size_t consumed = 0;
  std::size_t needed = 0;
  WsEvent event;
};

class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_message) : max_message_(max_message) {}

  // Decodes the frame at data[0, len). A complete frame's payload is unmasked in place,
  // so a frame must be decoded exactly once. An event's payload stays valid until the
  // next call (it may live in the decoder's message buffer).
  DecodeStep decode(char* data, std::size_t len);

  bool stopped() const { return stopped_; }
  bool in_message() const { return in_message_; }
  // The open message's fragments so far (empty view when none is open).
  std::string_view open_message() const { return in_message_ ? message_.view() : std::string_view(); }
  // Forgets the open message (its bytes were taken with open_message()).
  void drop_open_message() {
    in_message_ = false;
    message_.clear();
  }
  std::size_t max_message() const { return max_message_; }

 private:
  struct Header {
    bool fin;
    Opcode opcode;
    std::size_t header_len;  // with the masking key
    uint64_t payload_len;
    uint32_t mask_key;
  };
  // Reads and checks the header: need_more or a refusal (error event), or nullopt with
  // `*out` set when the header is whole and acceptable.
  std::optional<DecodeStep> read_header(const char* data, std::size_t len, Header* out);
  std::optional<DecodeStep> check_data_frame(const Header& h);
  DecodeStep on_text(const Header& h, char* payload);
  DecodeStep on_close(std::string_view payload);
  DecodeStep fail(uint16_t code, std::string_view why);

  std::size_t max_message_;
  PaddedBuffer message_;          // the fragments of the open message
  bool in_message_ = false;       // a text message's first fragment came, its last has not
  bool release_message_ = false;  // the last event pointed into message_: clear it next call
  bool stopped_ = false;
};

}  // namespace chatd::ws
