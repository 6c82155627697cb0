// Every JSON op of the wire contract (docs/protocol.md, "JSON frames") and its
// replies, against the real chatd on both backends and 1, 2 and 4 shards.
//
// Tests share one server per configuration and stay apart by using unique
// user and room names; tests that need the exact global state start their own.
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <map>
#include <set>
#include <thread>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

constexpr int64_t kTwoPow53 = int64_t(1) << 53;

class JsonOps : public SharedServerTest {};

INSTANTIATE_TEST_SUITE_P(Backends, JsonOps, testing::ValuesIn(backends_x({1, 2, 4})), param_name);

std::vector<std::string> names_of(const Json& users_reply) {
  std::vector<std::string> out;
  for (const Json& u : users_reply.arr("users")) out.push_back(u.as_str());
  return out;
}

bool truncated(const Json& j) { return j.has("truncated") && j.boolean("truncated"); }

// Sends a msg and returns the sender's own echo.
Json say(Client& c, const std::string& room, const std::string& text) {
  c.send(op("msg").s("room", room).s("text", text));
  return c.read_until_ev("msg");
}

// ---- hello / welcome ------------------------------------------------------------

TEST_P(JsonOps, HelloIsAnsweredWithWelcome) {
  Client c = Client::connect(port());
  std::string name = uniq("alice");
  c.send(op("hello").s("user", name));
  Json w = c.expect_event("welcome");
  EXPECT_EQ(w.str("user"), name);
  EXPECT_EQ(w.i64("shards"), shards()) << w;
  EXPECT_GE(w.i64("shard"), 0) << w;
  EXPECT_LT(w.i64("shard"), shards()) << w;
  expect_alive(c);
}

TEST_P(JsonOps, HomeShardIsStableAcrossConnections) {
  std::map<std::string, int64_t> first;
  std::set<int64_t> seen;
  for (int i = 0; i < 24; ++i) {
    std::string name = uniq("stable");
    Json w;
    Client c = login(port(), name, &w);
    first[name] = w.i64("shard");
    seen.insert(w.i64("shard"));
    c.send(op("bye"));
    c.expect_reply("bye");
  }
  for (auto& [name, shard] : first) {
    Json w;
    Client c = login_retry(port(), name, 2s, &w);
    EXPECT_EQ(w.i64("shard"), shard) << name << " moved to another shard on reconnect";
  }
  // A hash modulo the shard count spreads 24 names over more than one shard.
  if (shards() > 1) {
    EXPECT_GE(seen.size(), 2u) << "all 24 names landed on one shard";
  }
}

TEST_P(JsonOps, HomeShardIsStableAcrossRestartsAndBackends) {
  std::vector<std::string> names;
  for (int i = 0; i < 16; ++i) names.push_back("restart_" + std::to_string(i));
  auto shards_on = [&](ChatdProcess& p) {
    std::vector<int64_t> out;
    for (auto& n : names) {
      Json w;
      Client c = login(p.port(), n, &w);
      out.push_back(w.i64("shard"));
    }
    return out;
  };
  auto a = fresh_server();
  auto first = shards_on(*a);
  a.reset();
  auto b = fresh_server();
  EXPECT_EQ(shards_on(*b), first) << "home shards changed after a restart";
  b.reset();
  std::string other = GetParam().backend == "uring" ? "epoll" : "uring";
  auto c = ChatdProcess::start(other, shards());
  EXPECT_EQ(shards_on(*c), first) << "home shards differ between backends of one build";
}

// ---- join / joined / user_joined -----------------------------------------------

TEST_P(JsonOps, JoinRepliesJoinedAndTellsOtherMembers) {
  std::string room = uniq("room");
  std::string an = uniq("a"), bn = uniq("b");
  Client a = login(port(), an), b = login(port(), bn);

  Json ja = join(a, room);
  EXPECT_EQ(ja.i64("members"), 1) << ja;
  EXPECT_EQ(ja.i64("seq"), 0) << ja;
  int64_t epoch = ja.i64("epoch");
  EXPECT_GE(epoch, 0) << ja;
  EXPECT_LT(epoch, kTwoPow53) << ja;

  Json jb = join(b, room);
  EXPECT_EQ(jb.i64("members"), 2) << jb;
  EXPECT_EQ(jb.i64("seq"), 0) << jb;
  EXPECT_EQ(jb.i64("epoch"), epoch) << "one room, two epochs: " << ja << " vs " << jb;

  Json uj = a.expect_event("user_joined");
  EXPECT_EQ(uj.str("room"), room);
  EXPECT_EQ(uj.str("user"), bn);
  EXPECT_FALSE(uj.has("rid")) << uj;
  // The joiner is not told about itself.
  b.expect_silence(150ms);
  a.expect_silence(50ms);
}

TEST_P(JsonOps, JoinedSeqIsTheRoomsLastSeq) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a")), b = login(port(), uniq("b"));
  join(a, room);
  for (int i = 0; i < 3; ++i) say(a, room, "m" + std::to_string(i));
  Json jb = join(b, room);
  EXPECT_EQ(jb.i64("seq"), 3) << jb;
  EXPECT_EQ(jb.i64("members"), 2) << jb;
}

TEST_P(JsonOps, JoiningAgainRepliesJoinedWithoutASecondUserJoined) {
  std::string room = uniq("room");
  std::string bn = uniq("b");
  Client a = login(port(), uniq("a")), b = login(port(), bn);
  Json first = join(a, room);
  join(b, room);
  a.expect_event("user_joined");

  Json again = join(b, room);
  EXPECT_EQ(again.i64("members"), 2) << again;
  EXPECT_EQ(again.i64("epoch"), first.i64("epoch")) << again;
  EXPECT_EQ(again.i64("seq"), 0) << again;

  // A marker sent after the re-join: a must see it with no user_joined before.
  b.send(op("msg").s("room", room).s("text", "marker"));
  Json m = a.expect_event("msg");
  EXPECT_EQ(m.str("text"), "marker");
  EXPECT_EQ(m.str("from"), bn);
  b.expect_event("msg");
  a.expect_silence(100ms);
}

// ---- leave / left / user_left --------------------------------------------------

TEST_P(JsonOps, LeaveRepliesLeftAndTellsOtherMembers) {
  std::string room = uniq("room");
  std::string bn = uniq("b");
  Client a = login(port(), uniq("a")), b = login(port(), bn);
  join(a, room);
  join(b, room);
  a.expect_event("user_joined");

  b.send(op("leave").s("room", room));
  Json left = b.expect_event("left");
  EXPECT_EQ(left.str("room"), room);

  Json ul = a.expect_event("user_left");
  EXPECT_EQ(ul.str("room"), room);
  EXPECT_EQ(ul.str("user"), bn);
  EXPECT_FALSE(ul.has("rid")) << ul;

  // b is out: it gets nothing from the room and may not speak in it.
  a.send(op("msg").s("room", room).s("text", "after"));
  a.expect_event("msg");
  expect_error(b, op("msg").s("room", room).s("text", "x"), "not_in_room", "msg");
  expect_error(b, op("leave").s("room", room), "not_in_room", "leave");

  Client c = login(port(), uniq("c"));
  Json jc = join(c, room);
  EXPECT_EQ(jc.i64("members"), 2) << "members after one of two left and one joined: " << jc;
  EXPECT_EQ(jc.i64("seq"), 1) << jc;
}

// ---- msg -------------------------------------------------------------------------

TEST_P(JsonOps, MsgReachesEveryMemberIncludingTheSender) {
  std::string room = uniq("room");
  std::string an = uniq("a");
  Client a = login(port(), an), b = login(port(), uniq("b")), c = login(port(), uniq("c"));
  Client outsider = login(port(), uniq("out"));
  join(a, room);
  join(b, room);
  join(c, room);
  a.expect_event("user_joined");
  a.expect_event("user_joined");
  b.expect_event("user_joined");

  struct Case {
    Obj req;
    int64_t seq;
    std::optional<std::string> id;
    std::optional<int64_t> ts;
  };
  std::vector<Case> cases = {
      {op("msg").s("room", room).s("text", "hi"), 1, {}, {}},
      {op("msg").s("room", room).s("text", "with both").s("id", "c1").i("ts", 123), 2, "c1",
       123},
      {op("msg").s("room", room).s("text", "id only").s("id", "c2"), 3, "c2", {}},
      {op("msg").s("room", room).s("text", "ts only").i("ts", -7), 4, {}, -7},
  };
  for (auto& k : cases) {
    a.send(k.req);
    for (Client* m : {&a, &b, &c}) {
      Json e = m->expect_event("msg");
      SCOPED_TRACE(m->label() + " got " + e.raw());
      EXPECT_EQ(e.str("room"), room);
      EXPECT_EQ(e.str("from"), an);
      EXPECT_EQ(e.i64("seq"), k.seq);
      EXPECT_FALSE(e.has("rid"));
      if (k.id) {
        EXPECT_EQ(e.str("id"), *k.id);
      } else {
        EXPECT_FALSE(e.has("id"));
      }
      if (k.ts) {
        EXPECT_EQ(e.i64("ts"), *k.ts);
      } else {
        EXPECT_FALSE(e.has("ts"));
      }
    }
  }
  outsider.expect_silence(150ms);
}

TEST_P(JsonOps, MsgTextRoundTripsExactly) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a")), b = login(port(), uniq("b"));
  join(a, room);
  join(b, room);
  a.expect_event("user_joined");

  const std::vector<std::string> texts = {
      "plain",
      "",
      "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80",
      "quote \" backslash \\ slash / newline \n tab \t cr \r ctrl \x01 del \x7f",
      "\xe2\x80\xa8 line separator and {\"op\":\"msg\"} inside",
      std::string(4096, 'x'),
  };
  for (auto& t : texts) {
    a.send(op("msg").s("room", room).s("text", t));
    Json ea = a.expect_event("msg"), eb = b.expect_event("msg");
    EXPECT_EQ(ea.str("text"), t) << "text of " << t.size() << " bytes was altered";
    EXPECT_EQ(eb.str("text"), t) << "text of " << t.size() << " bytes was altered";
  }
  // \u escapes (a surrogate pair included) are decoded before delivery.
  a.send_line(R"({"op":"msg","room":)" + quote(room) +
              R"(,"text":"\u00e9\ud83d\ude00\u0041\/"})");
  EXPECT_EQ(a.expect_event("msg").str("text"), "\xc3\xa9\xf0\x9f\x98\x80" "A/");
  EXPECT_EQ(b.expect_event("msg").str("text"), "\xc3\xa9\xf0\x9f\x98\x80" "A/");
}

TEST_P(JsonOps, TsIsASigned64BitIntegerEchoedExactly) {
  std::string room = uniq("room");
  std::string bn = uniq("b");
  Client a = login(port(), uniq("a")), b = login(port(), bn);
  join(a, room);
  for (int64_t ts : {INT64_MIN, int64_t(-1), int64_t(0), INT64_MAX, kTwoPow53 + 1}) {
    a.send(op("ping").i("ts", ts));
    EXPECT_EQ(a.expect_event("pong").i64("ts"), ts);
    a.send(op("msg").s("room", room).s("text", "t").i("ts", ts));
    EXPECT_EQ(a.expect_event("msg").i64("ts"), ts);
    a.send(op("whisper").s("to", bn).s("text", "t").i("ts", ts));
    a.expect_event("whisper_sent");
    EXPECT_EQ(b.expect_event("whisper").i64("ts"), ts);
  }
}

TEST_P(JsonOps, IdOf64BytesIsEchoed) {
  std::string room = uniq("room");
  std::string bn = uniq("b");
  Client a = login(port(), uniq("a")), b = login(port(), bn);
  join(a, room);
  std::string id(64, 'i');
  a.send(op("msg").s("room", room).s("text", "x").s("id", id));
  EXPECT_EQ(a.expect_event("msg").str("id"), id);
  a.send(op("whisper").s("to", bn).s("text", "x").s("id", id));
  EXPECT_EQ(a.expect_event("whisper_sent").str("id"), id);
  EXPECT_EQ(b.expect_event("whisper").str("id"), id);
}

TEST_P(JsonOps, EachRoomHasItsOwnSeq) {
  std::string r1 = uniq("r1"), r2 = uniq("r2");
  Client a = login(port(), uniq("a"));
  join(a, r1);
  join(a, r2);
  EXPECT_EQ(say(a, r1, "x").i64("seq"), 1);
  EXPECT_EQ(say(a, r1, "x").i64("seq"), 2);
  EXPECT_EQ(say(a, r2, "x").i64("seq"), 1);
  EXPECT_EQ(say(a, r1, "x").i64("seq"), 3);
  EXPECT_EQ(say(a, r2, "x").i64("seq"), 2);
}

// ---- whisper ---------------------------------------------------------------------

TEST_P(JsonOps, WhisperReachesTheUserAndConfirmsToTheSender) {
  std::string an = uniq("a");
  Client a = login(port(), an);
  // Several targets so that, with shards > 1, some live on other shards.
  for (int i = 0; i < 4; ++i) {
    std::string bn = uniq("b");
    Client b = login(port(), bn);

    a.send(op("whisper").s("to", bn).s("text", "psst").s("id", "w1").i("ts", 5));
    Json sent = a.expect_event("whisper_sent");
    EXPECT_EQ(sent.str("to"), bn);
    EXPECT_EQ(sent.str("id"), "w1");
    EXPECT_FALSE(sent.has("ts")) << "whisper_sent carries only to (+ id): " << sent;
    Json got = b.expect_event("whisper");
    EXPECT_EQ(got.str("from"), an);
    EXPECT_EQ(got.str("text"), "psst");
    EXPECT_EQ(got.str("id"), "w1");
    EXPECT_EQ(got.i64("ts"), 5);
    EXPECT_FALSE(got.has("rid"));

    a.send(op("whisper").s("to", bn).s("text", "plain"));
    Json sent2 = a.expect_event("whisper_sent");
    EXPECT_EQ(sent2.str("to"), bn);
    EXPECT_FALSE(sent2.has("id")) << sent2;
    Json got2 = b.expect_event("whisper");
    EXPECT_EQ(got2.str("text"), "plain");
    EXPECT_FALSE(got2.has("id")) << got2;
    EXPECT_FALSE(got2.has("ts")) << got2;
    a.expect_silence(20ms);
  }
}

// ---- users -----------------------------------------------------------------------

TEST_P(JsonOps, UsersOfARoomAreSortedInByteOrder) {
  std::string room = uniq("room");
  std::string base = uniq("u");
  // '-' < '.' < digits < upper case < '_' < lower case, in byte order.
  std::vector<std::string> names = {base + "b", base + "B", base + "_", base + "a", base + "-",
                                    base + ".", base + "9", base + "Z"};
  std::vector<Client> clients;
  for (auto& n : names) {
    clients.push_back(login(port(), n));
    join(clients.back(), room);
  }
  Client& a = clients.front();
  a.send(op("users").s("room", room));
  Json u = a.expect_reply("users");
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(names_of(u), sorted) << u;
  EXPECT_EQ(u.i64("count"), int64_t(names.size())) << u;
  EXPECT_EQ(u.str("room"), room) << u;
  EXPECT_FALSE(truncated(u)) << u;
}

TEST_P(JsonOps, UsersWithoutRoomListsEveryoneOnline) {
  std::vector<std::string> names = {uniq("g"), uniq("G"), uniq("g")};
  std::vector<Client> clients;
  for (auto& n : names) clients.push_back(login(port(), n));
  clients[0].send(op("users"));
  Json u = clients[0].expect_reply("users");
  auto listed = names_of(u);
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end())) << u;
  EXPECT_EQ(std::adjacent_find(listed.begin(), listed.end()), listed.end()) << "duplicates: " << u;
  for (auto& n : names)
    EXPECT_NE(std::find(listed.begin(), listed.end(), n), listed.end()) << n << " missing: " << u;
  EXPECT_FALSE(u.has("room")) << u;
  if (!truncated(u)) {
    EXPECT_EQ(u.i64("count"), int64_t(listed.size())) << u;
  }
}

TEST_P(JsonOps, UsersIsExactOnAQuietServer) {
  auto s = fresh_server();
  Client a = login(s->port(), "zed"), b = login(s->port(), "Amy"), c = login(s->port(), "bob");
  Client anon = Client::connect(s->port());  // JSON mode but not logged in
  anon.send(op("ping").i("ts", 1));
  anon.expect_event("pong");
  a.send(op("users"));
  Json u = a.expect_reply("users");
  EXPECT_EQ(names_of(u), (std::vector<std::string>{"Amy", "bob", "zed"})) << u;
  EXPECT_EQ(u.i64("count"), 3) << u;
  EXPECT_FALSE(truncated(u)) << u;

  c.close();
  bool gone = eventually(
      [&] {
        a.send(op("users"));
        return a.expect_reply("users").i64("count") == 2;
      },
      2s);
  EXPECT_TRUE(gone) << "a closed connection still counted in users after 2 s";
  a.send(op("users"));
  EXPECT_EQ(names_of(a.expect_reply("users")), (std::vector<std::string>{"Amy", "zed"}));
}

// ---- rooms -----------------------------------------------------------------------

TEST_P(JsonOps, RoomsListsOnlyRoomsWithMembersSortedByName) {
  auto s = fresh_server();
  Client a = login(s->port(), "a"), b = login(s->port(), "b"), c = login(s->port(), "c");
  auto rooms = [&] {
    a.send(op("rooms"));
    Json r = a.expect_reply("rooms");
    std::vector<std::pair<std::string, int64_t>> out;
    for (const Json& e : r.arr("rooms")) out.emplace_back(e.str("room"), e.i64("members"));
    return out;
  };
  using Rooms = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(rooms(), Rooms{}) << "a fresh server has no rooms";

  join(a, "beta");
  join(b, "alpha");
  join(b, "beta");
  join(c, "Zed");
  join(c, "_x");
  EXPECT_EQ(rooms(), (Rooms{{"Zed", 1}, {"_x", 1}, {"alpha", 1}, {"beta", 2}}));

  a.send(op("leave").s("room", "beta"));
  a.expect_reply("left");
  c.send(op("leave").s("room", "Zed"));
  c.expect_reply("left");
  EXPECT_EQ(rooms(), (Rooms{{"_x", 1}, {"alpha", 1}, {"beta", 1}}));

  c.close();  // its last room goes with it
  Rooms after;
  bool dropped = eventually(
      [&] {
        after = rooms();
        return after == Rooms{{"alpha", 1}, {"beta", 1}};
      },
      2s);
  EXPECT_TRUE(dropped) << "after the last member disconnected, rooms is still "
                       << testing::PrintToString(after);
}

// ---- history ---------------------------------------------------------------------

std::vector<int64_t> seqs_of(const Json& history) {
  std::vector<int64_t> out;
  for (const Json& m : history.arr("msgs")) out.push_back(m.i64("seq"));
  return out;
}

std::vector<int64_t> range(int64_t from, int64_t to) {  // inclusive
  std::vector<int64_t> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

Json history(Client& c, const std::string& room, std::optional<int64_t> since,
             std::optional<int64_t> limit) {
  Obj req = op("history").s("room", room);
  if (since) req.i("since", *since);
  if (limit) req.i("limit", *limit);
  c.send(req);
  Json h = c.expect_reply("history");
  if (h.str("room") != room) throw HarnessError("history names another room: " + h.raw());
  return h;
}

TEST_P(JsonOps, HistoryReturnsStoredMessagesOldestFirst) {
  std::string room = uniq("room");
  std::string an = uniq("a");
  Client a = login(port(), an);
  join(a, room);
  std::vector<Json> sent;
  for (int i = 1; i <= 5; ++i) {
    Obj req = op("msg").s("room", room).s("text", "m" + std::to_string(i));
    if (i % 2) req.s("id", "id" + std::to_string(i));
    if (i == 4) req.i("ts", 44);
    a.send(req);
    sent.push_back(a.expect_event("msg"));
  }
  Json all = history(a, room, {}, {});
  ASSERT_EQ(seqs_of(all), range(1, 5)) << all;
  for (size_t i = 0; i < 5; ++i) {
    const Json& m = all.arr("msgs")[i];
    SCOPED_TRACE(m.dump());
    EXPECT_EQ(m.str("ev"), "msg");
    EXPECT_EQ(m.str("room"), room);
    EXPECT_EQ(m.str("from"), an);
    EXPECT_EQ(m.str("text"), sent[i].str("text"));
    EXPECT_EQ(m.has("id"), sent[i].has("id"));
    if (m.has("id")) {
      EXPECT_EQ(m.str("id"), sent[i].str("id"));
    }
    EXPECT_EQ(m.has("ts"), sent[i].has("ts"));
    if (m.has("ts")) {
      EXPECT_EQ(m.i64("ts"), 44);
    }
    EXPECT_FALSE(m.has("rid"));
  }
  EXPECT_EQ(seqs_of(history(a, room, 2, {})), range(3, 5));
  EXPECT_EQ(seqs_of(history(a, room, {}, 2)), range(1, 2));
  EXPECT_EQ(seqs_of(history(a, room, 2, 2)), range(3, 4));
  EXPECT_EQ(seqs_of(history(a, room, 5, {})), std::vector<int64_t>{});
  EXPECT_EQ(seqs_of(history(a, room, 500, 10)), std::vector<int64_t>{});
  EXPECT_EQ(seqs_of(history(a, room, 0, 1)), range(1, 1));
}

TEST_P(JsonOps, HistoryDefaultLimitIs100AndLargerLimitsAreCutTo1000) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a"));
  join(a, room);
  const int kSent = 1100;
  std::string batch;
  for (int i = 1; i <= kSent; ++i)
    batch += op("msg").s("room", room).s("text", "n" + std::to_string(i)).str() + "\n";
  a.send_raw(batch);
  for (int i = 1; i <= kSent; ++i) ASSERT_EQ(a.expect_event("msg").i64("seq"), i);

  // The server keeps at least the last 1000: seqs 101..1100 are all stored.
  Json d = history(a, room, {}, {});
  auto ds = seqs_of(d);
  ASSERT_EQ(ds.size(), 100u) << "default limit must be 100";
  EXPECT_EQ(ds, range(ds.front(), ds.front() + 99)) << "not consecutive oldest-first";
  EXPECT_LE(ds.front(), 101) << "the oldest stored message is missing";

  EXPECT_EQ(seqs_of(history(a, room, 100, {})), range(101, 200));
  EXPECT_EQ(seqs_of(history(a, room, 100, 5000)), range(101, 1100));
  EXPECT_EQ(seqs_of(history(a, room, 100, 1000)), range(101, 1100));
  auto capped = seqs_of(history(a, room, 0, 5000));
  ASSERT_EQ(capped.size(), 1000u) << "a limit above 1000 must be cut to 1000";
  EXPECT_EQ(capped, range(capped.front(), capped.front() + 999));
  EXPECT_EQ(seqs_of(history(a, room, 1090, 5000)), range(1091, 1100));
}

TEST_P(JsonOps, HistoryFlagKeepsMoreThanTheDefault) {
  auto s = fresh_server({"--history", "1200"});
  Client a = login(s->port(), "a");
  join(a, "r");
  std::string batch;
  for (int i = 1; i <= 1300; ++i) batch += op("msg").s("room", "r").s("text", "x").str() + "\n";
  a.send_raw(batch);
  for (int i = 1; i <= 1300; ++i) ASSERT_EQ(a.expect_event("msg").i64("seq"), i);
  // --history 1200 keeps 101..1300 at least; one reply is still cut to 1000.
  EXPECT_EQ(seqs_of(history(a, "r", 100, 1000)), range(101, 1100));
  EXPECT_EQ(seqs_of(history(a, "r", 1100, 1000)), range(1101, 1300));
}

TEST_P(JsonOps, HistoryIsForMembersOnly) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a")), b = login(port(), uniq("b"));
  join(a, room);
  say(a, room, "secret");
  expect_error(b, op("history").s("room", room), "not_in_room", "history");
}

// ---- typing ----------------------------------------------------------------------

TEST_P(JsonOps, TypingGoesToEveryOtherMemberButNotTheSender) {
  std::string room = uniq("room");
  std::string an = uniq("a");
  Client a = login(port(), an), b = login(port(), uniq("b")), c = login(port(), uniq("c"));
  join(a, room);
  join(b, room);
  join(c, room);
  a.expect_event("user_joined");
  a.expect_event("user_joined");
  b.expect_event("user_joined");

  for (bool on : {true, false}) {
    a.send(op("typing").s("room", room).b("on", on));
    for (Client* m : {&b, &c}) {
      Json t = m->expect_event("typing");
      EXPECT_EQ(t.str("room"), room);
      EXPECT_EQ(t.str("user"), an);
      EXPECT_EQ(t.boolean("on"), on);
      EXPECT_FALSE(t.has("seq")) << t;
      EXPECT_FALSE(t.has("rid")) << t;
    }
    // b speaks after seeing the typing event; a's next event must be that msg.
    b.send(op("msg").s("room", room).s("text", "marker"));
    EXPECT_EQ(a.expect_event("msg").str("text"), "marker") << "the sender got its own typing";
    b.expect_event("msg");
    c.expect_event("msg");
  }
  // typing takes no seq: the next msg follows the two markers.
  EXPECT_EQ(say(a, room, "x").i64("seq"), 3);
}

// ---- ping / bye ------------------------------------------------------------------

TEST_P(JsonOps, PingIsAnsweredWithPongBeforeAndAfterHello) {
  Client c = Client::connect(port());
  c.send(op("ping").i("ts", 123));
  Json p = c.expect_event("pong");
  EXPECT_EQ(p.i64("ts"), 123);
  hello(c, uniq("p"));
  c.send(op("ping").i("ts", 456));
  EXPECT_EQ(c.expect_event("pong").i64("ts"), 456);
}

TEST_P(JsonOps, ByeBeforeHelloRepliesAndCloses) {
  Client c = Client::connect(port());
  c.send(op("bye"));
  c.expect_event("bye");
  c.expect_closed();
}

TEST_P(JsonOps, ByeRepliesClosesAndFreesTheName) {
  std::string room = uniq("room");
  std::string an = uniq("a");
  Client a = login(port(), an), b = login(port(), uniq("b"));
  join(a, room);
  join(b, room);
  a.expect_event("user_joined");

  a.send(op("bye").i("rid", 9));
  Json bye = a.expect_event("bye");
  EXPECT_EQ(bye.i64("rid"), 9);
  a.expect_closed();

  Json ul = b.expect_event("user_left");
  EXPECT_EQ(ul.str("user"), an);
  EXPECT_EQ(ul.str("room"), room);
  Client again = login_retry(port(), an);
  expect_alive(again);
}

// ---- rid -------------------------------------------------------------------------

struct RidCase {
  const char* name;
  std::string json;  // the rid as JSON text
};

void expect_rid(const Json& reply, const RidCase& rid) {
  ASSERT_TRUE(reply.has("rid")) << "direct reply without the request's rid " << rid.json << ": "
                                << reply;
  EXPECT_EQ(reply.at("rid").dump(), rid.json) << reply;
}

TEST_P(JsonOps, RidIsEchoedOnEveryDirectReplyAndNeverOnBroadcasts) {
  for (const RidCase& rid : {RidCase{"string", "\"r-17\""}, RidCase{"integer", "42"},
                             RidCase{"negative", "-3"}}) {
    SCOPED_TRACE(std::string("rid ") + rid.name);
    std::string room = uniq("room");
    std::string an = uniq("a"), bn = uniq("b");
    Client a = Client::connect(port(), {.label = an});
    Client b = login(port(), bn);
    join(b, room);

    a.send(op("hello").s("user", an).raw("rid", rid.json));
    expect_rid(a.expect_event("welcome"), rid);
    a.send(op("join").s("room", room).raw("rid", rid.json));
    expect_rid(a.expect_event("joined"), rid);
    Json uj = b.expect_event("user_joined");
    EXPECT_FALSE(uj.has("rid")) << uj;

    a.send(op("msg").s("room", room).s("text", "x").raw("rid", rid.json));
    Json own = a.expect_event("msg"), other = b.expect_event("msg");
    EXPECT_FALSE(own.has("rid")) << "msg is a broadcast, even to its sender: " << own;
    EXPECT_FALSE(other.has("rid")) << other;

    a.send(op("typing").s("room", room).b("on", true).raw("rid", rid.json));
    Json ty = b.expect_event("typing");
    EXPECT_FALSE(ty.has("rid")) << ty;

    a.send(op("whisper").s("to", bn).s("text", "w").raw("rid", rid.json));
    expect_rid(a.expect_event("whisper_sent"), rid);
    Json wh = b.expect_event("whisper");
    EXPECT_FALSE(wh.has("rid")) << wh;

    a.send(op("users").raw("rid", rid.json));
    expect_rid(a.expect_event("users"), rid);
    a.send(op("users").s("room", room).raw("rid", rid.json));
    expect_rid(a.expect_event("users"), rid);
    a.send(op("rooms").raw("rid", rid.json));
    expect_rid(a.expect_event("rooms"), rid);
    a.send(op("history").s("room", room).raw("rid", rid.json));
    expect_rid(a.expect_event("history"), rid);
    a.send(op("ping").i("ts", 1).raw("rid", rid.json));
    expect_rid(a.expect_event("pong"), rid);
    a.send(op("leave").s("room", room).raw("rid", rid.json));
    expect_rid(a.expect_event("left"), rid);
    Json ul = b.expect_event("user_left");
    EXPECT_FALSE(ul.has("rid")) << ul;
    a.send(op("leave").s("room", room).raw("rid", rid.json));
    Json err = a.expect_event("error");
    check_error_shape(err, "not_in_room", "leave");
    expect_rid(err, rid);
    a.send(op("bye").raw("rid", rid.json));
    expect_rid(a.expect_event("bye"), rid);
    a.expect_closed();
  }
}

// ---- room lifecycle and disconnects -------------------------------------------------

TEST_P(JsonOps, ARoomEmptiedByLeaveStartsAfreshWithANewEpoch) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a")), watcher = login(port(), uniq("w"));
  int64_t e1 = join(a, room).i64("epoch");
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(say(a, room, "old").i64("seq"), i);
  a.send(op("leave").s("room", room));
  a.expect_reply("left");

  watcher.send(op("rooms"));
  Json listed = watcher.expect_reply("rooms");
  for (const Json& r : listed.arr("rooms"))
    EXPECT_NE(r.str("room"), room) << "an empty room is still listed";

  Json again = join(a, room);
  EXPECT_EQ(again.i64("members"), 1) << again;
  EXPECT_EQ(again.i64("seq"), 0) << again;
  EXPECT_NE(again.i64("epoch"), e1) << "a re-created room must get a new epoch";
  EXPECT_LT(again.i64("epoch"), kTwoPow53);
  EXPECT_EQ(say(a, room, "new").i64("seq"), 1);
  Json h = history(a, room, {}, {});
  ASSERT_EQ(seqs_of(h), range(1, 1)) << "history of the old room survived: " << h;
  EXPECT_EQ(h.arr("msgs")[0].str("text"), "new");
}

TEST_P(JsonOps, ARoomEmptiedByDisconnectIsDropped) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a")), b = login(port(), uniq("b"));
  int64_t e1 = join(a, room).i64("epoch");
  say(a, room, "x");
  say(a, room, "y");
  a.close();
  bool dropped = eventually(
      [&] {
        b.send(op("rooms"));
        Json listed = b.expect_reply("rooms");
        for (const Json& r : listed.arr("rooms"))
          if (r.str("room") == room) return false;
        return true;
      },
      2s);
  EXPECT_TRUE(dropped) << "room still listed 2 s after its last member disconnected";
  Json j = join(b, room);
  EXPECT_EQ(j.i64("seq"), 0) << j;
  EXPECT_EQ(j.i64("members"), 1) << j;
  EXPECT_NE(j.i64("epoch"), e1) << j;
}

TEST_P(JsonOps, DisconnectSendsUserLeftForEveryRoomAndFreesTheName) {
  std::string r1 = uniq("r1"), r2 = uniq("r2");
  std::string bn = uniq("b");
  Client a = login(port(), uniq("a")), b = login(port(), bn);
  for (auto& r : {r1, r2}) {
    join(a, r);
    join(b, r);
    a.expect_event("user_joined");
  }
  b.close();  // no bye
  std::set<std::string> left_rooms;
  for (int i = 0; i < 2; ++i) {
    Json ul = a.expect_event("user_left");
    EXPECT_EQ(ul.str("user"), bn);
    left_rooms.insert(ul.str("room"));
  }
  EXPECT_EQ(left_rooms, (std::set<std::string>{r1, r2}));
  a.send(op("users").s("room", r1));
  Json u = a.expect_reply("users");
  EXPECT_EQ(u.i64("count"), 1) << u;

  Client again = login_retry(port(), bn);
  Json j = join(again, r1);
  EXPECT_EQ(j.i64("members"), 2) << j;
}

// ---- ordering of one connection's replies, framing ----------------------------------

TEST_P(JsonOps, RepliesComeInTheOrderRequestsWereSent) {
  std::string an = uniq("a"), bn = uniq("b");
  Client a = login(port(), an), b = login(port(), bn);
  std::string batch;
  std::vector<std::string> expected;  // ev of each direct reply, rid = index
  auto add = [&](Obj req, const char* ev) {
    req.i("rid", int64_t(expected.size()));
    batch += req.str() + "\n";
    expected.push_back(ev);
  };
  std::vector<std::string> rooms;
  for (int round = 0; round < 5; ++round) {
    std::string r1 = uniq("o1"), r2 = uniq("o2");
    rooms.push_back(r1);
    add(op("join").s("room", r1), "joined");
    add(op("ping").i("ts", round), "pong");
    add(op("users").s("room", r1), "users");
    add(op("join").s("room", r2), "joined");
    add(op("rooms"), "rooms");
    batch += op("msg").s("room", r1).s("text", "t").str() + "\n";  // broadcast only
    add(op("history").s("room", r1), "history");
    add(op("whisper").s("to", bn).s("text", "w"), "whisper_sent");
    add(op("leave").s("room", r2), "left");
    add(op("ping").i("ts", round), "pong");
    add(op("leave").s("room", r1), "left");
    add(op("history").s("room", r1), "error");  // no longer a member
    add(op("users"), "users");
  }
  a.send_raw(batch);
  for (size_t i = 0; i < expected.size(); ++i) {
    Json r = a.next_reply(5s);
    ASSERT_EQ(r.str("ev"), expected[i]) << "reply " << i << " out of order: " << r;
    ASSERT_EQ(r.i64("rid"), int64_t(i)) << r;
    if (expected[i] == "history" && r.has("msgs")) {
      EXPECT_EQ(r.arr("msgs").size(), 1u) << "history must see the msg sent before it: " << r;
    }
    if (expected[i] == "users" && r.has("room")) {
      EXPECT_EQ(names_of(r), std::vector<std::string>{an}) << r;
    }
  }
}

TEST_P(JsonOps, FramesMayBeSplitBatchedAndEndWithCrLf) {
  std::string room = uniq("room");
  Client a = login(port(), uniq("a"));
  join(a, room);

  a.send_raw("{\"op\":\"ping\",\"ts\":1}\r\n");
  EXPECT_EQ(a.expect_event("pong").i64("ts"), 1);

  std::string frame = op("ping").i("ts", 2).str() + "\n";
  for (char ch : frame) {
    a.send_raw(std::string_view(&ch, 1));
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(a.expect_event("pong").i64("ts"), 2);

  // A frame cut inside a multi-byte UTF-8 character.
  std::string m = op("msg").s("room", room).s("text", "\xc3\xa9t\xc3\xa9").str() + "\n";
  auto cut = m.find('\xc3') + 1;
  a.send_raw(m.substr(0, cut));
  std::this_thread::sleep_for(20ms);
  a.send_raw(m.substr(cut));
  EXPECT_EQ(a.expect_event("msg").str("text"), "\xc3\xa9t\xc3\xa9");

  std::string many;
  for (int i = 0; i < 200; ++i) many += op("ping").i("ts", i).str() + (i % 2 ? "\r\n" : "\n");
  a.send_raw(many);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(a.expect_event("pong").i64("ts"), i);
}

TEST_P(JsonOps, UnknownKeysAndTokenAreIgnored) {
  Client c = Client::connect(port());
  std::string name = uniq("k");
  c.send(op("hello").s("user", name).s("token", "whatever").raw("extra", R"([1,{"y":null}])"));
  EXPECT_EQ(c.expect_event("welcome").str("user"), name);
  c.send(op("ping").i("ts", 5).raw("zzz", "true"));
  EXPECT_EQ(c.expect_event("pong").i64("ts"), 5);
}

// ---- users truncation (slow: 1001 connections on one server) ------------------------

class JsonUsersTruncation : public SharedServerTest {
 protected:
  std::vector<std::string> extra_flags() const override { return {"--max-conns", "4096"}; }
};

INSTANTIATE_TEST_SUITE_P(Backends, JsonUsersTruncation, testing::ValuesIn(backends_x({4})),
                         param_name);

TEST_P(JsonUsersTruncation, UsersStopsAt1000NamesWithAnExactCount) {
  auto s = fresh_server();
  const int kUsers = 1001;
  std::vector<std::string> names;
  std::vector<Client> clients;
  for (int i = 0; i < kUsers; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "t%04d", (i * 7919) % kUsers);  // joined out of order
    names.push_back(buf);
    clients.push_back(Client::connect(s->port(), {.label = buf}));
    clients.back().send(op("hello").s("user", buf));
  }
  for (int i = 0; i < kUsers; ++i) {
    Json w = clients[i].expect_event("welcome", 10s);
    ASSERT_EQ(w.str("user"), names[i]);
  }
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> first1000(sorted.begin(), sorted.begin() + 1000);

  clients[0].send(op("users"));
  Json u = clients[0].expect_reply("users");
  EXPECT_EQ(u.i64("count"), kUsers);
  EXPECT_TRUE(truncated(u)) << "truncated:true missing with 1001 users";
  EXPECT_EQ(names_of(u), first1000);

  for (auto& c : clients) c.send(op("join").s("room", "big"));
  for (auto& c : clients) c.expect_reply("joined", 10s);
  clients[0].send(op("users").s("room", "big"));
  Json ur = clients[0].expect_reply("users", 10s);
  EXPECT_EQ(ur.i64("count"), kUsers);
  EXPECT_TRUE(truncated(ur));
  EXPECT_EQ(names_of(ur), first1000);
  EXPECT_EQ(ur.str("room"), "big");

  // Exactly 1000 is not truncated.
  auto last = std::find(names.begin(), names.end(), sorted.back()) - names.begin();
  clients[last].send(op("leave").s("room", "big"));
  clients[last].expect_reply("left", 10s);
  clients[0].send(op("users").s("room", "big"));
  Json u1000 = clients[0].expect_reply("users", 10s);
  EXPECT_EQ(u1000.i64("count"), 1000);
  EXPECT_FALSE(truncated(u1000)) << "1000 members is not truncated";
  EXPECT_EQ(names_of(u1000), first1000);
}

// A client that resets mid-frame, or one that vanishes with a half-sent frame,
// costs nothing but its own state: its user leaves, its name is free, and the
// server keeps serving everyone else.
TEST_P(JsonOps, ResetMidFrameCostsOnlyItsOwnState) {
  std::string room = uniq("rst"), name = uniq("rst");
  Client watcher = login(port(), uniq("w"));
  join(watcher, room);
  {
    Client victim = login(port(), name);
    join(victim, room);
    watcher.expect_event("user_joined");
    victim.send_raw(R"({"op":"msg","room":")" + room + R"(","text":"never fini)");
    linger l{1, 0};  // close with SO_LINGER 0: the kernel sends RST
    ASSERT_EQ(setsockopt(victim.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
    victim.close();
  }
  Json left = watcher.expect_event("user_left");
  EXPECT_EQ(left.str("user"), name) << left;
  Client again = login_retry(port(), name);  // the name is free again
  {
    Client half = login(port(), uniq("half"));
    half.send_raw(std::string(40000, 'x'));  // a large unfinished frame, then gone
    half.close();
  }
  watcher.send(op("msg").s("room", room).s("text", "still here"));
  Json m = watcher.expect_event("msg");
  EXPECT_EQ(m.str("text"), "still here");
  expect_alive(again);
}

}  // namespace
}  // namespace chatd_it
