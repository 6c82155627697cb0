// Issue 11's hardening that chatd does not do yet; these tests FAIL until it
// does, so tests/meson.build does not register this file yet. Once the
// features land, add (the lead does, at merge):
//
//   ['hardening_pending_uring', 'hardening_pending_test.cc', '*uring*', ['threaded']],
//   ['hardening_pending_epoll', 'hardening_pending_test.cc', '*epoll*', ['threaded']],
//
// (--login-timeout and --max-conns-per-ip moved to tests/login_limits_test.cc
// when chatd gained them; the half HTTP head below waits for the HTTP server.)
// - The burst: one member writing 2000 x 1 KiB in a single write must not
//   make members that keep up lose messages; the sender is pushed back
//   instead, and only the member that never reads is cut (issue 11, "Broken
//   today"). Also SIGTERM during such an unpaced burst.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "room_reader.h"
#include "server_fixture.h"
#include "sigterm_burst.h"

namespace chatd_it {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---- a half HTTP head --------------------------------------------------------------
// For the HTTP/WebSocket work: chatd answers GET with 501 today (closed at once).
// --login-timeout exempts plain HTTP connections (src/shard/login.cc: an HTTP
// connection's own head and keep-alive timeouts govern it), so this passes when
// the HTTP head timeout closes a head that never ends by the time asserted here.

class LoginTimeout : public testing::TestWithParam<ServerParam> {
 protected:
  void SetUp() override {
    server_ = ChatdProcess::start(GetParam().backend, GetParam().shards, {"--login-timeout", "2s"});
  }
  uint16_t port() const { return server_->port(); }
  void expect_closed_by_timeout(Client& c, Clock::time_point since) {
    c.drain_to_eof(5s);
    const double at = seconds_since(since);
    EXPECT_GE(at, 1.8) << "closed before --login-timeout 2s";
    EXPECT_LE(at, 3.5) << "closed long after --login-timeout 2s";
  }
  std::unique_ptr<ChatdProcess> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, LoginTimeout, testing::ValuesIn(backends_x({2})), param_name);

TEST_P(LoginTimeout, HalfAnHttpRequestIsClosed) {
  auto t0 = Clock::now();
  Client c = Client::connect(port(), {.label = "http"});
  c.send_raw("GET /ws HTTP/1.1\r\nHost: x\r\n");  // the head never ends
  expect_closed_by_timeout(c, t0);
}

// ---- the burst ----------------------------------------------------------------------

class Burst : public testing::TestWithParam<ServerParam> {};

INSTANTIATE_TEST_SUITE_P(Backends, Burst, testing::ValuesIn(backends_x({1, 4})), param_name);

TEST_P(Burst, FastMembersGetAll2000WhileTheSenderIsSlowedAndTheStalledOneIsCut) {
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards,
                                    {"--max-outbound", "65536", "--slow-timeout", "2"});
  const auto t0 = Clock::now();
  const std::string room = "burst";
  Client stalled = Client::connect(server->port(), {.label = "stalled", .rcvbuf = 4096});
  hello(stalled, "stalled");
  join(stalled, room);
  std::vector<std::unique_ptr<RoomReader>> fast;  // [0] is the sender
  for (std::string name : {"sender", "fast1", "fast2", "fast3", "fast4"}) {
    Client c = login(server->port(), name);
    join(c, room);
    fast.push_back(std::make_unique<RoomReader>(std::move(c), room, t0));
    fast.back()->start();
  }

  constexpr int kBurst = 2000;
  const std::string frame =
      op("msg").s("room", room).s("text", std::string(1024, 'k')).str() + "\n";
  std::string blob;
  for (int i = 0; i < kBurst; ++i) blob += frame;
  std::string write_error;
  double write_seconds = -1;
  std::thread writer([&] {  // the single write: ~2.1 MB
    size_t n = fast[0]->client().try_send_raw(blob, 60s);
    write_seconds = seconds_since(t0);
    if (n != blob.size())
      write_error = "wrote " + std::to_string(n) + " of " + std::to_string(blob.size()) + " bytes";
  });
  auto least = [&] {
    int n = kBurst;
    for (auto& m : fast) n = std::min(n, m->received());
    return n;
  };
  // Until all have everything, or nothing moves for 3 s.
  for (int last = -1, still = 0; least() < kBurst && still < 30 && seconds_since(t0) < 40;) {
    std::this_thread::sleep_for(100ms);
    int now = least();
    still = now == last ? still + 1 : 0;
    last = now;
  }
  writer.join();
  // Keep the room busy (so the stalled member stays over the bound) until
  // everyone saw it leave, or 8 s.
  int sent = kBurst;
  auto all_saw_it_leave = [&] {
    for (auto& m : fast)
      if (m->left_at("stalled") < 0) return false;
    return true;
  };
  for (auto until = Clock::now() + 8s; write_error.empty() && !all_saw_it_leave() && Clock::now() < until; ++sent) {
    fast[0]->client().try_send_raw(op("msg").s("room", room).s("text", "tick").str() + "\n", 1s);
    std::this_thread::sleep_for(50ms);
  }
  eventually([&] { return least() >= sent; }, 5s);
  for (auto& m : fast) m->stop();

  std::printf("[ figures  ] %s: the 2000-message write took %.2f s; received:",
              server_label(GetParam().backend, GetParam().shards).c_str(), write_seconds);
  for (auto& m : fast) std::printf(" %s %zu", m->label().c_str(), m->seqs().size());
  std::printf(" of %d\n", sent);
  EXPECT_EQ(write_error, "") << "the sender's write failed (it must be slowed, not errored)";
  for (auto& m : fast) {
    SCOPED_TRACE(m->label());
    EXPECT_EQ(m->failure(), "");
    EXPECT_TRUE(m->errors().empty()) << "a member that keeps up got " << m->errors().front();
    EXPECT_EQ(seq_mismatch(m->seqs(), sent), "");
    EXPECT_GE(m->left_at("stalled"), 0) << "the stalled member was never cut";
  }
  auto lines = stalled.drain_to_eof(10s);
  ASSERT_FALSE(lines.empty());
  std::string err;
  auto last = Json::parse(lines.back(), &err);
  ASSERT_TRUE(last) << lines.back();
  EXPECT_EQ(last->str("ev"), "error") << lines.back().substr(0, 200);
  if (last->str("ev") == "error") check_error_shape(*last, "slow_consumer", "");
}

class UnpacedSigtermBurst : public testing::TestWithParam<ServerParam> {};

INSTANTIATE_TEST_SUITE_P(Backends, UnpacedSigtermBurst, testing::ValuesIn(backends_x({1, 4})),
                         param_name);

TEST_P(UnpacedSigtermBurst, EverySequencedMessageReachesEveryMemberBeforeExit) {
  sigterm_in_a_burst(GetParam(), 0);
}

}  // namespace
}  // namespace chatd_it
