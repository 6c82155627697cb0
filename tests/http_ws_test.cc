// HTTP/1.1 on the chat port and the WebSocket opening handshake (docs/protocol.md,
// "Ports and modes"; docs/web.md): the page, /healthz, 404, keep-alive and pipelining,
// refused heads (400/405/505, then close), the slowloris timer, and /ws's upgrade with
// its refusals (426). Frames after the upgrade: websocket_test.cc.
#include <gtest/gtest.h>

#include <thread>

#include "client.h"
#include "http_client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

class Http : public SharedServerTest {};
INSTANTIATE_TEST_SUITE_P(Backends, Http, testing::ValuesIn(backends_x({1, 4})), param_name);

HttpResponse get(Client& c, std::string_view path, std::string_view headers = {}) {
  c.send_raw(http_get(path, headers));
  return read_http_response(c);
}

// A refused head: the status, then the server closes (nothing after a bad head is trusted).
void expect_refused(uint16_t port, const std::string& request, int status) {
  Client c = Client::connect(port, {.label = "http"});
  c.send_raw(request);
  const HttpResponse r = read_http_response(c);
  EXPECT_EQ(r.status, status) << r.status_line << "\n  request: " << request.substr(0, 200);
  EXPECT_EQ(r.header("connection"), "close");
  c.drain_to_eof(3s);
}

TEST_P(Http, HealthzAnswersOk) {
  Client c = Client::connect(port(), {.label = "http"});
  const HttpResponse r = get(c, "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_EQ(r.header("connection"), "keep-alive");
}

TEST_P(Http, RootServesThePageWithItsPolicyAndCaching) {
  Client c = Client::connect(port(), {.label = "http"});
  const HttpResponse page = get(c, "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.header("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("<html"), std::string::npos) << page.body.substr(0, 200);
  const std::string csp = page.header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(page.header("cache-control"), "no-cache");
  EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
  const std::string etag = page.header("etag");
  ASSERT_FALSE(etag.empty());

  // The page's script, on the same connection.
  const HttpResponse script = get(c, "/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_NE(script.header("content-type").find("javascript"), std::string::npos);

  // Unchanged: 304 without a body, and the connection still serves.
  const HttpResponse again = get(c, "/", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.header("etag"), etag);
  EXPECT_EQ(get(c, "/healthz").status, 200);
}

TEST_P(Http, OtherPathsAre404AndTheConnectionStaysOpen) {
  Client c = Client::connect(port(), {.label = "http"});
  for (const char* path : {"/nope", "/index.htm", "/ws/", "/healthz/x", "/../etc/passwd"}) {
    const HttpResponse r = get(c, path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.header("connection"), "keep-alive") << path;
  }
  EXPECT_EQ(get(c, "/healthz").body, "ok\n");
}

TEST_P(Http, KeepAliveCarriesTwoRequestsAndPipelinedOnesAreAnsweredInOrder) {
  Client c = Client::connect(port(), {.label = "http"});
  EXPECT_EQ(get(c, "/healthz").status, 200);
  EXPECT_EQ(get(c, "/").status, 200);
  // Three heads in one write: three responses, in the order asked.
  c.send_raw(http_get("/healthz") + http_get("/missing") + http_get("/app.css"));
  EXPECT_EQ(read_http_response(c).status, 200);
  EXPECT_EQ(read_http_response(c).status, 404);
  const HttpResponse css = read_http_response(c);
  EXPECT_EQ(css.status, 200);
  EXPECT_NE(css.header("content-type").find("text/css"), std::string::npos);
}

TEST_P(Http, AHeadTricklingInByteByByteIsServed) {
  Client c = Client::connect(port(), {.label = "http"});
  for (char ch : http_get("/healthz")) {
    c.send_raw(std::string(1, ch));
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(read_http_response(c).body, "ok\n");
}

TEST_P(Http, ConnectionCloseAndHttp10AreAnsweredThenClosed) {
  {
    Client c = Client::connect(port(), {.label = "http"});
    const HttpResponse r = get(c, "/healthz", "Connection: close\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("connection"), "close");
    c.drain_to_eof(3s);
  }
  Client c = Client::connect(port(), {.label = "http10"});
  c.send_raw("GET /healthz HTTP/1.0\r\n\r\n");
  const HttpResponse r = read_http_response(c);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("connection"), "close");
  c.drain_to_eof(3s);
}

TEST_P(Http, MalformedHeadsAre400AndClose) {
  // Over 8 KiB of head.
  expect_refused(port(), http_get("/", "X-Filler: " + std::string(9000, 'a') + "\r\n"), 400);
  // A line ending in a bare LF.
  expect_refused(port(), "GET / HTTP/1.1\nHost: localhost\r\n\r\n", 400);
  // A body, announced either way.
  expect_refused(port(), http_get("/", "Content-Length: 5\r\n") + "hello", 400);
  expect_refused(port(), http_get("/", "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n", 400);
  // No Host on HTTP/1.1; a header line without a colon; a target that is not a path.
  expect_refused(port(), "GET / HTTP/1.1\r\n\r\n", 400);
  expect_refused(port(), http_get("/", "NoColonHere\r\n"), 400);
  expect_refused(port(), "GET http://evil/ HTTP/1.1\r\nHost: localhost\r\n\r\n", 400);
}

TEST_P(Http, AnOversizedHeadIsRefusedBeforeItEnds) {
  // No empty line ever comes: the 400 must not wait for one.
  Client c = Client::connect(port(), {.label = "http"});
  c.send_raw("GET / HTTP/1.1\r\nHost: localhost\r\nX-Filler: " + std::string(9000, 'a'));
  EXPECT_EQ(read_http_response(c).status, 400);
  c.drain_to_eof(3s);
}

TEST_P(Http, OtherMethodsAre405AndOtherVersions505) {
  // A connection is HTTP from its first "GET "; other methods can only come after one,
  // on the same keep-alive connection (a first "POST" makes a text user).
  Client c = Client::connect(port(), {.label = "http"});
  EXPECT_EQ(get(c, "/healthz").status, 200);
  c.send_raw("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const HttpResponse r = read_http_response(c);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET");
  c.drain_to_eof(3s);
  expect_refused(port(), "GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505);
}

TEST_P(Http, AHeadUnfinishedAfterFiveSecondsIsClosedWithoutReply) {
  Client c = Client::connect(port(), {.label = "slowloris"});
  c.send_raw("GET / HTTP/1.1\r\nHost: localhost\r\n");
  c.send_raw("X-Slow: 1\r\n");
  // Still open well before the timeout, then closed without a byte.
  c.expect_silence(3s);
  c.expect_closed(5s);
  EXPECT_TRUE(c.drain_to_eof(1s).empty());
}

// ---- the WebSocket opening handshake

TEST_P(Http, WsUpgradeAnswers101WithTheRfcAcceptKey) {
  Client c = Client::connect(port(), {.label = "ws"});
  c.send_raw(ws_upgrade_request());
  const HttpResponse r = read_http_response(c);
  ASSERT_EQ(r.status, 101) << r.status_line;
  EXPECT_EQ(r.header("sec-websocket-accept"), kSampleAccept);
  EXPECT_EQ(r.header("upgrade"), "websocket");
  EXPECT_EQ(r.header("connection"), "Upgrade");
  EXPECT_FALSE(r.has("sec-websocket-extensions"));
  EXPECT_FALSE(r.has("sec-websocket-protocol"));
}

TEST_P(Http, WsWithoutUpgradeIs426AndKeepsTheConnection) {
  Client c = Client::connect(port(), {.label = "http"});
  const HttpResponse r = get(c, "/ws");
  EXPECT_EQ(r.status, 426);
  EXPECT_EQ(r.header("upgrade"), "websocket");
  EXPECT_EQ(get(c, "/healthz").status, 200);
}

TEST_P(Http, WsWithAnotherVersionIs426NamingVersion13) {
  Client c = Client::connect(port(), {.label = "ws8"});
  c.send_raw(http_get("/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
                                 std::string(kSampleKey) + "\r\nSec-WebSocket-Version: 8\r\n"));
  const HttpResponse r = read_http_response(c);
  EXPECT_EQ(r.status, 426);
  EXPECT_EQ(r.header("sec-websocket-version"), "13");
  c.drain_to_eof(3s);
}

TEST_P(Http, WsWithABadKeyIs400) {
  Client c = Client::connect(port(), {.label = "ws"});
  c.send_raw(http_get("/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\n"
                             "Sec-WebSocket-Version: 13\r\n"));
  EXPECT_EQ(read_http_response(c).status, 400);
  c.drain_to_eof(3s);
}

}  // namespace
}  // namespace chatd_it
