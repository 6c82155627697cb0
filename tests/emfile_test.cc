// Running out of file descriptors (RLIMIT_NOFILE 64): chatd must keep serving
// the connections it has, must not spin on a listener it cannot accept from,
// must not flood its log, and must recover when descriptors come back.
#include <gtest/gtest.h>

#include <thread>

#include "client.h"
#include "fd_fill.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

using Clock = std::chrono::steady_clock;

class Emfile : public testing::TestWithParam<ServerParam> {};

INSTANTIATE_TEST_SUITE_P(Backends, Emfile, testing::ValuesIn(backends_x({2})), param_name);

int count_lines(const std::string& text) { return int(std::count(text.begin(), text.end(), '\n')); }

int count_accept_errors(const std::string& text) {
  int n = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    for (auto& ch : line) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (line.find("accept") != std::string::npos || line.find("emfile") != std::string::npos ||
        line.find("too many open files") != std::string::npos)
      ++n;
    start = end + 1;
  }
  return n;
}

TEST_P(Emfile, ServesExistingClientsWithoutSpinningAndRecovers) {
  ProcessOptions base;
  base.nofile = 64;
  auto server =
      ChatdProcess::start(GetParam().backend, GetParam().shards, {"--max-conns", "1000"}, base);
  const uint16_t port = server->port();

  Client a = login(port, "anchor_a"), b = login(port, "anchor_b");
  join(a, "r");
  join(b, "r");
  a.expect_event("user_joined");

  // Fill the descriptor table until a hello goes unanswered.
  auto [welcomed, pending] = fill_descriptor_table(port, 8);
  ASSERT_FALSE(pending.empty()) << "with RLIMIT_NOFILE 64 chatd accepted " << welcomed.size()
                                << " connections and never stopped";
  EXPECT_LT(welcomed.size(), 64u);
  ASSERT_TRUE(server->running()) << "chatd died at EMFILE:\n" << stderr_tail(*server);

  // Two seconds of saturation: pending connections sit in the backlog.
  const size_t err_before = server->stderr_text().size();
  const double cpu_before = server->cpu_seconds();
  auto t0 = Clock::now();
  int rounds = 0;
  while (Clock::now() - t0 < 2s) {
    expect_alive(a);
    a.send(op("msg").s("room", "r").s("text", "still here " + std::to_string(rounds)));
    a.expect_event("msg");
    EXPECT_EQ(b.expect_event("msg").str("text"), "still here " + std::to_string(rounds));
    ++rounds;
    std::this_thread::sleep_for(200ms);
  }
  const double cpu = server->cpu_seconds() - cpu_before;
  const std::string log = server->stderr_text().substr(err_before);
  EXPECT_LT(cpu, 0.5) << "chatd used " << cpu << " s of CPU in 2 s while saturated (spinning?)";
  EXPECT_LE(count_accept_errors(log), 10) << "accept errors flood the log:\n"
                                          << log.substr(0, 3000);
  EXPECT_LE(count_lines(log), 40) << "log flood while saturated:\n" << log.substr(0, 3000);

  // Give descriptors back; a newcomer gets in within 2 s.
  pending.clear();
  for (int i = 0; i < 10 && !welcomed.empty(); ++i) welcomed.pop_back();
  auto t1 = Clock::now();
  bool recovered = false;
  for (int attempt = 0; Clock::now() - t1 < 2s; ++attempt) {
    Client c;
    if (try_login(port, "late" + std::to_string(attempt), 300ms, &c)) {
      recovered = true;
      expect_alive(c);
      break;
    }
  }
  EXPECT_TRUE(recovered) << "no new client could log in within 2 s after descriptors were freed";
  expect_alive(a);
  expect_alive(b);
  EXPECT_TRUE(server->running());
}

}  // namespace
}  // namespace chatd_it
