// Recovery on join (docs/protocol.md, "Recovery on join"): a client that lost its
// connection rejoins with the last seq it saw and the room's epoch. If the room still
// holds everything after that seq in that epoch, `joined` says recovered:true with the
// count, and exactly those msgs follow at once, then the live ones: no gap and no
// duplicate, even while others keep sending. Otherwise recovered:false and nothing is
// replayed; without `since` there is no `recovered` key. For JSON, WebSocket and text
// clients alike.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "client.h"
#include "http_client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

class Recovery : public SharedServerTest {};
INSTANTIATE_TEST_SUITE_P(Backends, Recovery, testing::ValuesIn(backends_x({1, 4})), param_name);

// A JSON-lines or a WebSocket user, behind one interface.
class Member {
 public:
  virtual ~Member() = default;
  virtual void send(const Obj& request) = 0;
  virtual Json read_json(Ms timeout) = 0;
  Json next_reply(Ms timeout = 3s) {
    for (;;) {
      Json j = read_json(timeout);
      const std::string& ev = j.str("ev");
      if (ev != "msg" && ev != "user_joined" && ev != "user_left" && ev != "typing") return j;
    }
  }
};

class JsonMember : public Member {
 public:
  JsonMember(uint16_t port, const std::string& name) : c_(login_retry(port, name)) {}
  void send(const Obj& request) override { c_.send(request); }
  Json read_json(Ms timeout) override { return c_.read_json(timeout); }

 private:
  Client c_;
};

class WsMember : public Member {
 public:
  WsMember(uint16_t port, const std::string& name) : c_(WsClient::connect(port, "ws:" + name)) {
    // Retried on name_taken: the previous connection's end may not be processed yet.
    for (int attempt = 0;; ++attempt) {
      c_.send(op("hello").s("user", name));
      const Json w = c_.read_json(3s);
      if (w.str("ev") == "welcome") break;
      if (w.str("code") != "name_taken" || attempt > 100) throw HarnessError("ws hello: " + w.raw());
      std::this_thread::sleep_for(20ms);
    }
  }
  void send(const Obj& request) override { c_.send(request); }
  Json read_json(Ms timeout) override { return c_.read_json(timeout); }

 private:
  WsClient c_;
};

enum class Kind { json, ws };

std::unique_ptr<Member> connect(Kind kind, uint16_t port, const std::string& name) {
  if (kind == Kind::ws) return std::make_unique<WsMember>(port, name);
  return std::make_unique<JsonMember>(port, name);
}

Json rejoin(Member& m, const std::string& room, int64_t since, int64_t epoch) {
  m.send(op("join").s("room", room).i("since", since).i("epoch", epoch));
  return m.next_reply();
}

// Sends n msgs and waits for their echoes: they are sequenced before whatever the
// test does next on another connection (which may reach the room's owner first).
void send_msgs(Client& sender, const std::string& room, int n, const std::string& prefix) {
  for (int i = 0; i < n; ++i) sender.send(op("msg").s("room", room).s("text", prefix + std::to_string(i)));
  for (int i = 0; i < n; ++i) sender.read_until_ev("msg");
}

TEST_P(Recovery, AJoinWithoutSinceHasNoRecoveredKey) {
  Client a = login(port(), uniq("plain"));
  const Json j = join(a, uniq("plainroom"));
  EXPECT_FALSE(j.has("recovered")) << j;
  EXPECT_FALSE(j.has("missed")) << j;
}

// The same gap recovered by each kind of client: 5 msgs seen, the connection lost,
// 7 sent meanwhile; the rejoin replays exactly 6..12, and 13 comes live.
void recovers_the_gap(Kind kind, uint16_t port) {
  const std::string room = uniq("gap"), name = uniq("gapper");
  Client sender = login(port, uniq("gapsend"));
  join(sender, room);
  int64_t epoch = 0;
  {
    auto m = connect(kind, port, name);
    m->send(op("join").s("room", room));
    epoch = m->next_reply().i64("epoch");
    send_msgs(sender, room, 5, "before");
    for (int i = 1; i <= 5; ++i) ASSERT_EQ(m->read_json(3s).i64("seq"), i);
  }  // connection lost
  sender.read_until_ev("user_left");
  send_msgs(sender, room, 7, "while-away");
  auto m = connect(kind, port, name);
  const Json j = rejoin(*m, room, 5, epoch);
  ASSERT_EQ(j.str("ev"), "joined") << j;
  EXPECT_TRUE(j.boolean("recovered")) << j;
  EXPECT_EQ(j.i64("missed"), 7) << j;
  EXPECT_EQ(j.i64("seq"), 12) << j;
  EXPECT_EQ(j.i64("epoch"), epoch) << j;
  for (int i = 0; i < 7; ++i) {
    const Json msg = m->read_json(3s);
    ASSERT_EQ(msg.str("ev"), "msg") << msg;
    EXPECT_EQ(msg.i64("seq"), 6 + i);
    EXPECT_EQ(msg.str("text"), "while-away" + std::to_string(i));
  }
  send_msgs(sender, room, 1, "live");
  const Json live = m->read_json(3s);
  EXPECT_EQ(live.i64("seq"), 13) << live;
  EXPECT_EQ(live.str("text"), "live0");
}

TEST_P(Recovery, AJsonClientRecoversWhatItMissed) { recovers_the_gap(Kind::json, port()); }
TEST_P(Recovery, AWebSocketClientRecoversWhatItMissed) { recovers_the_gap(Kind::ws, port()); }

TEST_P(Recovery, ATextClientRecoversWhatItMissedAsHumanLines) {
  const std::string room = uniq("textgap");
  Client sender = login(port(), uniq("tsend"));
  const int64_t epoch = join(sender, room).i64("epoch");
  send_msgs(sender, room, 4, "m");  // a JSON-only room: only JSON was encoded
  const std::string name = uniq("tina");
  Client t = text_login(port(), name);
  t.send_line("/join " + room + " 1 " + std::to_string(epoch));
  EXPECT_EQ(t.read_line_until([&](const std::string& l) { return starts_with(l, "* you joined " + room); }),
            "* you joined " + room + " (2 members; 3 missed messages follow)");
  const auto in_room = [&](const std::string& l) { return starts_with(l, "[" + room + "] "); };
  for (int i = 1; i < 4; ++i) EXPECT_EQ(t.read_line_until(in_room), "[" + room + "] " + sender.label() + ": m" + std::to_string(i));
  // A wrong epoch: told so, nothing replayed (the next line of the room is a live one).
  t.send_line("/join " + room + " 0 " + std::to_string(epoch + 1));
  EXPECT_EQ(t.read_line_until([&](const std::string& l) { return starts_with(l, "* you joined " + room); }),
            "* you joined " + room + " (2 members; missed messages could not be recovered)");
  send_msgs(sender, room, 1, "live");
  EXPECT_EQ(t.read_line_until(in_room), "[" + room + "] " + sender.label() + ": live0");
}

TEST_P(Recovery, AnotherEpochOrASeqNeverGivenOutIsNotRecovered) {
  const std::string room = uniq("norec");
  Client sender = login(port(), uniq("nrsend"));
  const int64_t epoch = join(sender, room).i64("epoch");
  send_msgs(sender, room, 3, "x");
  Client m = login(port(), uniq("nrmember"));
  for (const auto& [since, ep] : {std::pair<int64_t, int64_t>{1, epoch + 1}, {4, epoch}, {-1, epoch}}) {
    SCOPED_TRACE("since " + std::to_string(since) + " epoch " + std::to_string(ep));
    m.send(op("join").s("room", room).i("since", since).i("epoch", ep));
    const Json j = m.expect_reply("joined");
    EXPECT_FALSE(j.boolean("recovered")) << j;
    EXPECT_FALSE(j.has("missed")) << j;
    EXPECT_EQ(j.i64("seq"), 3);
  }
  // since without epoch: not recovered either.
  m.send(op("join").s("room", room).i("since", 1));
  EXPECT_FALSE(m.expect_reply("joined").boolean("recovered"));
  // Nothing was replayed by any of them: the next event is the next live msg.
  send_msgs(sender, room, 1, "live");
  EXPECT_EQ(m.read_until_ev("msg").i64("seq"), 4);
}

TEST_P(Recovery, ARoomThatEmptiedHasANewEpoch) {
  const std::string room = uniq("reborn"), name = uniq("only");
  int64_t epoch = 0;
  {
    Client a = login(port(), name);
    epoch = join(a, room).i64("epoch");
    send_msgs(a, room, 2, "gone");
  }  // the last member left: the room and its history are dropped
  Client a = login_retry(port(), name);
  Json j;
  // The old connection's leave may still be on its way to the owner.
  ASSERT_TRUE(eventually(
      [&] {
        a.send(op("join").s("room", room).i("since", 2).i("epoch", epoch));
        j = a.expect_reply("joined");
        if (j.i64("epoch") != epoch) return true;
        a.send(op("leave").s("room", room));
        a.expect_reply("left");
        return false;
      },
      3s));
  EXPECT_FALSE(j.boolean("recovered")) << j;
  EXPECT_EQ(j.i64("seq"), 0);
}

TEST_P(Recovery, AGapOlderThanTheStoredHistoryIsNotRecovered) {
  // The room keeps its last 1000 msgs (--history's default): of 1010, 11..1010.
  const std::string room = uniq("long");
  Client sender = login(port(), uniq("longsend"));
  const int64_t epoch = join(sender, room).i64("epoch");
  send_msgs(sender, room, 1010, "s");
  Client m = login(port(), uniq("longmember"));
  for (const auto& [since, recovered] : {std::pair<int64_t, bool>{9, false}, {10, true}, {1010, true}}) {
    m.send(op("join").s("room", room).i("since", since).i("epoch", epoch));
    const Json j = m.expect_reply("joined");
    EXPECT_EQ(j.boolean("recovered"), recovered) << "since " << since << ": " << j;
    if (recovered) {
      EXPECT_EQ(j.i64("missed"), 1010 - since);
      for (int64_t s = since + 1; s <= 1010; ++s) ASSERT_EQ(m.read_json().i64("seq"), s);
    }
  }
}

// The member drops mid-stream three times while a sender publishes without pause, and
// rejoins each time from the last seq it saw: it ends with every seq exactly once, in
// order — replay and live stream meet without a gap or an overlap.
void recovers_while_others_keep_sending(Kind kind, uint16_t port) {
  const std::string room = uniq("busy"), name = uniq("dropper");
  Client sender = login(port, uniq("busysend"));
  join(sender, room);
  auto m = connect(kind, port, name);
  m->send(op("join").s("room", room));
  const int64_t epoch = m->next_reply().i64("epoch");

  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::string sender_error;
  std::thread publisher([&] {
    try {
      while (!stop) {
        sender.send(op("msg").s("room", room).s("text", "n" + std::to_string(sent.load())));
        ++sent;
        if (sent % 2 == 0) std::this_thread::sleep_for(1ms);  // ~1000/s: the gap stays well inside --history
      }
    } catch (const std::exception& e) {
      sender_error = e.what();
    }
  });

  std::vector<int64_t> seen;
  int64_t replayed = 0;
  for (int drop = 0; drop < 3; ++drop) {
    const std::size_t stop_at = seen.size() + 150;
    while (seen.size() < stop_at) {
      const Json j = m->read_json(5s);
      if (j.str("ev") == "msg") seen.push_back(j.i64("seq"));
    }
    m.reset();  // dropped mid-stream: the server has more for it on the way
    std::this_thread::sleep_for(10ms);  // and sends more while it is away
    m = connect(kind, port, name);
    const Json j = rejoin(*m, room, seen.back(), epoch);
    ASSERT_EQ(j.str("ev"), "joined") << j;
    ASSERT_TRUE(j.boolean("recovered")) << j;
    EXPECT_EQ(j.i64("missed"), j.i64("seq") - seen.back()) << j;
    replayed += j.i64("missed");
  }
  EXPECT_GT(replayed, 0) << "no rejoin had anything to recover: the test did not test";
  stop = true;
  publisher.join();
  ASSERT_TRUE(sender_error.empty()) << sender_error;
  const int64_t total = sent.load();
  while (seen.back() < total) {
    const Json j = m->read_json(5s);
    if (j.str("ev") == "msg") seen.push_back(j.i64("seq"));
  }
  ASSERT_EQ(int64_t(seen.size()), total) << "a gap or a duplicate somewhere";
  for (int64_t i = 0; i < total; ++i) ASSERT_EQ(seen[i], i + 1) << "at index " << i;
}

TEST_P(Recovery, AJsonClientDroppingMidStreamSeesEverySeqOnce) {
  recovers_while_others_keep_sending(Kind::json, port());
}
TEST_P(Recovery, AWebSocketClientDroppingMidStreamSeesEverySeqOnce) {
  recovers_while_others_keep_sending(Kind::ws, port());
}

}  // namespace
}  // namespace chatd_it
