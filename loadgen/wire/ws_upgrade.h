// The client's half of the WebSocket opening handshake (RFC 6455 §4.1, §4.2.2):
// the `GET /ws` upgrade request with a fresh Sec-WebSocket-Key, and the check of
// the server's answer — status 101, `Upgrade: websocket`, `Connection: upgrade`,
// `Sec-WebSocket-Accept` = ws::accept_key(key), and no extension or subprotocol
// (none was offered). Bytes in, a verdict out; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chatd::loadgen {

// A response head longer than this is refused (chatd's own request bound).
constexpr std::size_t kMaxUpgradeResponseHead = 8 * 1024;

// base64 of the 16 bytes of (high, low): 22 characters and "==".
std::string websocket_key(uint64_t high, uint64_t low);

// GET /ws HTTP/1.1 with Host, Upgrade, Connection, Sec-WebSocket-Version 13 and `key`.
void append_upgrade_request(std::string& out, std::string_view host, std::string_view key);

struct UpgradeVerdict {
  enum class Status : uint8_t { need_more, accepted, refused };
  Status status = Status::need_more;
  std::size_t head_size = 0;  // accepted: the bytes of the head; what follows is WebSocket
  std::string code;           // refused: an error code for the report, e.g. "ws_upgrade_status_501"
};

// Looks at the start of the server's bytes. need_more until the head's blank line
// has arrived (refused past kMaxUpgradeResponseHead).
UpgradeVerdict check_upgrade_response(std::string_view bytes, std::string_view key);

}  // namespace chatd::loadgen
