// RequestHeadParser: a browser's head parsed field by field, fed split at every byte
// offset and a byte at a time, pipelined heads one after another, the 8 KiB bound at its
// exact edge, and every refusal (400, 405, 505) with the reason it gives.
#include "http/request_head.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace chatd::http {
namespace {

const std::string kBrowserHead =
    "GET /ws?v=1 HTTP/1.1\r\n"
    "Host: localhost:7000\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Upgrade: websocket\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "If-None-Match: \"abc\"\r\n"
    "\r\n";

HeadParse parse_once(std::string_view bytes) {
  RequestHeadParser parser;
  return parser.parse(bytes);
}

// A head that must be refused: checks the status and that the reason mentions `words`.
void expect_refused(std::string_view bytes, uint16_t status, std::string_view words) {
  SCOPED_TRACE(std::string(bytes));
  const HeadParse p = parse_once(bytes);
  ASSERT_EQ(p.status, HeadStatus::bad);
  EXPECT_EQ(p.error_status, status);
  EXPECT_NE(p.error.find(words), std::string_view::npos) << p.error;
}

std::string get_with(std::string_view header_lines, std::string_view version = "HTTP/1.1") {
  return "GET / " + std::string(version) + "\r\nHost: x\r\n" + std::string(header_lines) + "\r\n";
}

TEST(RequestHead, ParsesABrowserUpgradeHead) {
  const HeadParse p = parse_once(kBrowserHead);
  ASSERT_EQ(p.status, HeadStatus::complete) << p.error;
  EXPECT_EQ(p.consumed, kBrowserHead.size());
  const RequestHead& h = p.head;
  EXPECT_EQ(h.target, "/ws?v=1");
  EXPECT_EQ(h.path, "/ws");
  EXPECT_EQ(h.version, Version::http11);
  EXPECT_EQ(h.host, "localhost:7000");
  EXPECT_TRUE(h.has_ws_key);
  EXPECT_EQ(h.ws_key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_TRUE(h.has_ws_version);
  EXPECT_EQ(h.ws_version, "13");
  EXPECT_EQ(h.if_none_match, "\"abc\"");
  EXPECT_TRUE(h.keep_alive);
  EXPECT_TRUE(h.connection_upgrade);
  EXPECT_TRUE(h.upgrade_websocket);
}

TEST(RequestHead, HeaderNamesAndTokensAreCaseInsensitive) {
  const HeadParse p = parse_once(
      "GET / HTTP/1.1\r\nHOST: h\r\nconnection: UPGRADE\r\nupgrade: WebSocket\r\n"
      "sec-websocket-KEY:k\r\nSEC-WEBSOCKET-VERSION:\t13 \r\n\r\n");
  ASSERT_EQ(p.status, HeadStatus::complete) << p.error;
  EXPECT_EQ(p.head.host, "h");
  EXPECT_TRUE(p.head.connection_upgrade);
  EXPECT_TRUE(p.head.upgrade_websocket);
  EXPECT_EQ(p.head.ws_key, "k");
  EXPECT_EQ(p.head.ws_version, "13");  // OWS trimmed both sides
}

TEST(RequestHead, TokenListsAreSplitOnCommas) {
  EXPECT_TRUE(list_has_token("h2c, websocket", "websocket"));
  EXPECT_TRUE(list_has_token("keep-alive,Upgrade", "upgrade"));
  EXPECT_FALSE(list_has_token("websockets", "websocket"));
  EXPECT_FALSE(list_has_token("", "close"));
  EXPECT_FALSE(list_has_token("not-close", "close"));
}

TEST(RequestHead, SplitAtEveryByteNeedsMoreUntilTheLastByte) {
  for (std::size_t cut = 0; cut < kBrowserHead.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    RequestHeadParser parser;
    EXPECT_EQ(parser.parse(std::string_view(kBrowserHead).substr(0, cut)).status, HeadStatus::need_more);
    const HeadParse p = parser.parse(kBrowserHead);
    ASSERT_EQ(p.status, HeadStatus::complete) << p.error;
    EXPECT_EQ(p.consumed, kBrowserHead.size());
    EXPECT_EQ(p.head.ws_key, "dGhlIHNhbXBsZSBub25jZQ==");
  }
}

TEST(RequestHead, ByteAtATimeWithOneParser) {
  RequestHeadParser parser;
  for (std::size_t n = 1; n < kBrowserHead.size(); ++n) {
    ASSERT_EQ(parser.parse(std::string_view(kBrowserHead).substr(0, n)).status, HeadStatus::need_more) << n;
  }
  const HeadParse p = parser.parse(kBrowserHead);
  ASSERT_EQ(p.status, HeadStatus::complete) << p.error;
  EXPECT_EQ(p.head.path, "/ws");
}

TEST(RequestHead, PipelinedHeadsAreTakenOneAtATime) {
  const std::string a = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string b = "GET /app.js HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  const std::string c_part = "GET /healthz HTTP/1.1\r\nHo";
  std::string_view rest;
  const std::string all = a + b + c_part;
  rest = all;
  RequestHeadParser parser;

  HeadParse p = parser.parse(rest);
  ASSERT_EQ(p.status, HeadStatus::complete);
  EXPECT_EQ(p.consumed, a.size());
  EXPECT_EQ(p.head.path, "/");
  EXPECT_TRUE(p.head.keep_alive);
  rest.remove_prefix(p.consumed);

  p = parser.parse(rest);
  ASSERT_EQ(p.status, HeadStatus::complete);
  EXPECT_EQ(p.consumed, b.size());
  EXPECT_EQ(p.head.path, "/app.js");
  EXPECT_FALSE(p.head.keep_alive);
  rest.remove_prefix(p.consumed);

  EXPECT_EQ(parser.parse(rest).status, HeadStatus::need_more);
  const std::string c = c_part + "st: h\r\n\r\n";
  p = parser.parse(c);
  ASSERT_EQ(p.status, HeadStatus::complete);
  EXPECT_EQ(p.head.path, "/healthz");
}

TEST(RequestHead, KeepAliveFollowsVersionAndConnection) {
  auto keep_alive = [](std::string_view bytes) {
    const HeadParse p = parse_once(bytes);
    EXPECT_EQ(p.status, HeadStatus::complete) << p.error;
    return p.head.keep_alive;
  };
  EXPECT_TRUE(keep_alive(get_with("")));
  EXPECT_FALSE(keep_alive(get_with("Connection: close\r\n")));
  EXPECT_FALSE(keep_alive(get_with("Connection: keep-alive\r\nConnection: close\r\n")));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));  // 1.0 needs no Host and closes by default
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

TEST(RequestHead, ABodyIsRefused) {
  expect_refused(get_with("Content-Length: 5\r\n"), 400, "body");
  expect_refused(get_with("Transfer-Encoding: chunked\r\n"), 400, "body");
  expect_refused(get_with("Content-Length: x\r\n"), 400, "body");
  EXPECT_EQ(parse_once(get_with("Content-Length: 0\r\n")).status, HeadStatus::complete);
}

TEST(RequestHead, OtherMethodsGet405AndBadTokens400) {
  expect_refused("POST / HTTP/1.1\r\nHost: h\r\n\r\n", 405, "GET");
  expect_refused("get / HTTP/1.1\r\nHost: h\r\n\r\n", 405, "GET");  // methods are case-sensitive
  expect_refused("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", 405, "GET");
  expect_refused("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "token");
}

TEST(RequestHead, RequestLineShapes) {
  expect_refused("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "HTTP/1.1");
  expect_refused("GET / HTTP/1.1x\r\nHost: h\r\n\r\n", 400, "version");
  expect_refused("GET / FOO\r\nHost: h\r\n\r\n", 400, "version");
  expect_refused("GET /\r\nHost: h\r\n\r\n", 400, "request line");
  expect_refused("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target");
  expect_refused("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target");
  expect_refused("GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target");
  expect_refused("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "target");
  expect_refused("\r\n\r\n", 400, "empty");
}

TEST(RequestHead, HeaderLineShapes) {
  expect_refused(get_with(" folded\r\n"), 400, "folding");
  expect_refused(get_with("NoColon\r\n"), 400, "':'");
  expect_refused(get_with("Bad Name: v\r\n"), 400, "token");
  expect_refused(get_with("X: a\x01z\r\n"), 400, "control");
  expect_refused(get_with("X: a\rz\r\n"), 400, "control");
  expect_refused(get_with("Host: again\r\n"), 400, "Host");
  expect_refused("GET / HTTP/1.1\r\n\r\n", 400, "Host");
  expect_refused(get_with("Sec-WebSocket-Key: a\r\nSec-WebSocket-Key: b\r\n"), 400, "Key");
  expect_refused(get_with("Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n"), 400, "Version");
}

TEST(RequestHead, ABareLineFeedIsRefusedBeforeTheHeadEnds) {
  RequestHeadParser parser;
  const HeadParse p = parser.parse("GET / HTTP/1.1\nHost: h");  // no empty line yet
  ASSERT_EQ(p.status, HeadStatus::bad);
  EXPECT_EQ(p.error_status, 400);
  expect_refused("GET / HTTP/1.1\r\nHost: h\n\r\n", 400, "bare LF");
  expect_refused("\n", 400, "bare LF");
}

TEST(RequestHead, TheEightKibBoundIsExact) {
  // A head of exactly kMaxHeadBytes is served; one byte more is refused.
  const std::string start = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  const std::string fits = start + std::string(kMaxHeadBytes - start.size() - end.size(), 'p') + end;
  ASSERT_EQ(fits.size(), kMaxHeadBytes);
  const HeadParse ok = parse_once(fits);
  ASSERT_EQ(ok.status, HeadStatus::complete) << ok.error;
  EXPECT_EQ(ok.consumed, kMaxHeadBytes);

  const std::string over = start + std::string(kMaxHeadBytes - start.size() - end.size() + 1, 'p') + end;
  expect_refused(over, 400, "8 KiB");
}

TEST(RequestHead, AnUnfinishedHeadIsRefusedAtEightKib) {
  RequestHeadParser parser;
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  head.resize(kMaxHeadBytes - 1, 'p');
  EXPECT_EQ(parser.parse(head).status, HeadStatus::need_more);
  head += 'p';
  const HeadParse p = parser.parse(head);
  ASSERT_EQ(p.status, HeadStatus::bad);
  EXPECT_EQ(p.error_status, 400);
}

}  // namespace
}  // namespace chatd::http
