// HTTP/1.1 request heads (RFC 9112) as the chat port needs them: GET only, no body.
// Bytes in, a value out; no I/O (docs/web.md).
//
// The caller keeps the connection's unconsumed bytes and calls parse() after every
// receive. A head is complete at its empty line; parse() then says how many bytes the
// head took, so several pipelined requests in one buffer are handled one after another
// (consume, then parse again). Until then it says need_more, and it remembers how far it
// has looked so a head that trickles in a byte at a time is scanned once, not once per
// byte. A head is refused at once, before it completes, when its line structure is
// already wrong (a bare LF) or when 8 KiB have come without the empty line.
//
// Choices (docs/web.md): any method other than GET gets 405 (with `Allow: GET`) when it is
// a well-formed token, 400 when it is not; HTTP/1.0 is served (keep-alive only when
// asked for); other HTTP versions get 505; lines must end in CRLF; obsolete line folding,
// a duplicate Host / Sec-WebSocket-Key / Sec-WebSocket-Version, a missing Host on 1.1,
// and any body (Transfer-Encoding, or a Content-Length other than 0) get 400.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/clock.h"

namespace chatd::http {

// A head longer than this (request line + headers + the empty line) is refused with 400.
constexpr std::size_t kMaxHeadBytes = 8 * 1024;
// A connection whose head is unfinished this long after its first byte (or after the
// previous response, on keep-alive) is closed without a reply: the shard's slowloris
// timer. Long enough for a slow phone link, short enough that idle heads cannot pile up.
constexpr Nanos kHeadTimeout = 5 * kSeconds;

enum class Version : uint8_t { http10, http11 };

// Views into the caller's buffer: valid while those bytes are.
struct RequestHead {
  std::string_view target;         // as sent, query included
  std::string_view path;           // the target up to '?'
  Version version = Version::http11;
  std::string_view host;
  std::string_view ws_key;         // Sec-WebSocket-Key, as sent (trimmed)
  std::string_view ws_version;     // Sec-WebSocket-Version
  std::string_view if_none_match;  // for a 304 on unchanged assets
  bool has_ws_key = false;
  bool has_ws_version = false;
  bool keep_alive = true;          // the connection may carry another request after this one
  bool connection_upgrade = false; // Connection lists the token "upgrade"
  bool upgrade_websocket = false;  // Upgrade lists the token "websocket"
};

enum class HeadStatus : uint8_t {
  complete,   // `head` and `consumed` are set
  need_more,  // no verdict yet: call again with more bytes
  bad,        // reply `error_status` and close the connection
};

struct HeadParse {
  HeadStatus status = HeadStatus::need_more;
  std::size_t consumed = 0;       // complete: bytes of the head, its empty line included
  RequestHead head;               // complete only
  uint16_t error_status = 0;      // bad: 400, 405 or 505
  std::string_view error;         // bad: why, in words (a static string)
};

class RequestHeadParser {
 public:
  // `buffered` holds the connection's unconsumed bytes, starting at a request's first
  // byte; it must be the same bytes (plus more) as on the previous need_more call.
  HeadParse parse(std::string_view buffered);

  // Forget the scan position (done by parse() itself on every verdict).
  void reset() { scanned_ = line_start_ = 0; }

 private:
  std::size_t scanned_ = 0;     // bytes already searched for line ends
  std::size_t line_start_ = 0;  // where the line being scanned begins
};

// Parses a complete head, buffered[0, head_len), whose lines all end in CRLF and whose
// last line is empty: the second half of parse(), exposed for tests.
HeadParse parse_complete_head(std::string_view head);

// True if the comma-separated list `value` holds `token` (ASCII case-insensitive).
bool list_has_token(std::string_view value, std::string_view token);

// ASCII case-insensitive equality (header names, tokens).
bool iequals(std::string_view a, std::string_view b);

}  // namespace chatd::http
