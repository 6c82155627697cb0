// Graceful stop (docs/protocol.md, "Guarantees"): on SIGTERM or SIGINT chatd stops
// accepting, sends server_shutdown to every client, flushes (bounded by
// --drain-timeout) and exits 0.
#include <gtest/gtest.h>

#include <signal.h>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

using Clock = std::chrono::steady_clock;

class Shutdown : public testing::TestWithParam<ServerParam> {
 protected:
  std::unique_ptr<ChatdProcess> start(std::vector<std::string> extra) {
    return ChatdProcess::start(GetParam().backend, GetParam().shards, std::move(extra));
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, Shutdown, testing::ValuesIn(backends_x({1, 4})), param_name);

void expect_json_shutdown(Client& c) {
  // Broadcasts may still be ahead of it; no direct reply may follow it.
  Json e = c.next_reply(5s);
  EXPECT_EQ(e.str("ev"), "error") << e;
  EXPECT_EQ(e.str("code"), "server_shutdown") << e;
  if (e.has("msg")) {
    EXPECT_TRUE(e.at("msg").is_string()) << e;
  }
  c.expect_closed(5s);
}

void graceful_stop(ChatdProcess& server, int sig) {
  const uint16_t port = server.port();
  Client a = login(port, "alice"), b = login(port, "bob");
  join(a, "r");
  join(b, "r");
  a.expect_event("user_joined");
  b.send(op("msg").s("room", "r").s("text", "before"));
  a.expect_event("msg");
  b.expect_event("msg");
  Client anon = Client::connect(port, {.label = "anon-json"});  // JSON, never logged in
  anon.send(op("ping").i("ts", 1));
  anon.expect_event("pong");
  Client text = text_login(port, "tina");

  auto t0 = Clock::now();
  server.signal(sig);

  expect_json_shutdown(a);
  expect_json_shutdown(b);
  expect_json_shutdown(anon);
  std::string line = text.read_line_until(
      [](const std::string& l) { return starts_with(l, "error: "); }, 5s);
  EXPECT_TRUE(starts_with(line, "error: server_shutdown")) << line;
  text.expect_closed(5s);

  // No longer accepting: a new connection is refused or never served.
  if (auto late = Client::try_connect(port, {.label = "late"})) {
    late->try_send_raw(op("hello").s("user", "late").str() + "\n", 1s);
    auto reply = late->read_line(1s);
    if (reply) {
      EXPECT_EQ(reply->find("welcome"), std::string::npos) << *reply;
    }
  }

  auto st = server.wait_exit(2s + 3s);  // --drain-timeout 2s + margin
  ASSERT_TRUE(st) << "chatd still running 5 s after the signal; stderr:\n" << stderr_tail(server);
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe() << "\nstderr:\n"
                                           << stderr_tail(server);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 5.0);
}

TEST_P(Shutdown, SigtermNotifiesEveryClientAndExitsZero) {
  auto server = start({"--drain-timeout", "2s"});
  graceful_stop(*server, SIGTERM);
}

TEST_P(Shutdown, SigintNotifiesEveryClientAndExitsZero) {
  auto server = start({"--drain-timeout", "2s"});
  graceful_stop(*server, SIGINT);
}

TEST_P(Shutdown, IdleServerExitsZeroWithinTheDrainTimeout) {
  // Nothing to flush: the exit is bounded by --drain-timeout (200 ms here)
  // plus a generous second for tearing down threads.
  auto server = start({"--drain-timeout", "200ms"});
  auto t0 = Clock::now();
  server->signal(SIGTERM);
  auto st = server->wait_exit(5s);
  ASSERT_TRUE(st) << "chatd still running 5 s after SIGTERM";
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe();
  double took = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_LT(took, 0.2 + 1.0) << "an idle chatd took " << took
                             << " s to exit with --drain-timeout 200ms; stderr:\n"
                             << stderr_tail(*server);
}

TEST_P(Shutdown, DrainTimeoutBoundsTheExitWhenAClientNeverReads) {
  auto server = start({"--drain-timeout", "1s"});
  Client stalled = Client::connect(server->port(), {.label = "stalled", .rcvbuf = 2048});
  hello(stalled, "stalled");
  join(stalled, "r");
  Client sender = login(server->port(), "sender");
  join(sender, "r");
  const std::string text(1000, 'd');
  for (int i = 0; i < 1000; ++i) {  // ~1 MB queued for the stalled reader
    sender.send(op("msg").s("room", "r").s("text", text));
    sender.expect_event("msg");
  }
  auto t0 = Clock::now();
  server->signal(SIGTERM);
  expect_json_shutdown(sender);
  auto st = server->wait_exit(1s + 3s);
  ASSERT_TRUE(st) << "a reader that never reads held up the exit past --drain-timeout 1s";
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 4.0);
}

}  // namespace
}  // namespace chatd_it
