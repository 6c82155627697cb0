// An fd-limit storm (issue 11, "Faults"): chatd under RLIMIT_NOFILE 64, its
// descriptors all taken, while 200 clients hammer connect. It must not spin
// on a listener it cannot accept from (its CPU over a 2 s window stays low),
// must keep serving the clients it has, and must accept again within about a
// second once descriptors are freed. tests/emfile_test.cc checks the same
// server at rest at the limit; this one adds the storm and the figures.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "client.h"
#include "fd_fill.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

class FdStorm : public testing::TestWithParam<ServerParam> {};

INSTANTIATE_TEST_SUITE_P(Backends, FdStorm, testing::ValuesIn(backends_x({2})), param_name);

// `slots` sockets, each connecting again and again: a connection that is
// established gets a hello and is reset at once (SO_LINGER 0, so no
// TIME_WAIT uses up the ephemeral ports); one that is not established within
// 100 ms (the backlog is full) is abandoned. Each slot connects at most every
// 20 ms. Runs in its own thread until stop.
class ConnectStorm {
 public:
  ConnectStorm(uint16_t port, int slots) : port_(port), fds_(size_t(slots), -1), started_(size_t(slots)) {}
  ~ConnectStorm() { stop(); }

  void start() { thread_ = std::thread([this] { run(); }); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long attempts() const { return attempts_; }
  long established() const { return established_; }

 private:
  void run() {
    const std::string hello = op("hello").s("user", "storm").str() + "\n";
    while (!stop_) {
      const auto now = Clock::now();
      std::vector<pollfd> pfds;
      for (size_t i = 0; i < fds_.size(); ++i) {
        if (fds_[i] < 0 && now - started_[i] >= 20ms) open_slot(i);
        if (fds_[i] >= 0 && now - started_[i] > 100ms) close_slot(i);
        if (fds_[i] >= 0) pfds.push_back({fds_[i], POLLOUT, 0});
      }
      poll(pfds.data(), pfds.size(), 5);
      for (auto& p : pfds) {
        if (!(p.revents & (POLLOUT | POLLERR | POLLHUP))) continue;
        size_t i = size_t(std::find(fds_.begin(), fds_.end(), p.fd) - fds_.begin());
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
          ++established_;
          (void)!send(p.fd, hello.data(), hello.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        close_slot(i);
      }
    }
    for (size_t i = 0; i < fds_.size(); ++i) close_slot(i);
  }

  void open_slot(size_t i) {
    started_[i] = Clock::now();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ++attempts_;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      return;
    }
    fds_[i] = fd;
  }

  void close_slot(size_t i) {
    if (fds_[i] >= 0) ::close(fds_[i]);
    fds_[i] = -1;
  }

  uint16_t port_;
  std::vector<int> fds_;
  std::vector<Clock::time_point> started_;
  std::atomic<bool> stop_{false};
  std::atomic<long> attempts_{0}, established_{0};
  std::thread thread_;
};

TEST_P(FdStorm, CpuStaysLowAtTheLimitAndAcceptingResumesWhenFdsAreFreed) {
  ProcessOptions base;
  base.nofile = 64;
  auto server =
      ChatdProcess::start(GetParam().backend, GetParam().shards, {"--max-conns", "1000"}, base);
  const uint16_t port = server->port();
  Client a = login(port, "anchor_a"), b = login(port, "anchor_b");
  join(a, "r");
  join(b, "r");
  a.expect_event("user_joined");

  // Take every descriptor: fill until a hello goes unanswered.
  auto [held, pending] = fill_descriptor_table(port, 4);
  ASSERT_FALSE(pending.empty()) << "under RLIMIT_NOFILE 64 chatd accepted " << held.size()
                                << " connections and never stopped";

  ConnectStorm storm(port, 200);
  storm.start();
  std::this_thread::sleep_for(500ms);  // the backlog fills up
  const double cpu_before = server->cpu_seconds();
  const auto window = Clock::now();
  int rounds = 0;
  while (Clock::now() - window < 2s) {  // the clients it has are still served
    a.send(op("msg").s("room", "r").s("text", "round " + std::to_string(rounds)));
    EXPECT_EQ(b.read_until_ev("msg").str("text"), "round " + std::to_string(rounds));
    a.read_until_ev("msg");
    ++rounds;
    std::this_thread::sleep_for(100ms);
  }
  const double cpu_share = (server->cpu_seconds() - cpu_before) / seconds_since(window);
  storm.stop();
  std::printf("[ figures  ] %s: chatd CPU %.1f%% of a core over 2 s at the fd limit, storm of "
              "200 clients: %ld connects (%ld established)\n",
              server_label(GetParam().backend, GetParam().shards).c_str(), 100 * cpu_share,
              storm.attempts(), storm.established());
  RecordProperty("cpu_percent_at_limit", std::to_string(100 * cpu_share));
  EXPECT_LT(cpu_share, 0.30) << "chatd used " << 100 * cpu_share
                             << "% of a core at the fd limit under a connect storm (spinning?)";
  EXPECT_GT(storm.established(), 0) << "the storm never reached the listener";
  ASSERT_TRUE(server->running()) << "chatd died in the storm:\n" << stderr_tail(*server);

  // Free descriptors; time until a newcomer is welcomed.
  pending.clear();
  for (int i = 0; i < 10 && !held.empty(); ++i) held.pop_back();
  const auto freed = Clock::now();
  double resumed = -1;
  for (int attempt = 0; seconds_since(freed) < 5.0; ++attempt) {
    Client c;
    if (try_login(port, "late" + std::to_string(attempt), 100ms, &c, 50ms)) {
      resumed = seconds_since(freed);
      expect_alive(c);
      break;
    }
  }
  std::printf("[ figures  ] %s: a new client was welcomed %.3f s after fds were freed\n",
              server_label(GetParam().backend, GetParam().shards).c_str(), resumed);
  RecordProperty("resume_seconds", std::to_string(resumed));
  ASSERT_GE(resumed, 0) << "no new client could log in within 5 s after descriptors were freed";
  EXPECT_LT(resumed, 1.5) << "accepting resumed " << resumed << " s after descriptors were freed";
  expect_alive(a);
  expect_alive(b);
}

}  // namespace
}  // namespace chatd_it
