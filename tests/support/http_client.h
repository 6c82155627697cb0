// HTTP/1.1 and WebSocket (RFC 6455) from the client's side, over the integration
// tests' Client: enough to check chatd's answers byte by byte without linking any of
// its code. Frames are built here by hand, masked as a browser masks them, or
// deliberately malformed (unmasked, reserved bits, ...).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "client.h"

namespace chatd_it {

struct HttpResponse {
  int status = 0;
  std::string status_line;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // Content-Length bytes
  std::string header(const std::string& lower_name) const;
  bool has(const std::string& lower_name) const { return headers.count(lower_name) > 0; }
};

// Reads one response: status line, headers, then a body of Content-Length bytes
// (none for 101 and 304). Throws on anything malformed.
HttpResponse read_http_response(Client& c, Ms timeout = 3s);

// "GET path HTTP/1.1" with Host and `extra_headers` (each "Name: value\r\n").
std::string http_get(std::string_view path, std::string_view extra_headers = {});

// ---- WebSocket ------------------------------------------------------------------

// RFC 6455 §1.3's example: this key must be answered with kSampleAccept.
inline constexpr std::string_view kSampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view kSampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// The upgrade request for /ws with the sample key, version 13.
std::string ws_upgrade_request();

namespace ws_op {
constexpr int continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10;
}

struct FrameSpec {
  int opcode = ws_op::text;
  std::string_view payload;
  bool fin = true;
  bool masked = true;
  int rsv = 0;  // RSV1-3 as bits 0-2
  uint32_t mask_key = 0x37FA213D;
};
// One client frame.
std::string client_frame(const FrameSpec& f);
inline std::string text_frame(std::string_view payload) { return client_frame({.payload = payload}); }
// A close frame's payload: the code, then the reason.
std::string close_payload(uint16_t code, std::string_view reason = {});

struct Frame {
  int opcode = 0;
  bool fin = true;
  bool masked = false;
  std::string payload;
  // A close frame's code (1005 when it carries none).
  uint16_t close_code() const;
};

// A WebSocket user of chatd: the same helpers as Client's JSON ones, over frames.
class WsClient {
 public:
  // Connects and upgrades; checks the 101 and Sec-WebSocket-Accept. Throws on failure.
  static WsClient connect(uint16_t port, const std::string& label = "ws", int rcvbuf = 0);

  Client& raw() { return c_; }
  void send_frame(const FrameSpec& f) { c_.send_raw(client_frame(f)); }
  void send(const Obj& request) { c_.send_raw(text_frame(request.str())); }

  // The next frame, whatever it is. Throws on timeout or EOF.
  Frame read_frame(Ms timeout = 3s);
  // The next frame must be a text frame holding a JSON object with "ev".
  Json read_json(Ms timeout = 3s);
  Json expect_event(std::string_view ev, Ms timeout = 3s);
  Json read_until_ev(std::string_view ev, Ms timeout = 3s);
  // Skips broadcast events (msg, user_joined, ...), as Client::next_reply does.
  Json next_reply(Ms timeout = 3s);
  Json expect_reply(std::string_view ev, Ms timeout = 3s);
  // Reads until a close frame (text frames before it are skipped) and returns its code;
  // then expects the server to end the connection.
  uint16_t expect_close(Ms timeout = 3s);

 private:
  explicit WsClient(Client c) : c_(std::move(c)) {}
  Client c_;
};

// hello → welcome over WebSocket.
WsClient ws_login(uint16_t port, const std::string& user);

}  // namespace chatd_it
