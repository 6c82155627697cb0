// SIGTERM in the middle of a burst (issue 11, "Faults"): the graceful stop of
// docs/protocol.md ("Guarantees") may not lose what it already accepted.
// Every message that got a seq must reach every member that reads as fast as
// it can before chatd exits, and chatd exits 0 within --drain-timeout + 1 s.
//
// The sender keeps at most kWindow messages ahead of the slowest member, so
// no member is ever near --max-outbound: a loss here is the stop's fault, not
// the bound's. (An unpaced burst also overflows members that keep up, until
// the sender is pushed back: tests/hardening_pending_test.cc has that case.)
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "client.h"
#include "server_fixture.h"

namespace chatd_it {
namespace {

using Clock = std::chrono::steady_clock;

class ShutdownBurst : public testing::TestWithParam<ServerParam> {};

INSTANTIATE_TEST_SUITE_P(Backends, ShutdownBurst, testing::ValuesIn(backends_x({1, 4})),
                         param_name);

// A member that reads as fast as it can, in its own thread, until EOF.
struct Member {
  Client client;
  std::vector<int64_t> seqs;  // of the room's msg events, as received
  std::atomic<int> received{0};
  bool got_shutdown = false;
  size_t msgs_before_shutdown = 0;  // where server_shutdown came in the stream
  std::string failure;
  std::thread reader;

  void start(const std::string& room) {
    reader = std::thread([this, room] {
      try {
        read_until_eof(room);
      } catch (const std::exception& e) {
        failure = e.what();
      }
    });
  }

  void read_until_eof(const std::string& room) {
    const auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline) {
      auto line = client.read_line(200ms);
      if (!line) {
        if (client.closed()) return;
        continue;
      }
      std::string err;
      auto j = Json::parse(*line, &err);
      if (!j) throw HarnessError("[" + client.label() + "] not JSON: " + line->substr(0, 200));
      const std::string& ev = j->str("ev");
      if (ev == "msg" && j->str("room") == room) {
        seqs.push_back(j->i64("seq"));
        ++received;
      } else if (ev == "error" && j->str("code") == "server_shutdown") {
        got_shutdown = true;
        msgs_before_shutdown = seqs.size();
      } else if (ev == "error") {
        throw HarnessError("[" + client.label() + "] got " + *line);
      }
    }
    throw HarnessError("[" + client.label() + "] no EOF within 20 s");
  }
};

TEST_P(ShutdownBurst, EverySequencedMessageReachesEveryMemberBeforeExit) {
  auto server = ChatdProcess::start(GetParam().backend, GetParam().shards,
                                    {"--drain-timeout", "2s"});
  const uint16_t port = server->port();
  const std::string room = "burst";
  constexpr int kMembers = 5;  // members[0] sends; all five read
  std::vector<std::unique_ptr<Member>> members;
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(std::make_unique<Member>());
    members[i]->client = login(port, "m" + std::to_string(i));
    join(members[i]->client, room);
  }
  for (int i = 0; i < kMembers; ++i)
    for (int k = i + 1; k < kMembers; ++k) members[i]->client.read_until_ev("user_joined");
  for (auto& m : members) m->start(room);

  // The sender writes batches of kBatch messages, pipelined in one write
  // each, until the connection is closed.
  constexpr int kBatch = 50, kWindow = 400;  // 400 x 230 B: ~90 KiB, far below 4 MiB
  const std::string frame = op("msg").s("room", room).s("text", std::string(200, 'b')).str() + "\n";
  std::string batch;
  for (int i = 0; i < kBatch; ++i) batch += frame;
  std::atomic<bool> stop_writing{false};
  std::atomic<long> written{0};
  auto slowest = [&] {
    int least = members[0]->received;
    for (auto& m : members) least = std::min(least, m->received.load());
    return least;
  };
  std::thread writer([&] {
    // Only writes: the member's reader thread owns the client's read side.
    Client& c = members[0]->client;
    while (!stop_writing) {
      if (written - slowest() > kWindow - kBatch) {
        std::this_thread::sleep_for(100us);
        continue;
      }
      size_t n = c.try_send_raw(batch, 200ms);
      written += long(n / frame.size());
      if (n < batch.size()) std::this_thread::sleep_for(10ms);  // closed
    }
  });

  // SIGTERM once the burst is well under way.
  ASSERT_TRUE(eventually([&] { return members[0]->received >= 500; }, 10s))
      << "the burst did not start: " << members[0]->received << " echoes";
  const auto t0 = Clock::now();
  server->signal(SIGTERM);
  auto st = server->wait_exit(2s + 3s);
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  stop_writing = true;
  writer.join();
  for (auto& m : members) m->reader.join();

  ASSERT_TRUE(st) << "chatd still running 5 s after SIGTERM; stderr:\n" << stderr_tail(*server);
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe() << "\n" << stderr_tail(*server);
  EXPECT_LT(took, 2.0 + 1.0) << "exit took " << took << " s with --drain-timeout 2s";

  int64_t assigned = 0;  // the highest seq anyone saw: every seq up to it was assigned
  for (auto& m : members)
    if (!m->seqs.empty()) assigned = std::max(assigned, m->seqs.back());
  std::printf("[ figures  ] %s: %ld msgs written, %lld got a seq before the stop, exit %.3f s "
              "after SIGTERM\n",
              server_label(GetParam().backend, GetParam().shards).c_str(), written.load(),
              static_cast<long long>(assigned), took);
  for (auto& m : members)
    std::printf("[ figures  ]   %s: %zu msgs, server_shutdown after %zu of them\n",
                m->client.label().c_str(), m->seqs.size(), m->msgs_before_shutdown);
  EXPECT_LT(assigned, written.load()) << "the burst ended before the signal: nothing was in flight";
  std::vector<int64_t> all;
  for (int64_t s = 1; s <= assigned; ++s) all.push_back(s);
  for (auto& m : members) {
    SCOPED_TRACE(m->client.label());
    EXPECT_EQ(m->failure, "");
    EXPECT_TRUE(m->got_shutdown) << "no server_shutdown before the close";
    if (m->seqs == all) continue;
    size_t at = 0;
    while (at < m->seqs.size() && m->seqs[at] == all[at]) ++at;
    ADD_FAILURE() << "got " << m->seqs.size() << " of the " << assigned
                  << " sequenced messages; first difference at index " << at << ": got "
                  << (at < m->seqs.size() ? std::to_string(m->seqs[at]) : "(none)")
                  << ", expected " << (at < all.size() ? std::to_string(all[at]) : "(none)")
                  << "; server_shutdown came after " << m->msgs_before_shutdown << " msgs";
  }
}

}  // namespace
}  // namespace chatd_it
