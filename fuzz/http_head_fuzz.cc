// Fuzz target: the chat port's HTTP side, RequestHeadParser (src/http/request_head.h)
// with the router's and the WebSocket handshake's replies (router.h, ws/handshake.h).
//
// The input is what one connection receives. It is fed three ways, as a connection does:
// the unconsumed bytes are kept, parse() is called after every receive, a complete head's
// bytes are consumed and parse() is called again on the rest (pipelined heads), a refusal
// ends the connection.
//   1. whole, in one receive;
//   2. one byte per receive;
//   3. in receives cut where the input says (fuzz/support/chunks.h).
// Invariants checked (docs/fuzzing.md):
//   - every way gives the same verdicts (complete / bad, consumed, status, reason, every
//     field of the head) in the same order, and leaves the same unfinished tail;
//   - consumed never exceeds what was given; a head is complete exactly at the first empty
//     line of the first 8 KiB, refused at a bare LF before it or when 8 KiB come without
//     it, and an answer waits otherwise (a plain reference scan says where);
//   - every view in a head lies inside that head's bytes, holds no CR, LF or NUL, and the
//     path is the target up to '?';
//   - the reply built for each verdict of the whole way (serve(route(head)),
//     accept_handshake for a WebSocket route, refuse() for a bad head) is a well-formed
//     response (support/http_response_check.h) with the status and Connection it says.
// In ways 1 and 3 each parse() sees the unconsumed bytes in a heap block of exactly their
// size, so a read past them is an ASAN report; way 2 passes growing prefixes of one such
// block (a fresh block per byte would make a long head cost O(n^2) copying).
//
// A head longer than -max_len cannot come from the input alone: when the input's last
// byte is 0xC0 or above, a header `X-Fill: fff...` is inserted after the first line, long
// enough to put the end of the first head within 32 bytes of the 8 KiB bound.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_head.h"
#include "http/router.h"
#include "support/check.h"
#include "support/chunks.h"
#include "support/http_head_reference.h"
#include "support/http_response_check.h"
#include "ws/handshake.h"

namespace chatd::fuzz {
namespace {

using http::HeadParse;
using http::HeadStatus;
using http::kMaxHeadBytes;

// One verdict, copied out of the buffer it pointed into.
struct Verdict {
  HeadStatus status = HeadStatus::need_more;
  std::size_t consumed = 0;
  uint16_t error_status = 0;
  std::string error;
  std::string target, path, host, ws_key, ws_version, if_none_match;
  http::Version version = http::Version::http11;
  bool has_ws_key = false, has_ws_version = false, keep_alive = false, connection_upgrade = false,
       upgrade_websocket = false;
  bool operator==(const Verdict&) const = default;
};

Verdict snapshot(const HeadParse& p) {
  const http::RequestHead& h = p.head;
  return {p.status,       p.consumed,     p.error_status,        std::string(p.error), std::string(h.target),
          std::string(h.path), std::string(h.host), std::string(h.ws_key), std::string(h.ws_version),
          std::string(h.if_none_match), h.version, h.has_ws_key, h.has_ws_version, h.keep_alive,
          h.connection_upgrade, h.upgrade_websocket};
}

std::string describe(const Verdict& v) {
  if (v.status == HeadStatus::bad) return "bad " + std::to_string(v.error_status) + " (" + v.error + ")";
  return "complete " + std::to_string(v.consumed) + " bytes, target \"" + printable(v.target) + "\" host \"" +
         printable(v.host) + "\" keep_alive " + std::to_string(v.keep_alive);
}

bool within(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_view(const char* name, std::string_view v, std::string_view head_bytes, std::string_view trace) {
  FUZZ_CHECK(within(v, head_bytes), std::string(name) + " points outside its head: " + std::string(trace));
  FUZZ_CHECK(v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos,
             std::string(name) + " holds CR, LF or NUL: \"" + printable(v) + "\" " + std::string(trace));
}

void check_head(const HeadParse& p, std::string_view buffered, std::string_view trace) {
  const std::string_view head_bytes = buffered.substr(0, p.consumed);
  const http::RequestHead& h = p.head;
  FUZZ_CHECK(head_bytes.substr(0, 4) == "GET ", "a head not starting \"GET \" complete: " + std::string(trace));
  check_view("target", h.target, head_bytes, trace);
  check_view("path", h.path, head_bytes, trace);
  check_view("host", h.host, head_bytes, trace);
  check_view("ws_key", h.ws_key, head_bytes, trace);
  check_view("ws_version", h.ws_version, head_bytes, trace);
  check_view("if_none_match", h.if_none_match, head_bytes, trace);
  FUZZ_CHECK(!h.target.empty() && h.target.front() == '/', "target not absolute: " + std::string(trace));
  FUZZ_CHECK(h.path == h.target.substr(0, h.target.find('?')), "path is not the target up to '?': " +
                                                                   std::string(trace));
  for (std::string_view value : {h.host, h.ws_key, h.ws_version, h.if_none_match}) {
    FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' &&
                                 value.back() != '\t'),
               "a header value keeps blanks around it: \"" + printable(value) + "\" " + std::string(trace));
  }
}

// The reply the server sends for this verdict must be a well-formed response.
void check_reply(const HeadParse& p, std::string_view trace) {
  http::Reply reply;
  if (p.status == HeadStatus::bad) {
    reply = http::refuse(p);
    FUZZ_CHECK(reply.close_after, "a refusal keeps the connection: " + std::string(trace));
  } else {
    const http::Route route = http::route(p.head);
    if (route.kind == http::RouteKind::websocket) {
      FUZZ_CHECK(p.head.path == "/ws" && p.head.upgrade_websocket, "routed to WebSocket: " + std::string(trace));
      reply = ws::accept_handshake(p.head);
      FUZZ_CHECK(reply.close_after == (reply.status != 101), "handshake close_after: " + std::string(trace));
    } else {
      reply = http::serve(p.head, route);
      FUZZ_CHECK(reply.close_after == (!p.head.keep_alive || reply.status == 500),
                 "close_after does not follow keep-alive: " + std::string(trace));
    }
  }
  const std::string problem = response_problem(reply.bytes, {reply.status, reply.close_after});
  FUZZ_CHECK(problem.empty(), problem + " in reply \"" + printable(reply.bytes.substr(0, 400)) + "\" to " +
                                  std::string(trace));
  if (reply.status == 405) FUZZ_CHECK(response_header(reply.bytes, "allow") == "GET", "405 without Allow: GET");
  if (reply.status == 101) {
    FUZZ_CHECK(response_header(reply.bytes, "sec-websocket-accept") == ws::accept_key(p.head.ws_key),
               "101 with the wrong Sec-WebSocket-Accept: " + std::string(trace));
  }
}

// What one way of feeding produced: the verdicts, then what was left unanswered.
struct Outcome {
  std::vector<Verdict> verdicts;
  std::size_t unfinished = 0;  // bytes waiting in need_more at the end (0 after a refusal)
};

// A connection's input side: keeps the unconsumed bytes, answers each receive.
class Connection {
 public:
  // `check_waits`: also check each need_more against the reference scan (whole and split;
  // byte by byte that scan would make a long head cost O(n^2)). `check_replies`: build and
  // check the reply to each verdict (the whole way only: the others must give the same
  // verdicts, so they would get the same replies).
  Connection(const char* way, Outcome& out, bool check_waits, bool check_replies)
      : way_(way), out_(out), check_waits_(check_waits), check_replies_(check_replies) {}

  // `block`: the unconsumed bytes. Returns false once the connection is refused.
  bool parse_all(std::string_view block) {
    for (;;) {
      const HeadParse p = parser_.parse(block);
      const auto trace = [&] { return way_ + " on \"" + printable(block.substr(0, 300)) + "\""; };
      FUZZ_CHECK(p.consumed <= block.size(), "consumed " + std::to_string(p.consumed) + " of " +
                                                 std::to_string(block.size()) + ": " + trace());
      if (p.status == HeadStatus::need_more) {
        FUZZ_CHECK(!check_waits_ || reference_head_end(block) == 0, "need_more where the head ended: " + trace());
        return true;
      }
      if (!take_verdict(p, block, trace())) return false;
      consumed_ += p.consumed;
      block.remove_prefix(p.consumed);
    }
  }

  std::size_t consumed() const { return consumed_; }

 private:
  // Checks a complete or bad verdict; false when it ends the connection.
  bool take_verdict(const HeadParse& p, std::string_view block, const std::string& trace) {
    const std::size_t reference = reference_head_end(block);
    FUZZ_CHECK(reference != 0, "a verdict before the head ended: " + trace);
    out_.verdicts.push_back(snapshot(p));
    if (check_replies_) check_reply(p, trace);
    if (reference == kHeadRefused) {
      FUZZ_CHECK(p.status == HeadStatus::bad && p.error_status == 400, "a framing error not refused with 400: " + trace);
    }
    if (p.status == HeadStatus::bad) {
      FUZZ_CHECK(p.error_status == 400 || p.error_status == 405 || p.error_status == 505,
                 "refused with status " + std::to_string(p.error_status) + ": " + trace);
      FUZZ_CHECK(!p.error.empty(), "refused without a reason: " + trace);
      return false;
    }
    FUZZ_CHECK(p.consumed == reference, "complete at " + std::to_string(p.consumed) + ", the head ends at " +
                                            std::to_string(reference) + ": " + trace);
    check_head(p, block, trace);
    return true;
  }

  std::string way_;
  Outcome& out_;
  bool check_waits_;
  bool check_replies_;
  http::RequestHeadParser parser_;
  std::size_t consumed_ = 0;
};

// The unconsumed bytes in a block of exactly their size, parsed.
bool receive_exact(Connection& conn, std::string_view unconsumed) {
  const std::unique_ptr<char[]> block(new char[unconsumed.size()]);
  if (!unconsumed.empty()) std::memcpy(block.get(), unconsumed.data(), unconsumed.size());
  return conn.parse_all({block.get(), unconsumed.size()});
}

Outcome feed_chunks(const char* way, std::string_view stream, const std::vector<std::string_view>& chunks,
                    bool check_replies) {
  Outcome out;
  Connection conn(way, out, true, check_replies);
  std::size_t received = 0;
  for (std::string_view chunk : chunks) {
    received += chunk.size();
    if (!receive_exact(conn, stream.substr(conn.consumed(), received - conn.consumed()))) return out;
  }
  out.unfinished = received - conn.consumed();
  return out;
}

Outcome feed_bytewise(std::string_view stream) {
  const std::unique_ptr<char[]> block(new char[stream.size()]);
  if (!stream.empty()) std::memcpy(block.get(), stream.data(), stream.size());
  Outcome out;
  Connection conn("byte by byte", out, false, false);
  for (std::size_t received = 1; received <= stream.size(); ++received) {
    if (!conn.parse_all({block.get() + conn.consumed(), received - conn.consumed()})) return out;
  }
  out.unfinished = stream.size() - conn.consumed();
  return out;
}

void check_same(const Outcome& whole, const Outcome& other, const char* way, std::string_view stream) {
  const std::size_t n = std::min(whole.verdicts.size(), other.verdicts.size());
  for (std::size_t i = 0; i < n; ++i) {
    FUZZ_CHECK(whole.verdicts[i] == other.verdicts[i], std::string(way) + ": head " + std::to_string(i) + " is " +
                                                           describe(other.verdicts[i]) + ", whole: " +
                                                           describe(whole.verdicts[i]) + " in \"" +
                                                           printable(stream.substr(0, 300)) + "\"");
  }
  FUZZ_CHECK(whole.verdicts.size() == other.verdicts.size() && whole.unfinished == other.unfinished,
             std::string(way) + ": " + std::to_string(other.verdicts.size()) + " verdicts, " +
                 std::to_string(other.unfinished) + " bytes unfinished; whole: " +
                 std::to_string(whole.verdicts.size()) + ", " + std::to_string(whole.unfinished) + " in \"" +
                 printable(stream.substr(0, 300)) + "\"");
}

// The input, with a filler header making its first head end near the 8 KiB bound when
// `control` (the input's last byte) asks for it: 0xC0 and above, a byte no seed ends
// with, puts the end control - 0xE0 bytes from the bound (-32..31).
std::string with_filler(std::string_view input, uint8_t control) {
  const std::size_t line_end = input.find("\r\n");
  if (control < 0xC0 || line_end == std::string_view::npos) return std::string(input);
  const std::size_t head_end = input.find("\r\n\r\n");
  const std::size_t head_len = head_end == std::string_view::npos ? input.size() : head_end + 4;
  const std::string_view name = "X-Fill: ";
  const std::size_t want = kMaxHeadBytes + control - 0xE0;
  if (head_len + name.size() + 2 >= want) return std::string(input);
  std::string out(input.substr(0, line_end + 2));
  out += name;
  out.append(want - head_len - name.size() - 2, 'f');
  out += "\r\n";
  out += input.substr(line_end + 2);
  return out;
}

}  // namespace
}  // namespace chatd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace chatd::fuzz;
  FuzzedDataProvider plan(data, size);
  const std::string stream = with_filler({reinterpret_cast<const char*>(data), size}, plan.ConsumeIntegral<uint8_t>());

  const Outcome whole = feed_chunks("whole", stream, {stream}, true);
  const Outcome bytewise = feed_bytewise(stream);
  check_same(whole, bytewise, "byte by byte", stream);
  const Outcome split = feed_chunks("split", stream, fuzzed_chunks(stream, plan), false);
  check_same(whole, split, "split", stream);
  return 0;
}
