// WebSocket users are ordinary users (docs/protocol.md, "Ports and modes"; docs/web.md):
// the same ops and rooms as JSON and text users, one JSON object per text message,
// fragmented messages, ping/pong, the close handshake, and the close code for each
// protocol error: 1002 (unmasked, reserved bits or opcode, bad control frame), 1003
// (binary), 1007 (not UTF-8), 1009 (over --max-frame).
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "client.h"
#include "http_client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

class WebSocket : public SharedServerTest {};
INSTANTIATE_TEST_SUITE_P(Backends, WebSocket, testing::ValuesIn(backends_x({1, 4})), param_name);

Json ws_join(WsClient& c, const std::string& room) {
  c.send(op("join").s("room", room));
  const Json j = c.expect_reply("joined");
  if (j.str("room") != room) throw HarnessError("joined names the wrong room: " + j.raw());
  return j;
}

TEST_P(WebSocket, OpsWorkOverTextFrames) {
  const std::string alice = uniq("wsa"), room = uniq("wsroom");
  WsClient a = ws_login(port(), alice);
  const Json joined = ws_join(a, room);
  EXPECT_EQ(joined.i64("members"), 1);
  a.send(op("msg").s("room", room).s("text", "hello over ws").s("id", "m1").i("ts", 42));
  const Json m = a.expect_event("msg");
  EXPECT_EQ(m.str("from"), alice);
  EXPECT_EQ(m.str("text"), "hello over ws");
  EXPECT_EQ(m.i64("seq"), 1);
  EXPECT_EQ(m.str("id"), "m1");
  a.send(op("ping").i("ts", 7).i("rid", 3));
  const Json pong = a.expect_reply("pong");
  EXPECT_EQ(pong.i64("ts"), 7);
  EXPECT_EQ(pong.i64("rid"), 3);
  a.send(op("history").s("room", room));
  EXPECT_EQ(a.expect_reply("history").arr("msgs").size(), 1u);
  a.send(op("users").s("room", room));
  EXPECT_EQ(a.expect_reply("users").i64("count"), 1);
  // Errors are JSON events in text frames too, and leave the connection open.
  a.raw().send_raw(text_frame("not json"));
  EXPECT_EQ(a.expect_reply("error").str("code"), "bad_json");
  a.send(op("leave").s("room", "never-joined"));
  EXPECT_EQ(a.expect_reply("error").str("code"), "not_in_room");
  a.send(op("bye"));
  EXPECT_EQ(a.expect_reply("bye").str("ev"), "bye");
  EXPECT_EQ(a.expect_close(), 1000);
}

TEST_P(WebSocket, WsJsonAndTextMembersShareARoomAndOneSeqOrder) {
  const std::string room = uniq("mixed");
  WsClient w = ws_login(port(), uniq("wsm"));
  Client j = login(port(), uniq("jsm"));
  const std::string text_name = uniq("txm");
  Client t = text_login(port(), text_name);
  ws_join(w, room);
  join(j, room);
  t.send_line("/join " + room);
  t.read_line_until([&](const std::string& l) { return starts_with(l, "* you joined " + room); });
  constexpr int kEach = 20;
  for (int i = 0; i < kEach; ++i) {
    w.send(op("msg").s("room", room).s("text", "w" + std::to_string(i)));
    j.send(op("msg").s("room", room).s("text", "j" + std::to_string(i)));
    t.send_line("t" + std::to_string(i));
  }
  // The WebSocket and the JSON member see the same 60 msgs in the same order, seq 1..60.
  std::vector<std::string> seen_ws, seen_json;
  for (int k = 0; k < 3 * kEach; ++k) {
    const Json a = w.read_until_ev("msg", 5s);
    const Json b = j.read_until_ev("msg", 5s);
    EXPECT_EQ(a.i64("seq"), k + 1);
    EXPECT_EQ(b.i64("seq"), k + 1);
    seen_ws.push_back(a.str("from") + ":" + a.str("text"));
    seen_json.push_back(b.str("from") + ":" + b.str("text"));
  }
  EXPECT_EQ(seen_ws, seen_json);
  // And the text member gets them as human lines, in that same order.
  std::vector<std::string> seen_text;
  while (seen_text.size() < seen_ws.size()) {
    const std::string line = t.expect_line(5s);
    if (starts_with(line, "[" + room + "] ")) seen_text.push_back(line.substr(room.size() + 3));
  }
  for (std::size_t k = 0; k < seen_ws.size(); ++k) {
    const std::string& who_what = seen_ws[k];
    const std::size_t colon = who_what.find(':');
    EXPECT_EQ(seen_text[k], who_what.substr(0, colon) + ": " + who_what.substr(colon + 1)) << k;
  }
}

TEST_P(WebSocket, FragmentsWithAPingBetweenMakeOneMessage) {
  WsClient c = WsClient::connect(port());
  const std::string user = uniq("frag");
  const std::string hello = op("hello").s("user", user).str();
  const std::size_t third = hello.size() / 3;
  c.send_frame({.opcode = ws_op::text, .payload = std::string_view(hello).substr(0, third), .fin = false});
  c.send_frame({.opcode = ws_op::continuation, .payload = std::string_view(hello).substr(third, third), .fin = false});
  c.send_frame({.opcode = ws_op::ping, .payload = "mid"});
  c.send_frame({.opcode = ws_op::continuation, .payload = std::string_view(hello).substr(2 * third)});
  const Frame pong = c.read_frame();
  EXPECT_EQ(pong.opcode, ws_op::pong);
  EXPECT_EQ(pong.payload, "mid");
  EXPECT_EQ(c.expect_event("welcome").str("user"), user);
}

TEST_P(WebSocket, FramesSplitAcrossReceivesAndManyInOneAreDecoded) {
  WsClient c = WsClient::connect(port());
  const std::string user = uniq("split"), room = uniq("splitroom");
  // hello a byte at a time: every receive ends inside the frame.
  for (char ch : text_frame(op("hello").s("user", user).str())) {
    c.raw().send_raw(std::string(1, ch));
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(c.expect_event("welcome").str("user"), user);
  // Then a join and 50 msgs (one of them over 126 bytes: the 16-bit length) in one write.
  std::string burst = text_frame(op("join").s("room", room).str());
  for (int i = 0; i < 50; ++i)
    burst += text_frame(op("msg").s("room", room).s("text", i == 25 ? std::string(300, 'x') : std::to_string(i)).str());
  c.raw().send_raw(burst);
  c.expect_reply("joined");
  for (int i = 0; i < 50; ++i) EXPECT_EQ(c.read_until_ev("msg").i64("seq"), i + 1);
}

// After hello the connection moves to the user's home shard with the frames it had
// not yet handled (a partly sent one included): with several shards most of these
// users live elsewhere than the shard that accepted them.
TEST_P(WebSocket, HelloAndTheFramesAfterItMoveHomeTogether) {
  const std::string room = uniq("moveroom");
  for (int u = 0; u < 8; ++u) {
    const std::string user = uniq("mover");
    WsClient c = WsClient::connect(port(), user);
    const std::string tail = client_frame({.opcode = ws_op::ping, .payload = "after"});
    const std::string frames = text_frame(op("hello").s("user", user).str()) +
                               text_frame(op("join").s("room", room).str()) +
                               text_frame(op("msg").s("room", room).s("text", user).str()) + tail;
    c.raw().send_raw(frames.substr(0, frames.size() - 3));  // the ping's last bytes come later
    const Json w = c.expect_event("welcome");
    EXPECT_EQ(w.str("user"), user);
    c.raw().send_raw(frames.substr(frames.size() - 3));
    c.expect_reply("joined");
    // The pong is direct; the msg's echo is a broadcast from the room's owner: either
    // may come first.
    bool pong = false, echo = false;
    while (!(pong && echo)) {
      const Frame f = c.read_frame();
      if (f.opcode == ws_op::pong) {
        EXPECT_EQ(f.payload, "after");
        pong = true;
      } else {
        ASSERT_EQ(f.opcode, ws_op::text);
        std::string err;
        auto j = Json::parse(f.payload, &err);
        ASSERT_TRUE(j) << f.payload;
        if (j->str("ev") == "msg") {
          EXPECT_EQ(j->str("text"), user);
          echo = true;
        }
      }
    }
  }
}

TEST_P(WebSocket, PingIsAnsweredWithTheSamePayload) {
  WsClient c = WsClient::connect(port());
  c.send_frame({.opcode = ws_op::ping, .payload = "are you there?"});
  const Frame f = c.read_frame();
  EXPECT_EQ(f.opcode, ws_op::pong);
  EXPECT_TRUE(f.fin);
  EXPECT_EQ(f.payload, "are you there?");
  c.send_frame({.opcode = ws_op::pong, .payload = "unsolicited"});  // ignored
  c.send_frame({.opcode = ws_op::ping, .payload = ""});
  EXPECT_EQ(c.read_frame().opcode, ws_op::pong);
}

TEST_P(WebSocket, CloseIsEchoedWithItsCodeThenTheServerCloses) {
  {
    WsClient c = WsClient::connect(port());
    c.send_frame({.opcode = ws_op::close, .payload = close_payload(1000, "done")});
    EXPECT_EQ(c.expect_close(), 1000);
  }
  {
    WsClient c = WsClient::connect(port());
    c.send_frame({.opcode = ws_op::close, .payload = close_payload(4321)});
    EXPECT_EQ(c.expect_close(), 4321);
  }
  WsClient c = WsClient::connect(port());
  c.send_frame({.opcode = ws_op::close, .payload = ""});
  const Frame f = c.read_frame();
  EXPECT_EQ(f.opcode, ws_op::close);
  EXPECT_TRUE(f.payload.empty()) << "a close without a code is echoed without one";
  c.raw().drain_to_eof(3s);
}

TEST_P(WebSocket, ALoggedInUserWhoClosesLeavesItsRooms) {
  const std::string room = uniq("closeroom"), name = uniq("closer");
  Client watcher = login(port(), uniq("watch"));
  join(watcher, room);
  WsClient c = ws_login(port(), name);
  ws_join(c, room);
  watcher.read_until_ev("user_joined");
  c.send_frame({.opcode = ws_op::close, .payload = close_payload(1001)});
  EXPECT_EQ(c.expect_close(), 1001);
  EXPECT_EQ(watcher.read_until_ev("user_left").str("user"), name);
}

struct ProtocolError {
  const char* what;
  FrameSpec frame;
  uint16_t code;
};

class WebSocketErrors : public WebSocket {};
INSTANTIATE_TEST_SUITE_P(Backends, WebSocketErrors, testing::ValuesIn(backends_x({1, 4})), param_name);

TEST_P(WebSocketErrors, EachProtocolErrorClosesWithItsCode) {
  const std::string big(200, 'p');
  const std::string bad_utf8 = "{\"op\":\"ping\",\"x\":\"\xC3\x28\"}";
  const ProtocolError cases[] = {
      {"unmasked text frame", {.payload = "{\"op\":\"ping\"}", .masked = false}, 1002},
      {"RSV1 set", {.payload = "{\"op\":\"ping\"}", .rsv = 4}, 1002},
      {"reserved opcode 3", {.opcode = 3, .payload = "x"}, 1002},
      {"reserved control opcode 0xB", {.opcode = 0xB, .payload = ""}, 1002},
      {"continuation with no message", {.opcode = ws_op::continuation, .payload = "x"}, 1002},
      {"fragmented ping", {.opcode = ws_op::ping, .payload = "x", .fin = false}, 1002},
      {"ping over 125 bytes", {.opcode = ws_op::ping, .payload = big}, 1002},
      {"close with a 1-byte payload", {.opcode = ws_op::close, .payload = "x"}, 1002},
      {"close with code 1005", {.opcode = ws_op::close, .payload = "\x03\xED"}, 1002},
      {"binary frame", {.opcode = ws_op::binary, .payload = "\x01\x02"}, 1003},
      {"text that is not UTF-8", {.payload = bad_utf8}, 1007},
  };
  for (const ProtocolError& pe : cases) {
    SCOPED_TRACE(pe.what);
    WsClient c = WsClient::connect(port(), pe.what);
    c.send_frame(pe.frame);
    EXPECT_EQ(c.expect_close(), pe.code);
  }
}

TEST_P(WebSocketErrors, AMessageOverMaxFrameIs1009FromItsHeaderAlone) {
  WsClient c = WsClient::connect(port());
  // Only the header of a 70000-byte frame: the refusal must not wait for the payload.
  std::string header = client_frame({.payload = std::string(70000, 'x')}).substr(0, 14);
  c.raw().send_raw(header);
  EXPECT_EQ(c.expect_close(), 1009);
  // Counted over the fragments too: two of 40000 bytes.
  WsClient f = WsClient::connect(port());
  const std::string part(40000, 'y');
  f.send_frame({.payload = part, .fin = false});
  f.raw().send_raw(client_frame({.opcode = ws_op::continuation, .payload = part}).substr(0, 14));
  EXPECT_EQ(f.expect_close(), 1009);
}

TEST_P(WebSocketErrors, AnErrorAfterLoginStillAnswersWhatCameBefore) {
  const std::string user = uniq("late");
  WsClient c = WsClient::connect(port());
  c.raw().send_raw(text_frame(op("hello").s("user", user).str()) + text_frame(op("ping").i("ts", 5).str()) +
                   client_frame({.opcode = ws_op::binary, .payload = "b"}));
  EXPECT_EQ(c.expect_event("welcome").str("user"), user);
  EXPECT_EQ(c.expect_event("pong").i64("ts"), 5);
  EXPECT_EQ(c.expect_close(), 1003);
  // The name is free again.
  Client again = login_retry(port(), user);
}

// ---- last words: server_shutdown then 1001, slow_consumer then 1008

class WebSocketLastWords : public testing::TestWithParam<ServerParam> {};
INSTANTIATE_TEST_SUITE_P(Backends, WebSocketLastWords, testing::ValuesIn(backends_x({2})), param_name);

// The text frames before the close frame; the last must be the error `code`.
void expect_error_then_close(WsClient& c, const std::string& code, uint16_t close_code) {
  std::string last_text;
  for (;;) {
    const Frame f = c.read_frame(5s);
    if (f.opcode == ws_op::text) {
      last_text = f.payload;
      continue;
    }
    ASSERT_EQ(f.opcode, ws_op::close) << "a frame other than text or close";
    EXPECT_EQ(f.close_code(), close_code);
    break;
  }
  std::string err;
  auto j = Json::parse(last_text, &err);
  ASSERT_TRUE(j) << "the last text frame before the close is not JSON: " << last_text.substr(0, 200);
  check_error_shape(*j, code, "");
  c.raw().drain_to_eof(5s);
}

TEST_P(WebSocketLastWords, ShutdownSendsServerShutdownThenClose1001) {
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards, {"--drain-timeout", "2s"});
  WsClient user = ws_login(server->port(), "wsuser");
  WsClient anon = WsClient::connect(server->port(), "anon");
  anon.send(op("ping").i("ts", 1));
  anon.expect_event("pong");
  server->signal(SIGTERM);
  expect_error_then_close(user, "server_shutdown", 1001);
  expect_error_then_close(anon, "server_shutdown", 1001);
  auto st = server->wait_exit(5s);
  ASSERT_TRUE(st) << "chatd still running 5 s after SIGTERM";
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe();
}

TEST_P(WebSocketLastWords, NotLoggedInWithinTheLoginTimeoutIsClose1008) {
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards, {"--login-timeout", "1s"});
  // The page fetch before it is no chat client: its own timeouts govern it.
  Client page = Client::connect(server->port(), {.label = "page"});
  page.send_raw(http_get("/healthz"));
  EXPECT_EQ(read_http_response(page).status, 200);
  WsClient c = WsClient::connect(server->port(), "silent");
  const auto t0 = std::chrono::steady_clock::now();
  const Frame f = c.read_frame(5s);
  EXPECT_EQ(f.opcode, ws_op::close);
  EXPECT_EQ(f.close_code(), 1008);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 500ms) << "closed long before --login-timeout";
  c.raw().drain_to_eof(3s);
  page.send_raw(http_get("/healthz"));
  EXPECT_EQ(read_http_response(page).status, 200) << "a plain HTTP connection has no login clock";
}

TEST_P(WebSocketLastWords, ASlowConsumerGetsSlowConsumerThenClose1008) {
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards,
                                    {"--max-outbound", "64K", "--slow-timeout", "1s"});
  const uint16_t port = server->port();
  WsClient stalled = WsClient::connect(port, "stalled", 2048);
  stalled.send(op("hello").s("user", "stalled"));
  stalled.expect_event("welcome");
  stalled.send(op("join").s("room", "flood"));
  stalled.expect_reply("joined");
  Client sender = login(port, "sender");
  join(sender, "flood");
  // Lock-step: the sender reads its own echo before the next msg, so only the stalled
  // reader falls behind. ~6 MB: past what the kernel buffers plus the 64 KiB bound.
  const std::string text(4000, 'f');
  bool cut = false;
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; !cut && std::chrono::steady_clock::now() - t0 < 15s; ++k) {
    sender.send(op("msg").s("room", "flood").s("text", text));
    for (;;) {
      const Json j = sender.read_json(5s);
      if (j.str("ev") == "user_left" && j.str("user") == "stalled") cut = true;
      if (j.str("ev") == "msg") break;
    }
    if (k > 1500) std::this_thread::sleep_for(20ms);  // keep it over the bound until cut
  }
  ASSERT_TRUE(cut) << "the stalled WebSocket reader was never disconnected";
  expect_error_then_close(stalled, "slow_consumer", 1008);
}

}  // namespace
}  // namespace chatd_it
