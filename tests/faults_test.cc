// Faulty and hostile clients through real sockets (issue 11, "Faults"): each
// must cost the server only its own state, get the contract's answer, and
// leave everyone else served. docs/protocol.md fixes the answers: bad_json for
// anything that is not a JSON object in valid UTF-8 (and for invalid UTF-8 in
// text mode), frame_too_large and a close past --max-frame, with the error
// readable before the close.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/socket.h>

#include <cstdio>
#include <random>
#include <thread>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

class Faults : public FreshServerTest {};

INSTANTIATE_TEST_SUITE_P(Backends, Faults, testing::ValuesIn(backends_x({2})), param_name);

// Open descriptors of a process (the test started it, so /proc is readable).
int open_fds(pid_t pid) {
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) throw HarnessError("cannot list /proc/" + std::to_string(pid) + "/fd");
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

// Closes with SO_LINGER 0, so the kernel sends RST instead of FIN.
void reset_close(Client& c) {
  linger l{1, 0};
  if (setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0)
    throw HarnessError("SO_LINGER: " + std::string(strerror(errno)));
  c.close();
}

// Two members of `room` that talk to each other: `n` messages from a, each
// received by b in seq order, continuing from `next_seq`.
int64_t converse(Client& a, Client& b, const std::string& room, int n, int64_t next_seq) {
  for (int i = 0; i < n; ++i) {
    a.send(op("msg").s("room", room).s("text", "turn " + std::to_string(i)));
    EXPECT_EQ(a.read_until_ev("msg").i64("seq"), next_seq);
    Json m = b.read_until_ev("msg");
    EXPECT_EQ(m.i64("seq"), next_seq) << m;
    EXPECT_EQ(m.str("text"), "turn " + std::to_string(i)) << m;
    ++next_seq;
  }
  return next_seq;
}

// `n` lines of random bytes: no '\n' or '\r', and a first byte that is
// neither whitespace (blank lines are skipped) nor `avoid_first`.
std::vector<std::string> garbage_lines(int n, uint32_t seed, char avoid_first) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> len(1, 300), byte(0, 255);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string line;
    for (int k = len(rng); k > 0; --k) {
      char ch = char(byte(rng));
      line += (ch == '\n' || ch == '\r') ? '#' : ch;
    }
    if (std::isspace(static_cast<unsigned char>(line[0])) || line[0] == avoid_first) line[0] = '#';
    out.push_back(std::move(line));
  }
  return out;
}

// Reads until `n` user_left: each victim leaves the room. A whole frame sent
// before a reset may or may not have been read by then, so its message may
// arrive. Returns the next seq of the room.
int64_t await_leavers(Client& c, int n) {
  int64_t next_seq = 1;
  for (int left = 0; left < n;) {
    Json e = c.read_json(5s);
    if (e.str("ev") == "user_left") {
      ++left;
    } else if (e.str("ev") == "msg" && e.str("text") == "whole") {
      EXPECT_EQ(e.i64("seq"), next_seq) << e;
      next_seq = e.i64("seq") + 1;
    } else {
      ADD_FAILURE() << "[" << c.label() << "] unexpected while victims were leaving: " << e;
    }
  }
  return next_seq;
}

TEST_P(Faults, ResetsMidFrameCostOnlyTheResettersState) {
  Client a = login(port(), "a"), b = login(port(), "b");
  join(a, "r");
  join(b, "r");
  a.expect_event("user_joined");
  const int fds_before = open_fds(server_->pid());

  // Every kind of unfinished frame: a short one, one cut inside a UTF-8
  // sequence, a long one, and a whole frame followed by the start of the next.
  const std::vector<std::string> partials = {
      R"({"op":"msg","room":"r","text":"half)",
      "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"\xe2\x82",
      std::string(30000, 'x'),
      R"({"op":"msg","room":"r","text":"whole"})" "\n{\"op\":",
  };
  constexpr int kVictims = 40;
  std::vector<Client> victims;
  for (int i = 0; i < kVictims; ++i) {
    victims.push_back(login(port(), "v" + std::to_string(i)));
    join(victims.back(), "r");
  }
  for (int i = 0; i < kVictims; ++i) {
    a.read_until_ev("user_joined");
    b.read_until_ev("user_joined");
  }
  for (int i = 0; i < kVictims; ++i) {
    victims[i].send_raw(partials[i % partials.size()]);
    reset_close(victims[i]);
  }

  int64_t seq = await_leavers(a, kVictims);
  EXPECT_EQ(await_leavers(b, kVictims), seq);
  converse(a, b, "r", 20, seq);
  EXPECT_TRUE(eventually([&] { return open_fds(server_->pid()) <= fds_before; }, 3s))
      << open_fds(server_->pid()) << " fds open after " << kVictims << " resets, " << fds_before
      << " before them";
  login_retry(port(), "v0");  // the names are free again
  login_retry(port(), "v3");
}

TEST_P(Faults, OneByteASecondCostsOnlyItsOwnState) {
  Client a = login(port(), "a"), b = login(port(), "b");
  join(a, "r");
  join(b, "r");
  a.expect_event("user_joined");

  constexpr int kDrippers = 20;
  constexpr size_t kDripped = 3;  // bytes sent one a second before the rest
  std::vector<Client> drippers;
  std::vector<std::string> frames;
  for (int i = 0; i < kDrippers; ++i) {
    drippers.push_back(Client::connect(port(), {.label = "drip" + std::to_string(i)}));
    frames.push_back(op("hello").s("user", "drip" + std::to_string(i)).str() + "\n");
  }
  // A text-mode dripper too: its first byte picks text mode.
  Client text_drip = Client::connect(port(), {.label = "text-drip"});
  const std::string text_name = "tdrip\n";

  const double cpu_before = server_->cpu_seconds();
  int64_t seq = 1;
  for (size_t k = 0; k < kDripped; ++k) {
    auto second = std::chrono::steady_clock::now() + 1s;
    for (int i = 0; i < kDrippers; ++i) drippers[i].send_raw(frames[i].substr(k, 1));
    text_drip.send_raw(text_name.substr(k, 1));
    seq = converse(a, b, "r", 10, seq);  // others are served meanwhile
    std::this_thread::sleep_until(second);
  }
  const double cpu = server_->cpu_seconds() - cpu_before;
  std::printf("[ figures  ] %s: chatd used %.3f s of CPU in %zu s with %d one-byte-a-second "
              "clients and 30 messages\n",
              server_label(GetParam().backend, GetParam().shards).c_str(), cpu, kDripped, kDrippers);
  EXPECT_LT(cpu, 0.5) << "chatd used " << cpu << " s of CPU in " << kDripped
                      << " s for " << kDrippers << " one-byte-a-second clients and 30 messages";

  // The partial frames were kept across reads: finishing them logs in.
  for (int i = 0; i < kDrippers; ++i) {
    drippers[i].send_raw(frames[i].substr(kDripped));
    Json w = drippers[i].expect_event("welcome");
    EXPECT_EQ(w.str("user"), "drip" + std::to_string(i)) << w;
  }
  text_drip.send_raw(text_name.substr(kDripped));
  text_drip.read_line_until([](const std::string& l) { return starts_with(l, "* welcome tdrip "); });
  converse(b, a, "r", 5, seq);
}

TEST_P(Faults, PipelinedGarbageGetsOneBadJsonPerLineAndTheConnectionSurvives) {
  Client c = Client::connect(port(), {.label = "garbage"});
  c.send(op("ping").i("ts", 1));  // JSON mode
  c.expect_event("pong");
  constexpr int kLines = 500;
  std::string blob;
  for (auto& line : garbage_lines(kLines, 42, '\0')) blob += line + "\n";
  blob += op("ping").i("ts", 999).str() + "\n";
  c.send_raw(blob);  // ~75 KB in one write
  for (int i = 0; i < kLines; ++i) {
    Json e = c.read_json(5s);
    SCOPED_TRACE("garbage line " + std::to_string(i));
    check_error_shape(e, "bad_json", "");
  }
  EXPECT_EQ(c.expect_event("pong").i64("ts"), 999);
  Json w = hello(c, "survivor");
  EXPECT_EQ(w.str("user"), "survivor");
}

TEST_P(Faults, GarbageInTextModeIsRefusedOrSaidAndTheSessionSurvives) {
  Client watcher = login(port(), "watcher");
  join(watcher, "lobby");
  // Garbage as the first line is a bad name; the prompt comes again.
  Client t = Client::connect(port(), {.label = "text"});
  t.send_raw(std::string("\x01\x02\xff garbage\n", 12));
  EXPECT_TRUE(starts_with(t.expect_line(), "error: ")) << t.recent();
  t.send_line("tina");
  t.read_line_until([](const std::string& l) { return starts_with(l, "* welcome tina "); });
  watcher.read_until_ev("user_joined");

  std::string blob;
  for (auto& line : garbage_lines(300, 7, '/')) blob += line + "\n";
  blob += "/\xff\x01 not a command\n";
  t.send_raw(blob);
  t.send_line("/w watcher still here");
  Json w = watcher.read_until_ev("whisper", 5s);
  EXPECT_EQ(w.str("from"), "tina") << w;
  EXPECT_EQ(w.str("text"), "still here") << w;
  expect_alive(watcher);
}

TEST_P(Faults, InvalidUtf8IsBadJsonInJsonModeAndReachesNobody) {
  Client a = login(port(), "a"), b = login(port(), "b");
  join(a, "r");
  join(b, "r");
  a.expect_event("user_joined");
  const std::vector<std::string> bad = {
      "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"bad \xff\"}",
      "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"overlong \xc0\xaf\"}",
      "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"surrogate \xed\xa0\x80\"}",
      "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"cut \xe2\x82\"}",
      "{\"op\":\"whisper\",\"to\":\"b\",\"text\":\"\xf8\x88\x80\x80\x80\"}",
      "{\"op\":\"msg\",\"room\":\"r\",\"text\":\"ok\",\"\xfe\":1}",
  };
  for (auto& line : bad) {
    SCOPED_TRACE("sent: " + line);
    expect_error_raw(a, line, "bad_json", "");
  }
  // None of them got a seq or reached b: the next message is seq 1.
  a.send(op("msg").s("room", "r").s("text", "fine"));
  Json m = b.expect_event("msg");
  EXPECT_EQ(m.i64("seq"), 1) << m;
  EXPECT_EQ(m.str("text"), "fine") << m;
}

TEST_P(Faults, InvalidUtf8IsBadJsonInTextModeAndReachesNobody) {
  Client watcher = login(port(), "watcher");
  join(watcher, "lobby");
  Client t = Client::connect(port(), {.label = "text"});
  t.send_raw("na\xffme\n");
  EXPECT_TRUE(starts_with(t.expect_line(), "error: bad_json")) << t.recent();
  t.send_line("tom");
  t.read_line_until([](const std::string& l) { return starts_with(l, "* you joined lobby"); });
  watcher.read_until_ev("user_joined");
  for (std::string line : {"hi \xc0\xaf there", "/join r\xff", "/w watcher \xed\xa0\x80"}) {
    SCOPED_TRACE("sent: " + line);
    t.send_line(line);
    EXPECT_TRUE(starts_with(t.expect_line(), "error: bad_json")) << t.recent();
  }
  t.send_line("fine");
  Json m = watcher.expect_event("msg");
  EXPECT_EQ(m.i64("seq"), 1) << m;
  EXPECT_EQ(m.str("text"), "fine") << m;
}

TEST_P(Faults, OversizedJsonFrameAfterPipelinedOnesIsAnsweredInOrderThenClosed) {
  Client watcher = login(port(), "watcher");
  join(watcher, "r");
  Client c = login(port(), "big");
  join(c, "r");
  watcher.expect_event("user_joined");
  std::string blob = op("ping").i("ts", 1).str() + "\n" + op("ping").i("ts", 2).str() + "\n" +
                     R"({"op":"ping","ts":3,"pad":")" + std::string(70000, 'p') + "\"}\n" +
                     op("ping").i("ts", 4).str() + "\n";
  // The client goes on sending well past the error: the server must not
  // reset the connection with these bytes unread and destroy the error.
  std::thread flood([&] { c.try_send_raw(blob + std::string(1 << 20, 'z'), 3s); });
  Json p1 = c.read_json(5s), p2 = c.read_json(5s), e = c.read_json(5s);
  flood.join();
  EXPECT_EQ(p1.str("ev"), "pong") << p1;
  EXPECT_EQ(p2.str("ev"), "pong") << p2;
  check_error_shape(e, "frame_too_large", "");
  c.expect_closed(5s);  // and no pong for ts 4
  Json left = watcher.read_until_ev("user_left");
  EXPECT_EQ(left.str("user"), "big") << left;
}

TEST_P(Faults, OversizedTextLineIsFrameTooLargeThenClosed) {
  Client watcher = login(port(), "watcher");
  join(watcher, "lobby");
  Client t = text_login(port(), "tina");
  watcher.read_until_ev("user_joined");
  std::string blob = std::string(70000, 'y') + "\nafter\n" + std::string(1 << 20, 'z');
  std::thread flood([&] { t.try_send_raw(blob, 3s); });
  std::string line = t.expect_line(5s);
  flood.join();
  EXPECT_TRUE(starts_with(line, "error: frame_too_large")) << line;
  t.expect_closed(5s);
  Json left = watcher.read_until_ev("user_left");
  EXPECT_EQ(left.str("user"), "tina") << left;
  watcher.expect_silence(300ms);  // "after" never became a message
}

}  // namespace
}  // namespace chatd_it
