// The opening handshake: RFC 6455's own example key, a browser's head taken from bytes
// through the HTTP parser and router to a 101, and each refusal (426 with the version
// header, 400 for a bad key, a missing Connection: Upgrade, HTTP/1.0).
#include "ws/handshake.h"

#include <gtest/gtest.h>

#include <string>

#include "http/request_head.h"
#include "http/router.h"

namespace chatd::ws {
namespace {

http::RequestHead upgrade_head() {
  http::RequestHead h;
  h.target = h.path = "/ws";
  h.host = "localhost";
  h.upgrade_websocket = true;
  h.connection_upgrade = true;
  h.has_ws_key = true;
  h.ws_key = "dGhlIHNhbXBsZSBub25jZQ==";
  h.has_ws_version = true;
  h.ws_version = "13";
  return h;
}

TEST(Handshake, AcceptKeyOfTheRfcExample) {
  // RFC 6455 §1.3.
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // Another pair, computed independently (python3: base64(sha1(key + GUID))).
  EXPECT_EQ(accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TEST(Handshake, KeyShape) {
  EXPECT_TRUE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_TRUE(is_valid_client_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  EXPECT_FALSE(is_valid_client_key(""));
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));      // no padding
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ==="));   // 25 characters
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25j*Q=="));    // not base64
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=A"));    // padding misplaced
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZSBmb28="));  // 20 bytes
}

TEST(Handshake, ABrowserHeadIsSwitchedToWebSocket) {
  const std::string bytes =
      "GET /ws HTTP/1.1\r\nHost: localhost:7000\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Origin: http://localhost:7000\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
  http::RequestHeadParser parser;
  const http::HeadParse p = parser.parse(bytes);
  ASSERT_EQ(p.status, http::HeadStatus::complete) << p.error;
  ASSERT_EQ(http::route(p.head).kind, http::RouteKind::websocket);
  const http::Reply r = accept_handshake(p.head);
  EXPECT_EQ(r.status, 101);
  EXPECT_FALSE(r.close_after);
  // Exact bytes: no extension is negotiated (the offer is ignored) and no body follows.
  EXPECT_EQ(r.bytes,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Connection: Upgrade\r\n"
            "\r\n");
}

TEST(Handshake, AnotherVersionGets426NamingVersion13) {
  for (const char* version : {"8", "14", "", "13, 8"}) {
    SCOPED_TRACE(version);
    http::RequestHead h = upgrade_head();
    h.ws_version = version;
    const http::Reply r = accept_handshake(h);
    EXPECT_EQ(r.status, 426);
    EXPECT_TRUE(r.close_after);
    EXPECT_NE(r.bytes.find("HTTP/1.1 426 Upgrade Required\r\n"), std::string::npos);
    EXPECT_NE(r.bytes.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  }
  http::RequestHead missing = upgrade_head();
  missing.has_ws_version = false;
  missing.ws_version = {};
  EXPECT_EQ(accept_handshake(missing).status, 426);
}

TEST(Handshake, MissingOrMalformedKeyIs400) {
  http::RequestHead h = upgrade_head();
  h.ws_key = "short";
  http::Reply r = accept_handshake(h);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.close_after);
  EXPECT_NE(r.bytes.find("Sec-WebSocket-Key"), std::string::npos);
  h.has_ws_key = false;
  h.ws_key = {};
  EXPECT_EQ(accept_handshake(h).status, 400);
}

TEST(Handshake, ConnectionUpgradeAndHttp11AreRequired) {
  http::RequestHead h = upgrade_head();
  h.connection_upgrade = false;
  EXPECT_EQ(accept_handshake(h).status, 400);
  h = upgrade_head();
  h.version = http::Version::http10;
  EXPECT_EQ(accept_handshake(h).status, 400);
  h = upgrade_head();
  h.upgrade_websocket = false;
  EXPECT_EQ(accept_handshake(h).status, 400);
}

}  // namespace
}  // namespace chatd::ws
