#include "http_client.h"

#include <algorithm>
#include <cctype>

namespace chatd_it {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

bool is_broadcast(const std::string& ev) {
  return ev == "msg" || ev == "user_joined" || ev == "user_left" || ev == "typing" || ev == "whisper";
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) throw HarnessError("response has no " + lower_name + " header: " + status_line);
  return it->second;
}

HttpResponse read_http_response(Client& c, Ms timeout) {
  HttpResponse r;
  r.status_line = c.expect_line(timeout);
  if (r.status_line.rfind("HTTP/1.1 ", 0) != 0 || r.status_line.size() < 12)
    throw HarnessError("not an HTTP/1.1 status line: " + r.status_line);
  r.status = std::stoi(r.status_line.substr(9, 3));
  for (;;) {
    const std::string line = c.expect_line(timeout);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string::npos) throw HarnessError("header line without ':': " + line);
    r.headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
  }
  if (r.status == 101 || r.status == 304) return r;
  if (!r.has("content-length")) throw HarnessError("response without Content-Length: " + r.status_line);
  r.body = c.read_bytes(std::stoul(r.header("content-length")), timeout);
  return r;
}

std::string http_get(std::string_view path, std::string_view extra_headers) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra_headers) + "\r\n";
}

std::string ws_upgrade_request() {
  return http_get("/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + std::string(kSampleKey) +
                             "\r\nSec-WebSocket-Version: 13\r\n");
}

std::string client_frame(const FrameSpec& f) {
  std::string out;
  out += char((f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0x0F));
  const uint8_t mask_bit = f.masked ? 0x80 : 0;
  const std::size_t n = f.payload.size();
  if (n < 126) {
    out += char(mask_bit | n);
  } else if (n <= 0xFFFF) {
    out += char(mask_bit | 126);
    out += char(n >> 8);
    out += char(n & 0xFF);
  } else {
    out += char(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out += char((uint64_t(n) >> shift) & 0xFF);
  }
  if (!f.masked) return out + std::string(f.payload);
  const char key[4] = {char(f.mask_key >> 24), char(f.mask_key >> 16), char(f.mask_key >> 8), char(f.mask_key)};
  out.append(key, 4);
  for (std::size_t i = 0; i < n; ++i) out += char(f.payload[i] ^ key[i % 4]);
  return out;
}

std::string close_payload(uint16_t code, std::string_view reason) {
  return std::string{char(code >> 8), char(code & 0xFF)} + std::string(reason);
}

uint16_t Frame::close_code() const {
  if (payload.size() < 2) return 1005;
  return uint16_t((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
}

WsClient WsClient::connect(uint16_t port, const std::string& label, int rcvbuf) {
  Client c = Client::connect(port, {.label = label, .rcvbuf = rcvbuf});
  c.send_raw(ws_upgrade_request());
  const HttpResponse r = read_http_response(c);
  if (r.status != 101) throw HarnessError("[" + label + "] upgrade answered with " + r.status_line);
  if (r.header("sec-websocket-accept") != kSampleAccept)
    throw HarnessError("[" + label + "] wrong Sec-WebSocket-Accept: " + r.header("sec-websocket-accept"));
  return WsClient(std::move(c));
}

Frame WsClient::read_frame(Ms timeout) {
  Frame f;
  const std::string head = c_.read_bytes(2, timeout);
  f.fin = (uint8_t(head[0]) & 0x80) != 0;
  if ((uint8_t(head[0]) & 0x70) != 0) throw HarnessError("[" + c_.label() + "] a server frame with reserved bits set");
  f.opcode = uint8_t(head[0]) & 0x0F;
  f.masked = (uint8_t(head[1]) & 0x80) != 0;
  uint64_t len = uint8_t(head[1]) & 0x7F;
  if (len == 126 || len == 127) {
    const std::string ext = c_.read_bytes(len == 126 ? 2 : 8, timeout);
    len = 0;
    for (char ch : ext) len = (len << 8) | uint8_t(ch);
  }
  if (f.masked) throw HarnessError("[" + c_.label() + "] a masked server frame (RFC 6455 §5.1 forbids it)");
  f.payload = c_.read_bytes(std::size_t(len), timeout);
  return f;
}

Json WsClient::read_json(Ms timeout) {
  const Frame f = read_frame(timeout);
  if (f.opcode != ws_op::text || !f.fin)
    throw HarnessError("[" + c_.label() + "] expected a final text frame, got opcode " + std::to_string(f.opcode) +
                       " payload " + f.payload.substr(0, 200));
  std::string err;
  auto j = Json::parse(f.payload, &err);
  if (!j || !j->is_object() || !j->has("ev"))
    throw HarnessError("[" + c_.label() + "] a text frame that is not a JSON event: " + f.payload.substr(0, 300));
  return std::move(*j);
}

Json WsClient::expect_event(std::string_view ev, Ms timeout) {
  Json j = read_json(timeout);
  if (j.str("ev") != ev) throw HarnessError("[" + c_.label() + "] expected " + std::string(ev) + ", got " + j.raw());
  return j;
}

Json WsClient::read_until_ev(std::string_view ev, Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now());
    Json j = read_json(std::max(left, Ms(0)));
    if (j.str("ev") == ev) return j;
  }
}

Json WsClient::next_reply(Ms timeout) {
  for (;;) {
    Json j = read_json(timeout);
    if (!is_broadcast(j.str("ev"))) return j;
  }
}

Json WsClient::expect_reply(std::string_view ev, Ms timeout) {
  Json j = next_reply(timeout);
  if (j.str("ev") != ev) throw HarnessError("[" + c_.label() + "] expected the reply " + std::string(ev) + ", got " + j.raw());
  return j;
}

uint16_t WsClient::expect_close(Ms timeout) {
  for (;;) {
    const Frame f = read_frame(timeout);
    if (f.opcode == ws_op::text) continue;
    if (f.opcode != ws_op::close)
      throw HarnessError("[" + c_.label() + "] expected a close frame, got opcode " + std::to_string(f.opcode));
    c_.drain_to_eof(timeout);
    return f.close_code();
  }
}

WsClient ws_login(uint16_t port, const std::string& user) {
  WsClient c = WsClient::connect(port, "ws:" + user);
  c.send(op("hello").s("user", user));
  const Json w = c.expect_event("welcome");
  if (w.str("user") != user) throw HarnessError("welcome names the wrong user: " + w.raw());
  return c;
}

}  // namespace chatd_it
