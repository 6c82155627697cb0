// Limits on connections that have not logged in, through real sockets (issue 11,
// docs/protocol.md "Authentication" and "Choices where the contract is silent"):
// - --login-timeout (default 10 s): a connection not logged in by then is closed,
//   in every chat mode (silent/undecided, JSON, text), auth on or off; moving to
//   the home shard after a hello buys no time. Plain HTTP is governed by the HTTP
//   server's own timeouts, not this one.
// - --max-conns-per-ip N (default off): one source address holds at most N
//   connections across all shards; the rest are closed at accept.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <utility>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---- --login-timeout ------------------------------------------------------------

class LoginTimeout : public testing::TestWithParam<ServerParam> {
 protected:
  void SetUp() override {
    server_ = ChatdProcess::start(GetParam().backend, GetParam().shards, {"--login-timeout", "2s"});
  }
  uint16_t port() const { return server_->port(); }
  // Reads until the server closes; the close must come 2 s (the timeout)
  // after `since`, give or take.
  void expect_closed_by_timeout(Client& c, Clock::time_point since) {
    c.drain_to_eof(5s);
    const double at = seconds_since(since);
    EXPECT_GE(at, 1.8) << "closed before --login-timeout 2s";
    EXPECT_LE(at, 3.5) << "closed long after --login-timeout 2s";
  }
  std::unique_ptr<ChatdProcess> server_;
};

INSTANTIATE_TEST_SUITE_P(Backends, LoginTimeout, testing::ValuesIn(backends_x({2})), param_name);

TEST_P(LoginTimeout, ASilentConnectionIsClosed) {
  auto t0 = Clock::now();
  Client c = Client::connect(port(), {.label = "silent"});
  EXPECT_TRUE(starts_with(c.expect_line(3s), kPrompt));  // the prompt after 1 s, then nothing
  expect_closed_by_timeout(c, t0);
}

TEST_P(LoginTimeout, AJsonClientThatOnlyPingsIsClosed) {
  auto t0 = Clock::now();
  Client c = Client::connect(port(), {.label = "pinger"});
  // Activity is not a login: pinging every 200 ms does not keep it open.
  double closed_at = -1;
  for (int i = 0; seconds_since(t0) < 4.5 && closed_at < 0; ++i) {
    c.try_send_raw(op("ping").i("ts", i).str() + "\n", 100ms);
    for (auto until = Clock::now() + 200ms; Clock::now() < until && closed_at < 0;)
      if (!c.read_line(50ms) && c.closed()) closed_at = seconds_since(t0);
  }
  ASSERT_GE(closed_at, 0) << "a client that pinged but never said hello was open after 4.5 s";
  EXPECT_GE(closed_at, 1.8) << "closed before --login-timeout 2s";
  EXPECT_LE(closed_at, 3.5) << "closed long after --login-timeout 2s";
}

TEST_P(LoginTimeout, ATextClientThatNeverGivesAValidNameIsClosed) {
  auto t0 = Clock::now();
  Client c = Client::connect(port(), {.label = "text"});
  c.send_line("not a valid name!");
  EXPECT_TRUE(starts_with(c.expect_line(), "error: bad_name")) << c.recent();
  expect_closed_by_timeout(c, t0);
}

TEST_P(LoginTimeout, LoggedInClientsStayOpen) {
  Client j = Client::connect(port(), {.label = "json"});
  std::this_thread::sleep_for(1s);  // half the timeout, then log in
  hello(j, "late_json");
  Client t = text_login(port(), "late_text");
  std::this_thread::sleep_for(3s);  // past the timeout for both
  expect_alive(j);
  t.send_line("/rooms");
  EXPECT_FALSE(t.read_lines_until_quiet(300ms).empty()) << "the text user was closed";
  EXPECT_FALSE(t.closed());
}

// A hello moves the connection to the user's home shard even when the name is
// then refused (name_taken is decided there). Hellos that bounce it between the
// two shards must not restart its clock.
TEST_P(LoginTimeout, MovingBetweenShardsBuysNoTime) {
  std::map<int64_t, std::string> name_on_shard;
  std::vector<Client> owners;
  for (int i = 0; i < 40 && name_on_shard.size() < 2; ++i) {
    const std::string name = "owner" + std::to_string(i);
    Json w;
    owners.push_back(login(port(), name, &w));
    name_on_shard.emplace(w.i64("shard"), name);
  }
  ASSERT_EQ(name_on_shard.size(), 2u) << "40 names all on one shard";
  auto t0 = Clock::now();
  Client c = Client::connect(port(), {.label = "bouncer"});
  double closed_at = -1;
  for (int i = 0; seconds_since(t0) < 5 && closed_at < 0; ++i) {
    c.try_send_raw(op("hello").s("user", name_on_shard[i % 2]).str() + "\n", 100ms);
    for (auto until = Clock::now() + 300ms; Clock::now() < until && closed_at < 0;)
      if (!c.read_line(50ms) && c.closed()) closed_at = seconds_since(t0);
  }
  ASSERT_GE(closed_at, 0) << "hellos bouncing between shards kept a connection open 5 s";
  EXPECT_GE(closed_at, 1.8);
  EXPECT_LE(closed_at, 3.5);
  for (auto& o : owners) expect_alive(o);
}

// With auth on the clock runs the same; refused tokens do not stop it.
TEST_P(LoginTimeout, RunsWithAuthOnToo) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string key = std::string(tmp && *tmp ? tmp : "/tmp") + "/chatd_login_limits_" +
                          std::to_string(getpid()) + ".key";
  std::ofstream(key) << "login-limits-test-key-0123456789abcdef\n";
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards,
                                    {"--login-timeout", "2s", "--auth-secret-file", key});
  std::remove(key.c_str());  // read once at start-up
  auto t0 = Clock::now();
  Client c = Client::connect(server->port(), {.label = "no_token"});
  c.send(op("hello").s("user", "no_token"));
  EXPECT_EQ(c.read_json().str("code"), "unauthorized");
  expect_closed_by_timeout(c, t0);
}

class LoginTimeoutDefault : public FreshServerTest {};

INSTANTIATE_TEST_SUITE_P(Backends, LoginTimeoutDefault, testing::ValuesIn(backends_x({2})),
                         param_name);

TEST_P(LoginTimeoutDefault, IsTenSeconds) {
  auto t0 = Clock::now();
  Client c = Client::connect(port(), {.label = "anon"});
  c.send(op("ping").i("ts", 1));
  c.expect_event("pong");
  std::this_thread::sleep_for(8500ms);
  expect_alive(c);  // not yet
  c.drain_to_eof(4s);
  const double at = seconds_since(t0);
  EXPECT_GE(at, 9.8);
  EXPECT_LE(at, 11.5) << "a connection that never logged in was closed only after " << at << " s";
}

// ---- --max-conns-per-ip -----------------------------------------------------------

// A connection from a chosen loopback source address (Client always uses
// 127.0.0.1; loopback answers for all of 127/8).
class SourceConnection {
 public:
  SourceConnection(const char* source, uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in src{}, dst{};
    src.sin_family = dst.sin_family = AF_INET;
    inet_pton(AF_INET, source, &src.sin_addr);
    dst.sin_port = htons(port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0)
      throw HarnessError(std::string("cannot connect from ") + source);
  }
  ~SourceConnection() {
    if (fd_ >= 0) close(fd_);
  }
  SourceConnection(SourceConnection&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  SourceConnection(const SourceConnection&) = delete;

  // hello, and whether welcome came back within 2 s (false: refused, closed).
  bool hello(const std::string& user) {
    const std::string line = op("hello").s("user", user).str() + "\n";
    if (send(fd_, line.data(), line.size(), MSG_NOSIGNAL) != ssize_t(line.size())) return false;
    std::string got;
    for (auto deadline = Clock::now() + 2s; got.find('\n') == std::string::npos && Clock::now() < deadline;) {
      pollfd p{fd_, POLLIN, 0};
      char buf[4096];
      const ssize_t n = poll(&p, 1, 100) == 1 ? recv(fd_, buf, sizeof buf, 0) : -2;
      if (n == 0 || n == -1) break;
      if (n > 0) got.append(buf, size_t(n));
    }
    return got.find("\"welcome\"") != std::string::npos;
  }

 private:
  int fd_ = -1;
};

int open_fds(pid_t pid) {
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) throw HarnessError("cannot list /proc/" + std::to_string(pid) + "/fd");
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

class MaxConnsPerIp : public testing::TestWithParam<ServerParam> {};

INSTANTIATE_TEST_SUITE_P(Backends, MaxConnsPerIp, testing::ValuesIn(backends_x({2})), param_name);

TEST_P(MaxConnsPerIp, ConnectionsPastTheLimitFromOneAddressAreRefused) {
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards,
                                    {"--max-conns-per-ip", "5"});
  std::vector<Client> five;
  for (int i = 0; i < 5; ++i) five.push_back(login(server->port(), "ip" + std::to_string(i)));
  // The sixth from 127.0.0.1 is closed without a welcome.
  Client sixth = Client::connect(server->port(), {.label = "sixth"});
  sixth.try_send_raw(op("hello").s("user", "sixth").str() + "\n", 1s);
  for (auto& line : sixth.drain_to_eof(3s))
    EXPECT_EQ(line.find("\"welcome\""), std::string::npos) << "the sixth was welcomed: " << line;
  // Another address is not affected.
  EXPECT_TRUE(SourceConnection("127.0.0.2", server->port()).hello("other_ip"));
  // A slot freed is a slot again.
  five.pop_back();
  EXPECT_TRUE(eventually(
      [&] {
        auto t = Client::try_connect(server->port(), {.label = "again"});
        if (!t) return false;
        t->try_send_raw(op("hello").s("user", "again").str() + "\n", 200ms);
        auto line = t->read_line(300ms);
        return line && line->find("\"welcome\"") != std::string::npos;
      },
      3s))
      << "no new connection from 127.0.0.1 after one of the five closed";
  for (auto& c : five) expect_alive(c);
}

// Two addresses, each at the limit at once: the count is per address, over
// connections that land on both shards.
TEST_P(MaxConnsPerIp, EachAddressHasItsOwnCount) {
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards,
                                    {"--max-conns-per-ip", "3"});
  std::deque<SourceConnection> held;
  for (const char* source : {"127.0.0.2", "127.0.0.3"}) {
    SCOPED_TRACE(source);
    for (int i = 0; i < 3; ++i) {
      held.emplace_back(source, server->port());
      EXPECT_TRUE(held.back().hello(std::string("u") + source[8] + "_" + std::to_string(i)));
    }
    SourceConnection fourth(source, server->port());
    EXPECT_FALSE(fourth.hello(std::string("over") + source[8]));
  }
  held.pop_front();  // one of 127.0.0.2's closes: 127.0.0.2 may connect again
  EXPECT_TRUE(eventually([&] { return SourceConnection("127.0.0.2", server->port()).hello("back2"); }, 3s));
  EXPECT_FALSE(SourceConnection("127.0.0.3", server->port()).hello("still_over3"));
}

// What is asserted is what chatd keeps once it has seen the connections. While
// the flood runs, a descriptor can exist for a moment before the shard refuses
// it: io_uring's multishot accept installs fds as connections arrive, and a
// shard descheduled on a busy machine sees them a few milliseconds later (up to
// ~200 at once were seen on the 2-core dev VM under load; epoll accepts from the
// shard itself and never shows more than the limit). That peak is printed.
TEST_P(MaxConnsPerIp, HundredsOfConnectionsFromOneAddressHoldAtMostTheLimit) {
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards,
                                    {"--max-conns-per-ip", "10"});
  Client anchor_conn = Client::connect(server->port(), {.label = "anchor"});
  anchor_conn.close();  // only to reach the listener once before counting
  std::this_thread::sleep_for(200ms);  // and for chatd to see it close (its slot and fd free)
  const int fds_at_rest = open_fds(server->pid());
  std::vector<Client> flood;
  int peak = 0;
  for (int i = 0; i < 500; ++i) {
    auto c = Client::try_connect(server->port(), {.label = "f", .connect_timeout = 200ms});
    if (c) {
      c->try_send_raw(op("hello").s("user", "f" + std::to_string(i)).str() + "\n", 50ms);
      flood.push_back(std::move(*c));
    }
    if (i % 50 == 0) peak = std::max(peak, open_fds(server->pid()) - fds_at_rest);
  }
  std::this_thread::sleep_for(500ms);
  const int settled = open_fds(server->pid()) - fds_at_rest;
  std::printf("[ figures  ] %s: 500 connections from 127.0.0.1, --max-conns-per-ip 10: chatd held %d fds "
              "after the flood, %d at most while it ran\n",
              server_label(GetParam().backend, GetParam().shards).c_str(), settled, std::max(peak, settled));
  EXPECT_LE(settled, 10) << "500 connections from one address with --max-conns-per-ip 10 left " << settled
                         << " descriptors open in chatd";
  // The client's view: the first ten are open and logged in, every other one closed.
  int open = 0, welcomed = 0;
  for (Client& c : flood) {
    while (auto line = c.read_line(0ms))
      if (line->find("\"welcome\"") != std::string::npos) ++welcomed;
    if (!c.closed()) ++open;
  }
  EXPECT_EQ(open, 10);
  EXPECT_EQ(welcomed, 10);
  EXPECT_TRUE(SourceConnection("127.0.0.2", server->port()).hello("bystander"));
}

TEST_P(MaxConnsPerIp, IsOffByDefault) {
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards);
  std::vector<Client> many;
  for (int i = 0; i < 50; ++i) many.push_back(login(server->port(), "d" + std::to_string(i)));
  for (auto& c : many) expect_alive(c);
}

}  // namespace
}  // namespace chatd_it
