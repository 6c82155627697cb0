// The Autobahn-style cases (src/ws/conformance_cases.h) through a real shard and a real
// socket: each case's bytes are sent after the upgrade, whole and in 997-byte writes,
// and what comes back must be what the decoder's events mean on the wire:
//   text     a reply (chatd answers it as a JSON request: these payloads are not JSON,
//            so an `error` event) — except a blank message, which is skipped like a
//            blank JSON line
//   ping     a pong with the same payload
//   pong     nothing
//   close    the close frame echoed (with the peer's code; none for 1005), then EOF
//   error    a close frame with the event's code, then EOF
// A case that does not end the connection is closed by the client (1000) afterwards.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <cstdio>
#include <optional>
#include <thread>

#include "shard/test_support.h"
#include "ws/conformance_cases.h"

namespace chatd::shard::testing {
namespace {

using ws::WsEventKind;
using ws::conformance::Case;
using ws::conformance::Seen;

struct WireFrame {
  int opcode = -1;  // -1: the connection ended
  std::string payload;
};

// A raw WebSocket client: the upgrade, then bytes out and frames in, every read
// bounded by a receive timeout so a silent server fails the case instead of hanging.
class RawWs {
 public:
  explicit RawWs(uint16_t port) : line_(port) {
    line_.send("GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    line_.read_until("101 Switching Protocols");
    while (line_.read_until("\r") != "\r") {}
    fd_ = line_.release_fd();
    timeval tv{3, 0};
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void send(std::string_view bytes, std::size_t chunk) {
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      send_all(fd_.get(), bytes.substr(at, chunk));
      if (chunk < bytes.size()) std::this_thread::sleep_for(std::chrono::microseconds(200));  // separate receives
    }
  }

  // The next frame, or opcode -1 at EOF; nullopt on timeout or a reset.
  std::optional<WireFrame> next() {
    unsigned char head[2];
    if (!read_exact(head, 2, /*eof_ok=*/true)) return eof_ ? std::optional<WireFrame>(WireFrame{}) : std::nullopt;
    std::size_t len = head[1] & 0x7F;
    if (len >= 126) {
      unsigned char ext[8];
      const std::size_t n = len == 126 ? 2 : 8;
      if (!read_exact(ext, n, false)) return std::nullopt;
      len = 0;
      for (std::size_t i = 0; i < n; ++i) len = (len << 8) | ext[i];
    }
    WireFrame f{head[0] & 0x0F, std::string(len, '\0')};
    if (len > 0 && !read_exact(reinterpret_cast<unsigned char*>(f.payload.data()), len, false)) return std::nullopt;
    return f;
  }

 private:
  bool read_exact(unsigned char* out, std::size_t n, bool eof_ok) {
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::recv(fd_.get(), out + got, n - got, 0);
      if (r == 0 && got == 0 && eof_ok) eof_ = true;
      if (r <= 0) return false;
      got += std::size_t(r);
    }
    return true;
  }

  LineClient line_;
  UniqueFd fd_;
  bool eof_ = false;
};

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

std::string close_payload(uint16_t code) { return code == 1005 ? "" : std::string{char(code >> 8), char(code & 0xFF)}; }

// Runs one case; returns why it failed, or "" when it passed.
std::string run_case(uint16_t port, const Case& k, std::size_t chunk) {
  RawWs c(port);
  c.send(k.bytes, chunk);
  bool ended = false;
  for (const Seen& e : k.want) {
    if (e.kind == WsEventKind::pong || (e.kind == WsEventKind::text && blank(e.payload))) continue;
    const std::optional<WireFrame> f = c.next();
    if (!f) return "no frame within 3 s";
    if (e.kind == WsEventKind::text) {
      if (f->opcode != 1 || f->payload.find("\"ev\":\"error\"") == std::string::npos)
        return "want an error reply, got opcode " + std::to_string(f->opcode) + ": " + f->payload.substr(0, 80);
    } else if (e.kind == WsEventKind::ping) {
      if (f->opcode != 0xA || f->payload != e.payload) return "want a pong echoing the ping";
    } else {  // close or error: our close frame, then EOF
      if (f->opcode != 8 || f->payload.substr(0, 2) != close_payload(e.code))
        return "want close " + std::to_string(e.code) + ", got opcode " + std::to_string(f->opcode) + " payload " +
               std::to_string(f->payload.size()) + " bytes";
      ended = true;
      break;
    }
  }
  if (!ended) {
    // The client ends it: its close is echoed.
    const std::string bye = ws::client_frame(ws::Opcode::close, close_payload(1000));
    c.send(bye, bye.size());
    const std::optional<WireFrame> f = c.next();
    if (!f || f->opcode != 8 || f->payload != close_payload(1000)) return "our close 1000 was not echoed";
  }
  const std::optional<WireFrame> end = c.next();
  if (!end || end->opcode != -1) return "the server did not close the connection after its close frame";
  return "";
}

TEST(WsSocketConformance, AutobahnStyleCaseGroupsThroughARealShard) {
  InProcessServer server(2);
  int passed_all = 0, all = 0;
  for (const auto& [group, cases] : ws::conformance::case_groups()) {
    int passed = 0;
    for (const Case& k : cases) {
      bool ok = true;
      for (std::size_t chunk : {k.bytes.size() + 1, std::size_t(997)}) {
        const std::string why = run_case(server.port(), k, chunk);
        if (!why.empty()) {
          ok = false;
          ADD_FAILURE() << "case " << k.id << " (writes of " << chunk << " bytes): " << why << "; decoder events "
                        << ws::conformance::describe(k.want);
        }
      }
      passed += ok;
    }
    std::printf("ws socket conformance group %-16s cases %3d/%3d\n", group.c_str(), passed, int(cases.size()));
    passed_all += passed;
    all += int(cases.size());
  }
  std::printf("ws socket conformance total                  cases %3d/%3d\n", passed_all, all);
  EXPECT_EQ(passed_all, all);
}

}  // namespace
}  // namespace chatd::shard::testing
