// Every error code of the wire contract that is reachable without auth, the
// error object's shape, rid/op echo, the order in which checks apply, and
// that errors (except frame_too_large) leave the connection usable.
#include <gtest/gtest.h>

#include <thread>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

using Clock = std::chrono::steady_clock;

class JsonErrors : public SharedServerTest {};

INSTANTIATE_TEST_SUITE_P(Backends, JsonErrors, testing::ValuesIn(backends_x({1, 2, 4})),
                         param_name);

// A connection already in JSON mode (its first frame was a valid ping).
Client json_conn(uint16_t port) {
  Client c = Client::connect(port);
  c.send(op("ping").i("ts", 0));
  c.expect_event("pong");
  return c;
}

// ---- bad_json --------------------------------------------------------------------

TEST_P(JsonErrors, BadJsonForInvalidJsonNonObjectsAndInvalidUtf8) {
  Client c = json_conn(port());
  const std::vector<std::string> bad = {
      "{",
      "{\"op\":\"ping\"",
      "{op:\"ping\"}",
      "{\"op\":\"ping\",}",
      "{\"op\":\"ping\"} trailing",
      "[1,2]",
      "\"ping\"",
      "42",
      "null",
      "true",
      "{\"op\":\"ping\",\"x\":\"\xff\"}",            // invalid byte
      "{\"op\":\"ping\",\"x\":\"\xc0\xaf\"}",        // overlong encoding
      "{\"op\":\"ping\",\"x\":\"\xed\xa0\x80\"}",    // UTF-16 surrogate in UTF-8
      "{\"op\":\"ping\",\"x\":\"\xe2\x82\"}",        // truncated sequence
      "{\"op\":\"ping\",\"\xf8\x88\x80\x80\x80\":1}",  // 5-byte form, in a key
  };
  for (auto& line : bad) {
    SCOPED_TRACE("sent: " + line);
    Json e = expect_error_raw(c, line, "bad_json", "");
    EXPECT_FALSE(e.has("rid")) << e;
  }
  expect_alive(c);
}

TEST_P(JsonErrors, BadJsonAsTheVeryFirstFrame) {
  Client c = Client::connect(port());
  expect_error_raw(c, "{\"op\":", "bad_json", "");
  expect_alive(c);
}

TEST_P(JsonErrors, BadJsonIsCheckedBeforeEverythingElse) {
  Client c = Client::connect(port());
  // Invalid UTF-8 in an otherwise fine join before hello: bad_json wins
  // over not_logged_in and bad_room.
  expect_error_raw(c, "{\"op\":\"join\",\"room\":\"r\xff\"}", "bad_json", "");
  expect_alive(c);
}

// ---- unknown_op ------------------------------------------------------------------

TEST_P(JsonErrors, UnknownOpForMissingOrUnknownOp) {
  Client c = json_conn(port());
  expect_error_raw(c, "{}", "unknown_op", "");
  expect_error_raw(c, R"({"room":"lobby","text":"hi"})", "unknown_op", "");
  expect_error_raw(c, R"({"op":42})", "unknown_op", "");
  expect_error_raw(c, R"({"op":null})", "unknown_op", "");
  expect_alive(c);
  // Errors carry the request's op, an unknown one included.
  expect_error(c, op("frobnicate"), "unknown_op", "frobnicate");
}

TEST_P(JsonErrors, UnknownOpIsCheckedBeforeLogin) {
  Client c = Client::connect(port());
  expect_error(c, op("frobnicate").s("room", "bad room!"), "unknown_op", "");
  expect_alive(c);
}

// ---- not_logged_in ---------------------------------------------------------------

TEST_P(JsonErrors, NotLoggedInForEveryOpButHelloPingAndBye) {
  Client c = Client::connect(port());
  std::string room = uniq("room");
  std::vector<std::pair<Obj, std::string>> ops = {
      {op("join").s("room", room), "join"},
      {op("leave").s("room", room), "leave"},
      {op("msg").s("room", room).s("text", "hi"), "msg"},
      {op("whisper").s("to", "someone").s("text", "hi"), "whisper"},
      {op("users"), "users"},
      {op("users").s("room", room), "users"},
      {op("rooms"), "rooms"},
      {op("history").s("room", room), "history"},
      {op("typing").s("room", room).b("on", true), "typing"},
  };
  for (auto& [req, name] : ops) {
    SCOPED_TRACE("sent: " + req.str());
    expect_error(c, req, "not_logged_in", name);
  }
  c.send(op("ping").i("ts", 77));
  EXPECT_EQ(c.expect_event("pong").i64("ts"), 77);
  hello(c, uniq("late"));
  join(c, room);
}

TEST_P(JsonErrors, NotLoggedInComesBeforeTheOpsOwnChecks) {
  Client c = Client::connect(port());
  expect_error(c, op("join"), "not_logged_in", "join");
  expect_error(c, op("join").s("room", "bad room!"), "not_logged_in", "join");
  expect_error(c, op("join").i("room", 5), "not_logged_in", "join");
  expect_error(c, op("msg").s("room", "r").s("text", std::string(5000, 'x')), "not_logged_in",
               "msg");
  expect_error(c, op("whisper").s("to", "nobody_here").s("text", "x"), "not_logged_in",
               "whisper");
  expect_alive(c);
}

// ---- hello errors ----------------------------------------------------------------

TEST_P(JsonErrors, BadNameForNamesOutsideTheGrammar) {
  Client c = Client::connect(port());
  const std::vector<std::string> bad = {
      op("hello").s("user", "").str(),
      op("hello").s("user", std::string(33, 'n')).str(),
      op("hello").s("user", "a b").str(),
      op("hello").s("user", "a/b").str(),
      op("hello").s("user", "caf\xc3\xa9").str(),
      op("hello").s("user", "tab\there").str(),
      op("hello").s("user", "new\nline").str(),
      op("hello").s("user", "semi;colon").str(),
      op("hello").str(),
      op("hello").i("user", 42).str(),
      op("hello").raw("user", "null").str(),
      op("hello").raw("user", "[\"a\"]").str(),
  };
  for (auto& line : bad) {
    SCOPED_TRACE("sent: " + line);
    expect_error_raw(c, line, "bad_name", "hello");
  }
  // Still not logged in after all of that.
  expect_error(c, op("rooms"), "not_logged_in", "rooms");
  // The edges of the grammar are fine.
  std::string longest = uniq("L");
  longest += std::string(32 - longest.size(), 'x');
  hello(c, longest);
  Client d = login(port(), "A.b-c_9" + uniq(""));
}

TEST_P(JsonErrors, NameTakenIsCaseSensitive) {
  std::string name = uniq("taken");
  Client a = login(port(), name);
  Client b = Client::connect(port());
  expect_error(b, op("hello").s("user", name), "name_taken", "hello");
  expect_error(b, op("join").s("room", "r"), "not_logged_in", "join");
  std::string upper = name;
  upper[0] = 'T';
  hello(b, upper);
}

TEST_P(JsonErrors, AlreadyLoggedInKeepsTheFirstName) {
  std::string name = uniq("first"), other = uniq("second");
  Client a = login(port(), name);
  expect_error(a, op("hello").s("user", other), "already_logged_in", "hello");
  expect_error(a, op("hello").s("user", name), "already_logged_in", "hello");
  // The second name was not taken by the failed hello.
  Client b = login(port(), other);
  std::string room = uniq("room");
  join(a, room);
  a.send(op("users").s("room", room));
  Json u = a.expect_reply("users");
  ASSERT_EQ(u.arr("users").size(), 1u) << u;
  EXPECT_EQ(u.arr("users")[0].as_str(), name);
}

// ---- bad_room --------------------------------------------------------------------

TEST_P(JsonErrors, BadRoomForMissingNonStringOrMalformedRoomsInEveryOp) {
  Client c = login(port(), uniq("br"));
  const std::vector<std::string> bad_rooms = {
      "", std::string(65, 'r'), "a b", "lobby!", "caf\xc3\xa9", "r/1", "#x",
  };
  auto with_room = [](const char* name, std::optional<std::string> room_json) {
    Obj o = op(name);
    if (std::string(name) == "msg") o.s("text", "x");
    if (std::string(name) == "typing") o.b("on", true);
    if (room_json) o.raw("room", *room_json);
    return o;
  };
  for (const char* name : {"join", "leave", "msg", "history", "typing"}) {
    SCOPED_TRACE(name);
    expect_error(c, with_room(name, std::nullopt), "bad_room", name);
    expect_error(c, with_room(name, "5"), "bad_room", name);
    expect_error(c, with_room(name, "null"), "bad_room", name);
    expect_error(c, with_room(name, "[\"lobby\"]"), "bad_room", name);
    for (auto& r : bad_rooms) expect_error(c, with_room(name, quote(r)), "bad_room", name);
  }
  // users takes an optional room, but a given one must be well formed.
  expect_error(c, op("users").s("room", "a b"), "bad_room", "users");
  expect_error(c, op("users").i("room", 5), "bad_room", "users");
  // 64 bytes and every allowed character are fine.
  std::string longest = uniq("R");
  longest += std::string(64 - longest.size(), 'r');
  join(c, longest);
  join(c, "Az09_.-" + uniq(""));
  expect_alive(c);
}

TEST_P(JsonErrors, BadRoomComesBeforeMembershipAndSize) {
  Client c = login(port(), uniq("order"));
  // Not a member of a malformed room, and a text that is too long: bad_room.
  expect_error(c, op("msg").s("room", "bad room").s("text", std::string(5000, 'x')), "bad_room",
               "msg");
  expect_error(c, op("leave").s("room", "bad room"), "bad_room", "leave");
}

// ---- too_many_rooms --------------------------------------------------------------

TEST_P(JsonErrors, TooManyRoomsOnThe65thRoom) {
  Client c = login(port(), uniq("many"));
  std::vector<std::string> rooms;
  std::string batch;
  for (int i = 0; i < 64; ++i) {
    rooms.push_back(uniq("tm"));
    batch += op("join").s("room", rooms.back()).str() + "\n";
  }
  c.send_raw(batch);
  for (int i = 0; i < 64; ++i) {
    Json j = c.expect_reply("joined");
    ASSERT_EQ(j.str("room"), rooms[i]);
  }
  std::string extra = uniq("tm");
  expect_error(c, op("join").s("room", extra), "too_many_rooms", "join");
  // Joining one of the 64 again is not a new room.
  join(c, rooms[10]);
  // Leaving one makes room for another.
  c.send(op("leave").s("room", rooms[0]));
  c.expect_reply("left");
  join(c, extra);
  expect_error(c, op("join").s("room", uniq("tm")), "too_many_rooms", "join");
  expect_alive(c);
}

// ---- not_in_room -----------------------------------------------------------------

TEST_P(JsonErrors, NotInRoomForMsgLeaveHistoryAndTyping) {
  std::string room = uniq("room");
  Client owner = login(port(), uniq("own"));
  join(owner, room);  // the room exists; c is just not in it
  Client c = login(port(), uniq("nir"));
  for (const std::string& r : {room, uniq("nowhere")}) {
    SCOPED_TRACE(r);
    expect_error(c, op("msg").s("room", r).s("text", "x"), "not_in_room", "msg");
    expect_error(c, op("leave").s("room", r), "not_in_room", "leave");
    expect_error(c, op("history").s("room", r), "not_in_room", "history");
    expect_error(c, op("typing").s("room", r).b("on", true), "not_in_room", "typing");
  }
  owner.expect_silence(100ms);  // nothing leaked into the room
  expect_alive(c);
}

TEST_P(JsonErrors, NotInRoomComesBeforeTooLong) {
  Client c = login(port(), uniq("nir"));
  expect_error(c, op("msg").s("room", uniq("room")).s("text", std::string(4097, 'x')),
               "not_in_room", "msg");
}

// ---- too_long --------------------------------------------------------------------

TEST_P(JsonErrors, TooLongCountsDecodedUtf8BytesAgainstTheDefault4096) {
  std::string room = uniq("room");
  std::string bn = uniq("b");
  Client a = login(port(), uniq("a")), b = login(port(), bn);
  join(a, room);
  const std::string e_acute = "\xc3\xa9", smile = "\xf0\x9f\x98\x80";
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  struct Case {
    std::string what, text;
    bool ok;
  };
  std::vector<Case> cases = {
      {"4096 ASCII bytes", std::string(4096, 'x'), true},
      {"4097 ASCII bytes", std::string(4097, 'x'), false},
      {"2048 two-byte chars (4096 bytes)", repeat(e_acute, 2048), true},
      {"2048 two-byte chars + 1 byte", repeat(e_acute, 2048) + "x", false},
      {"2049 two-byte chars (2049 chars < 4096)", repeat(e_acute, 2049), false},
      {"1024 four-byte chars", repeat(smile, 1024), true},
      {"1024 four-byte chars + 1 byte", repeat(smile, 1024) + "x", false},
  };
  int64_t seq = 0;
  for (auto& k : cases) {
    SCOPED_TRACE(k.what);
    if (k.ok) {
      a.send(op("msg").s("room", room).s("text", k.text));
      Json m = a.expect_event("msg");
      EXPECT_EQ(m.i64("seq"), ++seq);
      EXPECT_EQ(m.str("text"), k.text);
      a.send(op("whisper").s("to", bn).s("text", k.text));
      a.expect_event("whisper_sent");
      EXPECT_EQ(b.expect_event("whisper").str("text"), k.text);
    } else {
      expect_error(a, op("msg").s("room", room).s("text", k.text), "too_long", "msg");
      expect_error(a, op("whisper").s("to", bn).s("text", k.text), "too_long", "whisper");
    }
  }
  // \u escapes are counted after decoding: 2048 × "\u00e9" is 4096 bytes.
  std::string escaped;
  for (int i = 0; i < 2048; ++i) escaped += "\\u00e9";
  a.send_line(R"({"op":"msg","room":)" + quote(room) + R"(,"text":")" + escaped + "\"}");
  EXPECT_EQ(a.expect_event("msg").str("text"), repeat(e_acute, 2048));
  expect_error_raw(
      a, R"({"op":"msg","room":)" + quote(room) + R"(,"text":")" + escaped + "x\"}", "too_long",
      "msg");
  b.expect_silence(50ms);
  expect_alive(a);
}

class JsonErrorsMaxText : public SharedServerTest {
 protected:
  std::vector<std::string> extra_flags() const override { return {"--max-text", "100"}; }
};
INSTANTIATE_TEST_SUITE_P(Backends, JsonErrorsMaxText, testing::ValuesIn(backends_x({2})),
                         param_name);

TEST_P(JsonErrorsMaxText, MaxTextFlagSetsTheLimit) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a"));
  join(a, room);
  a.send(op("msg").s("room", room).s("text", std::string(100, 'x')));
  EXPECT_EQ(a.expect_event("msg").str("text").size(), 100u);
  expect_error(a, op("msg").s("room", room).s("text", std::string(101, 'x')), "too_long", "msg");
  expect_error(a, op("msg").s("room", room).s("text", std::string(50, 'x') + std::string(26, 'y') +
                                                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                                       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                                       "\xc3\xa9\xc3\xa9\xc3\xa9"),
               "too_long", "msg");  // 76 + 26 = 102 bytes, 89 characters
}

// ---- whisper errors --------------------------------------------------------------

TEST_P(JsonErrors, NoSuchUserAndSelfWhisper) {
  std::string an = uniq("a"), gone = uniq("gone");
  Client a = login(port(), an);
  expect_error(a, op("whisper").s("to", uniq("nobody")).s("text", "x"), "no_such_user",
               "whisper");
  expect_error(a, op("whisper").s("to", an).s("text", "x"), "self_whisper", "whisper");
  std::string upper = an;
  upper[0] = 'A';
  expect_error(a, op("whisper").s("to", upper).s("text", "x"), "no_such_user", "whisper");

  // A user who went away is no such user once the disconnect is processed.
  Client g = login(port(), gone);
  a.send(op("whisper").s("to", gone).s("text", "x"));
  a.expect_reply("whisper_sent");
  g.close();
  bool gone_now = eventually(
      [&] {
        a.send(op("whisper").s("to", gone).s("text", "x"));
        Json r = a.next_reply();
        if (r.str("ev") == "whisper_sent") return false;
        check_error_shape(r, "no_such_user", "whisper");
        return true;
      },
      2s);
  EXPECT_TRUE(gone_now) << "whispers to a disconnected user still succeed after 2 s";
  expect_alive(a);
}

// ---- error shape and rid ---------------------------------------------------------

TEST_P(JsonErrors, ErrorsEchoRidAndOp) {
  Client c = Client::connect(port());
  c.send(op("join").s("room", "r").s("rid", "abc"));
  Json e = c.expect_event("error");
  check_error_shape(e, "not_logged_in", "join");
  EXPECT_EQ(e.str("rid"), "abc");
  c.send(op("frobnicate").i("rid", 77));
  Json u = c.expect_event("error");
  check_error_shape(u, "unknown_op", "frobnicate");
  EXPECT_EQ(u.i64("rid"), 77);
  hello(c, uniq("rid"));
  c.send(op("hello").s("user", "x").i("rid", -1));
  Json al = c.expect_event("error");
  check_error_shape(al, "already_logged_in", "hello");
  EXPECT_EQ(al.i64("rid"), -1);
}

// ---- frame_too_large ---------------------------------------------------------------

// A ping frame of exactly `size` bytes (without terminator).
std::string ping_of_size(size_t size) {
  std::string head = R"({"op":"ping","ts":1,"pad":")", tail = "\"}";
  return head + std::string(size - head.size() - tail.size(), 'p') + tail;
}

void expect_frame_too_large_then_close(Client& c) {
  Json e = c.read_json(5s);
  check_error_shape(e, "frame_too_large", "");
  c.expect_closed(5s);
}

TEST_P(JsonErrors, FrameOfExactlyMaxFrameIsAccepted) {
  Client c = json_conn(port());
  c.send_line(ping_of_size(65536));
  EXPECT_EQ(c.expect_event("pong").i64("ts"), 1);
  // The terminator is not part of the frame, "\r" included.
  c.send_raw(ping_of_size(65536) + "\r\n");
  EXPECT_EQ(c.expect_event("pong").i64("ts"), 1);
}

TEST_P(JsonErrors, FrameTooLargeIsReportedThenTheConnectionCloses) {
  Client c = json_conn(port());
  c.send_line(ping_of_size(65537));
  expect_frame_too_large_then_close(c);
}

TEST_P(JsonErrors, FrameTooLargeWithoutANewlineIsNotBufferedForever) {
  Client c = json_conn(port());
  // No terminator ever comes: the server must give up once past the bound.
  c.send_raw("{\"op\":\"ping\",\"pad\":\"" + std::string(70000, 'p'));
  expect_frame_too_large_then_close(c);
}

TEST_P(JsonErrors, FrameTooLargeErrorSurvivesAClientThatKeepsSending) {
  Client c = json_conn(port());
  // Far more than the frame limit, in one go: the server must not reset the
  // connection with our unread bytes in its buffer and lose the error.
  std::string flood = "{\"op\":\"ping\",\"pad\":\"" + std::string(400000, 'p') + "\"}\n";
  std::thread writer([&] { c.try_send_raw(flood, 3s); });
  Json e = c.read_json(5s);
  writer.join();
  check_error_shape(e, "frame_too_large", "");
}

TEST_P(JsonErrors, FrameTooLargeEndsTheSessionAndTheUserLeavesItsRooms) {
  std::string room = uniq("room");
  std::string bn = uniq("big");
  Client a = login(port(), uniq("a")), big = login(port(), bn);
  join(a, room);
  join(big, room);
  a.expect_event("user_joined");
  big.send_line(ping_of_size(65537));
  expect_frame_too_large_then_close(big);
  Json ul = a.expect_event("user_left");
  EXPECT_EQ(ul.str("user"), bn);
  EXPECT_EQ(ul.str("room"), room);
  Client again = login_retry(port(), bn);
}

TEST_P(JsonErrors, FrameTooLargeAsTheFirstFrame) {
  Client c = Client::connect(port());
  c.send_line(ping_of_size(65537));
  expect_frame_too_large_then_close(c);
}

class JsonErrorsMaxFrame : public SharedServerTest {
 protected:
  std::vector<std::string> extra_flags() const override { return {"--max-frame", "1024"}; }
};
INSTANTIATE_TEST_SUITE_P(Backends, JsonErrorsMaxFrame, testing::ValuesIn(backends_x({2})),
                         param_name);

TEST_P(JsonErrorsMaxFrame, MaxFrameFlagSetsTheLimit) {
  Client ok = json_conn(port());
  ok.send_line(ping_of_size(1024));
  EXPECT_EQ(ok.expect_event("pong").i64("ts"), 1);
  Client big = json_conn(port());
  big.send_line(ping_of_size(1025));
  expect_frame_too_large_then_close(big);
  expect_alive(ok);
}

// ---- errors leave the connection open ------------------------------------------------

TEST_P(JsonErrors, ManyErrorsInARowLeaveTheConnectionUsable) {
  Client c = json_conn(port());
  std::string batch;
  for (int i = 0; i < 50; ++i) batch += "{not json}\n{\"op\":\"nope\"}\n{\"op\":\"rooms\"}\n";
  c.send_raw(batch);
  for (int i = 0; i < 50; ++i) {
    check_error_shape(c.read_json(), "bad_json", "");
    check_error_shape(c.read_json(), "unknown_op", "");
    check_error_shape(c.read_json(), "not_logged_in", "rooms");
  }
  std::string name = uniq("after");
  hello(c, name);
  expect_alive(c);
}

// ---- rate_limited ----------------------------------------------------------------

class JsonRateLimit : public SharedServerTest {
 protected:
  std::vector<std::string> extra_flags() const override { return {"--rate-limit", "5"}; }
};
INSTANTIATE_TEST_SUITE_P(Backends, JsonRateLimit, testing::ValuesIn(backends_x({2})), param_name);

// Sends `n` msgs in one write; returns how many were accepted (the rest must
// be rate_limited).
int burst(Client& c, const std::string& room, int n) {
  std::string batch;
  for (int i = 0; i < n; ++i) batch += op("msg").s("room", room).s("text", "b").str() + "\n";
  c.send_raw(batch);
  int accepted = 0;
  for (int i = 0; i < n; ++i) {
    Json r = c.read_json();
    if (r.str("ev") == "msg") {
      ++accepted;
      continue;
    }
    check_error_shape(r, "rate_limited", "msg");
  }
  return accepted;
}

TEST_P(JsonRateLimit, BurstOfTwiceTheRateThenRefusedAndRefusalsSpendNoToken) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a"));
  join(a, room);
  auto t0 = Clock::now();
  int accepted = burst(a, room, 14);
  auto spent = std::chrono::duration<double>(Clock::now() - t0).count();
  // A burst of 2N = 10, plus what refilled while the burst was processed.
  EXPECT_GE(accepted, 10);
  EXPECT_LE(accepted, 10 + int(spent * 5) + 1) << "burst of 14 took " << spent << " s";

  // Many refused frames now: if they spent tokens, none would be left later.
  for (int i = 0; i < 3; ++i) EXPECT_LE(burst(a, room, 10), 1);
  std::this_thread::sleep_for(1100ms);  // ~5.5 tokens come back
  int later = burst(a, room, 8);
  EXPECT_GE(later, 5) << "tokens did not come back after refused frames";
  EXPECT_LE(later, 7);

  // Refused messages take no seq: the accepted ones are numbered without gaps.
  a.send(op("history").s("room", room).i("limit", 1000));
  Json h = a.expect_reply("history");
  const auto& msgs = h.arr("msgs");
  for (size_t i = 0; i < msgs.size(); ++i) EXPECT_EQ(msgs[i].i64("seq"), int64_t(i + 1));
}

TEST_P(JsonRateLimit, TypingAndWhisperShareTheBucketButPingDoesNot) {
  std::string room = uniq("room");
  std::string bn = uniq("b");
  Client a = login(port(), uniq("a")), b = login(port(), bn);
  join(a, room);
  // Pings are free.
  std::string pings;
  for (int i = 0; i < 40; ++i) pings += op("ping").i("ts", i).str() + "\n";
  a.send_raw(pings);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(a.expect_event("pong").i64("ts"), i);

  std::string batch;
  for (int i = 0; i < 5; ++i) batch += op("typing").s("room", room).b("on", true).str() + "\n";
  for (int i = 0; i < 5; ++i) batch += op("whisper").s("to", bn).s("text", "w").str() + "\n";
  a.send_raw(batch);
  for (int i = 0; i < 5; ++i) a.expect_event("whisper_sent");
  // 10 tokens spent (plus at most one refilled): a msg and a whisper are refused.
  std::string more = op("msg").s("room", room).s("text", "x").str() + "\n" +
                     op("whisper").s("to", bn).s("text", "w").str() + "\n" +
                     op("typing").s("room", room).b("on", false).str() + "\n";
  a.send_raw(more);
  int refused = 0;
  for (int i = 0; i < 3; ++i) {
    // typing refused → error; typing accepted → nothing for the sender.
    auto line = a.read_line(i < 2 ? 3000ms : 300ms);
    if (!line) break;
    std::string err;
    auto j = Json::parse(*line, &err);
    ASSERT_TRUE(j) << *line;
    if (j->str("ev") == "error") {
      check_error_shape(*j, "rate_limited", "");
      ++refused;
    }
  }
  EXPECT_GE(refused, 2) << "typing and whisper must draw on the same bucket as msg";
}

TEST_P(JsonRateLimit, SizeIsCheckedBeforeTheRateLimit) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a"));
  join(a, room);
  EXPECT_GE(burst(a, room, 12), 10);
  // Over the limit and too long: too_long wins.
  expect_error(a, op("msg").s("room", room).s("text", std::string(4097, 'x')), "too_long", "msg");
  // Not a member and over the limit: not_in_room wins.
  expect_error(a, op("msg").s("room", uniq("other")).s("text", "x"), "not_in_room", "msg");
}

TEST_P(JsonRateLimit, EachConnectionHasItsOwnBucket) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a")), b = login(port(), uniq("b"));
  join(a, room);
  join(b, room);
  a.expect_event("user_joined");
  std::string batch;
  for (int i = 0; i < 12; ++i) batch += op("msg").s("room", room).s("text", "a").str() + "\n";
  a.send_raw(batch);
  int a_ok = 0;
  for (int i = 0; i < 12; ++i) {
    Json r = a.read_json();
    if (r.str("ev") == "msg") ++a_ok;
  }
  EXPECT_GE(a_ok, 10);
  EXPECT_LE(a_ok, 11);
  // b drained a's messages; its own bucket is full.
  for (int i = 0; i < a_ok; ++i) b.expect_event("msg");
  EXPECT_EQ(burst(b, room, 10), 10);
}

}  // namespace
}  // namespace chatd_it
