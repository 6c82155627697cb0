// Text mode (docs/protocol.md, "Ports and modes" and "Text mode"): what a person
// at `nc` sees, and that text and JSON users share rooms.
//
// Text users always join `lobby`, so every test gets its own server: lobby
// traffic of one test must not reach another.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

using Clock = std::chrono::steady_clock;

class TextMode : public FreshServerTest {
 protected:
  Client json_in_lobby(const std::string& name) {
    Client c = login(port(), name);
    join(c, "lobby");
    return c;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, TextMode, testing::ValuesIn(backends_x({1, 4})), param_name);

// "* welcome NAME (shard S of N); /help lists commands" → S.
int welcome_shard(const std::string& line, const std::string& name, int shards) {
  static const std::regex re(R"(^\* welcome (\S+) \(shard (\d+) of (\d+)\); /help lists commands)");
  std::smatch m;
  if (!std::regex_search(line, m, re)) throw HarnessError("not a welcome line: " + line);
  if (m[1].str() != name) throw HarnessError("welcome for the wrong name: " + line);
  if (std::stoi(m[3].str()) != shards) throw HarnessError("welcome with wrong N: " + line);
  int s = std::stoi(m[2].str());
  if (s < 0 || s >= shards) throw HarnessError("welcome with shard out of range: " + line);
  return s;
}

// "* you joined ROOM (M members)" → M.
int own_join_members(const std::string& line, const std::string& room) {
  static const std::regex re(R"(^\* you joined (\S+) \((\d+) members?\)$)");
  std::smatch m;
  if (!std::regex_search(line, m, re) || m[1].str() != room)
    throw HarnessError("expected \"* you joined " + room + " (M members)\", got: " + line);
  return std::stoi(m[2].str());
}

TEST_P(TextMode, PromptArrivesAfterOneSecondOfSilence) {
  auto t0 = Clock::now();
  Client c = Client::connect(port(), {.label = "text"});
  std::string prompt = c.expect_line(3s);
  auto waited = std::chrono::duration_cast<Ms>(Clock::now() - t0);
  EXPECT_TRUE(starts_with(prompt, kPrompt)) << prompt;
  EXPECT_GE(waited, 900ms) << "the prompt must wait for 1 s of silence";
  EXPECT_LE(waited, 2000ms) << "the prompt came late";

  c.send_line("tina");
  std::string welcome = c.expect_line();
  welcome_shard(welcome, "tina", shards());
  EXPECT_EQ(own_join_members(c.expect_line(), "lobby"), 1);
}

TEST_P(TextMode, JsonClientsThatSendWithinASecondNeverSeeThePrompt) {
  Client c = Client::connect(port());
  std::this_thread::sleep_for(500ms);
  c.send(op("hello").s("user", "jay"));
  c.expect_event("welcome");  // the first line is JSON, not the prompt
  c.expect_silence(1000ms);
}

TEST_P(TextMode, ModeIsDecidedByTheFirstByteEvenAfterThePrompt) {
  Client c = Client::connect(port());
  EXPECT_TRUE(starts_with(c.expect_line(3s), kPrompt));
  c.send(op("hello").s("user", "late_json"));
  Json w = c.expect_event("welcome");
  EXPECT_EQ(w.str("user"), "late_json");
  expect_alive(c);
}

TEST_P(TextMode, NameLineLogsInAndJoinsLobbyWithJsonUsers) {
  Client alice = json_in_lobby("alice");
  Client t = Client::connect(port(), {.label = "text:tina"});
  t.send_line("tina");
  std::vector<std::string> before;
  std::string welcome = t.read_line_until(
      [](const std::string& l) { return starts_with(l, "* welcome "); }, 3s, &before);
  for (auto& l : before) EXPECT_TRUE(starts_with(l, kPrompt)) << "unexpected line: " << l;
  welcome_shard(welcome, "tina", shards());
  EXPECT_EQ(own_join_members(t.expect_line(), "lobby"), 2);

  Json uj = alice.expect_event("user_joined");
  EXPECT_EQ(uj.str("room"), "lobby");
  EXPECT_EQ(uj.str("user"), "tina");
  alice.send(op("users").s("room", "lobby"));
  Json u = alice.expect_reply("users");
  EXPECT_EQ(u.arr("users").size(), 2u) << u;
  EXPECT_EQ(u.arr("users")[1].as_str(), "tina") << u;
}

TEST_P(TextMode, TextUserLandsOnTheSameShardAsJsonUserOfThatName) {
  std::string welcome;
  Client t = text_login(port(), "shardy", &welcome);
  int text_shard = welcome_shard(welcome, "shardy", shards());
  t.send_line("/exit");
  t.read_line_until([](const std::string& l) { return l == "* bye"; });
  Json w;
  Client j = login_retry(port(), "shardy", 2s, &w);
  EXPECT_EQ(w.i64("shard"), text_shard);
}

TEST_P(TextMode, PlainLineIsAMessageToJsonMembers) {
  Client t = text_login(port(), "tina");
  Client alice = json_in_lobby("alice");
  t.read_line_until([](const std::string& l) { return l == "* alice joined lobby"; });

  t.send_line("hello there, all");
  Json m = alice.expect_event("msg");
  EXPECT_EQ(m.str("room"), "lobby");
  EXPECT_EQ(m.str("from"), "tina");
  EXPECT_EQ(m.str("text"), "hello there, all");
  EXPECT_EQ(m.i64("seq"), 1);
  EXPECT_FALSE(m.has("id"));
  EXPECT_FALSE(m.has("ts"));

  // Once in text mode, a line that looks like JSON is still just text.
  t.send_line(R"({"op":"bye"})");
  Json m2 = alice.expect_event("msg");
  EXPECT_EQ(m2.str("text"), R"({"op":"bye"})");
  EXPECT_EQ(m2.i64("seq"), 2);
}

TEST_P(TextMode, JsonEventsAreShownAsLines) {
  Client t = text_login(port(), "tina");
  Client alice = json_in_lobby("alice");
  EXPECT_EQ(t.expect_line(), "* alice joined lobby");
  alice.send(op("msg").s("room", "lobby").s("text", "hi there"));
  EXPECT_EQ(t.expect_line(), "[lobby] alice: hi there");
  alice.send(op("leave").s("room", "lobby"));
  alice.expect_reply("left");
  EXPECT_EQ(t.expect_line(), "* alice left lobby");
  join(alice, "lobby");
  EXPECT_EQ(t.expect_line(), "* alice joined lobby");
  alice.close();
  EXPECT_EQ(t.expect_line(), "* alice left lobby");
}

TEST_P(TextMode, TextUsersSeeEachOther) {
  Client tina = text_login(port(), "tina");
  Client tom = text_login(port(), "tom");
  EXPECT_EQ(tina.expect_line(), "* tom joined lobby");
  tom.send_line("hey tina");
  EXPECT_EQ(tina.read_line_until([](const std::string& l) { return starts_with(l, "["); }),
            "[lobby] tom: hey tina");
}

TEST_P(TextMode, JoinMakesTheRoomCurrentAndLeaveLeavesIt) {
  Client t = text_login(port(), "tina");
  Client alice = json_in_lobby("alice");
  EXPECT_EQ(t.expect_line(), "* alice joined lobby");
  Client bob = login(port(), "bob");

  t.send_line("/join dev");
  EXPECT_EQ(own_join_members(t.expect_line(), "dev"), 1);
  Json jb = join(bob, "dev");
  EXPECT_EQ(jb.i64("members"), 2) << jb;
  EXPECT_EQ(t.expect_line(), "* bob joined dev");

  t.send_line("in dev now");
  Json m = bob.expect_event("msg");
  EXPECT_EQ(m.str("room"), "dev");
  EXPECT_EQ(m.str("from"), "tina");
  EXPECT_EQ(m.str("text"), "in dev now");
  alice.expect_silence(200ms);  // lobby is no longer tina's current room

  t.send_line("/leave dev");
  t.read_line_until([](const std::string& l) { return l == "* you left dev"; }, 3s);
  Json ul = bob.expect_event("user_left");
  EXPECT_EQ(ul.str("room"), "dev");
  EXPECT_EQ(ul.str("user"), "tina");
}

TEST_P(TextMode, WhisperBothWays) {
  Client t = text_login(port(), "tina");
  Client bob = login(port(), "bob");
  t.send_line("/w bob psst, over here");
  Json w = bob.expect_event("whisper");
  EXPECT_EQ(w.str("from"), "tina");
  EXPECT_EQ(w.str("text"), "psst, over here");
  EXPECT_FALSE(w.has("id"));

  bob.send(op("whisper").s("to", "tina").s("text", "yo"));
  bob.expect_event("whisper_sent");
  EXPECT_EQ(t.read_line_until([](const std::string& l) { return starts_with(l, "(whisper) "); }),
            "(whisper) bob: yo");
}

TEST_P(TextMode, UsersRoomsAndHelpCommands) {
  Client t = text_login(port(), "tina");
  Client alice = json_in_lobby("alice");
  Client bob = login(port(), "bob");
  join(bob, "dev");
  join(alice, "dev");
  t.read_line_until([](const std::string& l) { return l == "* alice joined lobby"; });

  t.send_line("/users");
  EXPECT_EQ(t.expect_line(), "* online (3): alice, bob, tina");

  t.send_line("/rooms");
  std::string rooms = t.expect_line();
  ASSERT_TRUE(starts_with(rooms, "* rooms: ")) << rooms;
  std::set<std::string> items;
  std::string rest = rooms.substr(9);
  for (size_t pos = 0; pos <= rest.size();) {
    size_t comma = rest.find(", ", pos);
    if (comma == std::string::npos) comma = rest.size();
    items.insert(rest.substr(pos, comma - pos));
    pos = comma + 2;
  }
  EXPECT_EQ(items, (std::set<std::string>{"lobby (2)", "dev (2)"})) << rooms;

  t.send_line("/help");
  std::string help;
  for (auto& l : t.read_lines_until_quiet(300ms)) help += l + "\n";
  for (const char* cmd : {"/join", "/leave", "/w", "/users", "/rooms", "/help", "/exit"})
    EXPECT_NE(help.find(cmd), std::string::npos) << "/help does not mention " << cmd << ":\n"
                                                 << help;
}

TEST_P(TextMode, ExitSaysByeClosesAndFreesTheName) {
  Client t = text_login(port(), "tina");
  Client alice = json_in_lobby("alice");
  t.send_line("/exit");
  EXPECT_EQ(t.read_line_until([](const std::string& l) { return l == "* bye"; }), "* bye");
  t.expect_closed();
  Json ul = alice.expect_event("user_left");
  EXPECT_EQ(ul.str("user"), "tina");
  EXPECT_EQ(ul.str("room"), "lobby");
  Client again = login_retry(port(), "tina");
}

TEST_P(TextMode, TakenOrBadNameIsReportedAndAskedAgain) {
  Client alice = login(port(), "alice");
  Client t = Client::connect(port(), {.label = "text"});
  t.send_line("alice");
  std::vector<std::string> before;
  std::string err =
      t.read_line_until([](const std::string& l) { return starts_with(l, "error: "); }, 3s, &before);
  for (auto& l : before) EXPECT_TRUE(starts_with(l, kPrompt)) << "unexpected line: " << l;
  EXPECT_TRUE(starts_with(err, "error: name_taken ")) << err;
  std::string again = t.expect_line();
  EXPECT_NE(again.find("Enter your name"), std::string::npos)
      << "the name is not asked again: " << again;

  t.send_line("bad name!");
  EXPECT_TRUE(starts_with(t.expect_line(), "error: bad_name "));
  EXPECT_NE(t.expect_line().find("Enter your name"), std::string::npos);

  t.send_line("tina");
  welcome_shard(t.expect_line(), "tina", shards());
  EXPECT_EQ(own_join_members(t.expect_line(), "lobby"), 1);
}

TEST_P(TextMode, CrLfLineEndingsWork) {
  Client t = Client::connect(port(), {.label = "text:crlf"});
  Client bob = login(port(), "bob");
  join(bob, "dev");
  t.send_raw("tina\r\n");
  std::string welcome =
      t.read_line_until([](const std::string& l) { return starts_with(l, "* welcome "); });
  welcome_shard(welcome, "tina", shards());  // the name is "tina", not "tina\r"
  own_join_members(t.expect_line(), "lobby");
  t.send_raw("/join dev\r\n");
  EXPECT_EQ(own_join_members(t.expect_line(), "dev"), 2);
  t.send_raw("hello\r\n");
  Json m = bob.read_until_ev("msg");
  EXPECT_EQ(m.str("text"), "hello");
  EXPECT_EQ(m.str("from"), "tina");
  t.send_raw("/w bob hi\r\n");
  EXPECT_EQ(bob.expect_event("whisper").str("text"), "hi");
}

TEST_P(TextMode, ErrorsAreShownAsLinesAndTheSessionGoesOn) {
  Client t = text_login(port(), "tina");
  auto expect_err = [&](const std::string& line, const std::string& code) {
    t.send_line(line);
    std::string got = t.expect_line();
    EXPECT_TRUE(starts_with(got, "error: " + code + " ")) << "sent: " << line << "\ngot: " << got;
  };
  expect_err("/join bad!room", "bad_room");
  expect_err("/leave nowhere", "not_in_room");
  expect_err("/w nobody_here hi", "no_such_user");
  expect_err("/w tina hi", "self_whisper");
  expect_err(std::string(4097, 'x'), "too_long");
  t.send_line("/users");
  EXPECT_EQ(t.expect_line(), "* online (1): tina");
}

TEST_P(TextMode, LineOverMaxFrameIsRefusedThenClosed) {
  Client t = text_login(port(), "tina");
  t.send_line(std::string(65537, 'x'));
  std::string err = t.expect_line(5s);
  EXPECT_TRUE(starts_with(err, "error: frame_too_large")) << err;
  t.expect_closed(5s);
}

TEST_P(TextMode, NamesStartingWithGetAreText) {
  std::string welcome;
  Client t = text_login(port(), "GETTY", &welcome);
  welcome_shard(welcome, "GETTY", shards());
}

// A connection whose first bytes are "GET " is HTTP, not a text user called "GET"
// (docs/protocol.md, "Ports and modes"); tests/http_ws_test.cc covers HTTP itself.
TEST_P(TextMode, HttpGetIsServedAsHttp) {
  Client c = Client::connect(port(), {.label = "http"});
  c.send_raw("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  std::string status = c.expect_line(3s);
  EXPECT_TRUE(starts_with(status, "HTTP/1.1 200")) << status;
  c.drain_to_eof(3s);
  // It was not taken for a text user called "GET".
  Client j = login(port(), "checker");
  j.send(op("users"));
  EXPECT_EQ(j.expect_reply("users").i64("count"), 1);
}

}  // namespace
}  // namespace chatd_it
