// Command line and backend selection: --backend auto with a failing io_uring
// probe falls back to epoll, --help, --version and invalid flags.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

int occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

// hello, join, msg between two users.
void smoke(uint16_t port) {
  Client a = login(port, "alice"), b = login(port, "bob");
  join(a, "lobby");
  join(b, "lobby");
  a.expect_event("user_joined");
  a.send(op("msg").s("room", "lobby").s("text", "works"));
  EXPECT_EQ(a.expect_event("msg").str("text"), "works");
  EXPECT_EQ(b.expect_event("msg").str("text"), "works");
}

TEST(Backend, AutoFallsBackToEpollWhenTheUringProbeFails) {
  ProcessOptions base;
  base.env = {{"CHATD_FORCE_URING_FAILURE", "1"}};
  auto server = ChatdProcess::start("auto", 2, {}, base);
  EXPECT_EQ(server->backend(), "epoll");
  smoke(server->port());
  EXPECT_EQ(occurrences(server->stderr_text(), "falling back to epoll"), 1)
      << server->stderr_text();
}

TEST(Backend, AutoPicksUringWhenItWorks) {
  std::ifstream f("/proc/sys/kernel/io_uring_disabled");
  int disabled = 0;
  if (f >> disabled && disabled != 0) GTEST_SKIP() << "io_uring is disabled on this machine";
  auto server = ChatdProcess::start("auto", 2);
  if (server->stderr_text().find("built without io_uring") != std::string::npos)
    GTEST_SKIP() << "this chatd was built without io_uring (meson -During=disabled or no liburing)";
  EXPECT_EQ(server->backend(), "uring");
  EXPECT_EQ(occurrences(server->stderr_text(), "falling back"), 0) << server->stderr_text();
  smoke(server->port());
}

TEST(Backend, ShardsFlagSetsTheShardCount) {
  auto server = ChatdProcess::start("epoll", 3);
  EXPECT_EQ(server->shards(), 3);
  Json w;
  Client c = login(server->port(), "counter", &w);
  EXPECT_EQ(w.i64("shards"), 3);
}

TEST(Backend, ExplicitPortIsUsed) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);
  close(fd);
  ProcessOptions o;
  o.args = {"--port", std::to_string(port), "--bind", "127.0.0.1", "--backend", "epoll",
            "--shards", "1", "--metrics-port", "0"};
  ChatdProcess p(o);
  ASSERT_TRUE(p.wait_ready()) << p.stderr_text();
  EXPECT_EQ(p.port(), port);
  Client c = login(port, "porter");
}

TEST(Backend, SizeAndDurationSuffixesAreAccepted) {
  const std::vector<std::vector<std::string>> ok = {
      {"--max-outbound", "64K"},      {"--max-outbound", "1M"},    {"--max-outbound", "1G"},
      {"--max-outbound", "65536"},    {"--slow-timeout", "500ms"}, {"--slow-timeout", "2s"},
      {"--drain-timeout", "250ms"},   {"--max-frame", "2048"},     {"--max-text", "100"},
      {"--history", "2000"},            {"--rate-limit", "100"},     {"--max-conns", "100"},
      {"--log-level", "debug"},       {"--log-level", "info"},
  };
  for (auto& flags : ok) {
    SCOPED_TRACE(flags[0] + " " + flags[1]);
    auto server = ChatdProcess::start("epoll", 1, flags);
    Client c = login(server->port(), "suffix");
  }
}

TEST(Backend, HelpMentionsEveryFlagAndExitsZero) {
  RunResult r = run_chatd({"--help"});
  EXPECT_TRUE(r.status.exited && r.status.code == 0) << r.status.describe();
  std::string all = r.out + r.err;
  for (const char* flag :
       {"--port", "--bind", "--shards", "--backend", "--max-conns", "--max-outbound",
        "--slow-timeout", "--max-frame", "--max-text", "--history", "--rate-limit",
        "--drain-timeout", "--log-level", "--metrics-port", "--help", "--version"})
    EXPECT_NE(all.find(flag), std::string::npos) << "--help does not mention " << flag << ":\n"
                                                 << all;
}

TEST(Backend, VersionPrintsTheVersion) {
  RunResult r = run_chatd({"--version"});
  EXPECT_TRUE(r.status.exited && r.status.code == 0) << r.status.describe();
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "chatd 0.1.0") << "stdout: " << r.out
                                                              << "\nstderr: " << r.err;
}

TEST(Backend, InvalidFlagsExitWithCode2AndAMessage) {
  const std::vector<std::vector<std::string>> bad = {
      {"--frobnicate"},
      {"--frobnicate", "1"},
      {"--port"},
      {"--port", "notaport"},
      {"--port", "70000"},
      {"--backend", "bogus"},
      {"--shards", "many"},
      {"--max-outbound", "12Q"},
      {"--max-outbound", "-1"},
      {"--slow-timeout", "soon"},
      {"--drain-timeout", "5x"},
      {"--max-frame", "-5"},
      {"--rate-limit", "-1"},
      {"--log-level", "loud"},
      {"stray-positional"},
  };
  for (auto& flags : bad) {
    std::string shown;
    for (auto& f : flags) shown += f + " ";
    SCOPED_TRACE(shown);
    // A safe port in case the flag is (wrongly) accepted and chatd starts.
    std::vector<std::string> args = {"--port", "0", "--bind", "127.0.0.1", "--metrics-port", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    RunResult r = run_chatd(args, 3s);
    EXPECT_TRUE(r.status.exited && r.status.code == 2)
        << r.status.describe() << (r.status.code == -1 ? " (still running after 3 s)" : "")
        << "\nstderr: " << r.err.substr(0, 500);
    EXPECT_FALSE(r.err.empty()) << "no message on stderr";
  }
}

}  // namespace
}  // namespace chatd_it
