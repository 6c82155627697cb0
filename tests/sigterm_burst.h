// The SIGTERM-in-a-burst scenario, shared by shutdown_burst_test.cc (a paced
// burst, which must pass today) and hardening_pending_test.cc (an unpaced
// one, which needs the sender to be pushed back: issue 11).
//
// Five members of one room read as fast as they can; the first also sends
// batches of 50 pipelined messages until the server closes it. Once 500 have
// come back, SIGTERM. Every message that got a seq (seqs are 1, 2, 3, ... so
// the highest anyone saw says which were assigned) must reach every member
// before chatd exits, and chatd must exit 0 within --drain-timeout + 1 s.
#pragma once

#include <gtest/gtest.h>

#include <signal.h>

#include <cstdio>
#include <memory>

#include "room_reader.h"
#include "server_fixture.h"

namespace chatd_it {

// window > 0: the sender stays at most `window` messages ahead of the slowest
// member; 0: no pacing, the sender writes as fast as the server reads.
inline void sigterm_in_a_burst(const ServerParam& param, int window) {
  auto server = ChatdProcess::start(param.backend, param.shards, {"--drain-timeout", "2s"});
  const auto t0 = RoomReader::Clock::now();
  const std::string room = "burst";
  constexpr int kMembers = 5, kBatch = 50;
  std::vector<std::unique_ptr<RoomReader>> members;
  for (int i = 0; i < kMembers; ++i) {
    Client c = login(server->port(), "m" + std::to_string(i));
    join(c, room);
    members.push_back(std::make_unique<RoomReader>(std::move(c), room, t0));
  }
  for (int i = 0; i < kMembers; ++i)
    for (int k = i + 1; k < kMembers; ++k) members[i]->client().read_until_ev("user_joined");
  for (auto& m : members) m->start();

  const std::string frame = op("msg").s("room", room).s("text", std::string(200, 'b')).str() + "\n";
  std::string batch;
  for (int i = 0; i < kBatch; ++i) batch += frame;
  std::atomic<bool> stop_writing{false};
  std::atomic<long> written{0};
  auto slowest = [&] {
    int least = members[0]->received();
    for (auto& m : members) least = std::min(least, m->received());
    return least;
  };
  std::thread writer([&] {
    Client& c = members[0]->client();  // writes only; its RoomReader reads
    while (!stop_writing) {
      if (window > 0 && written - slowest() > window - kBatch) {
        std::this_thread::sleep_for(100us);
        continue;
      }
      size_t n = c.try_send_raw(batch, 200ms);
      written += long(n / frame.size());
      if (n < batch.size()) std::this_thread::sleep_for(10ms);  // closed
    }
  });

  bool started = eventually([&] { return members[0]->received() >= 500; }, 10s);
  const auto signalled = RoomReader::Clock::now();
  if (started) server->signal(SIGTERM);
  auto st = started ? server->wait_exit(2s + 3s) : std::nullopt;
  const double took = std::chrono::duration<double>(RoomReader::Clock::now() - signalled).count();
  stop_writing = true;
  writer.join();
  for (auto& m : members) m->wait_eof(5s);
  ASSERT_TRUE(started) << "the burst did not start: " << members[0]->received() << " echoes";

  ASSERT_TRUE(st) << "chatd still running 5 s after SIGTERM; stderr:\n" << stderr_tail(*server);
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe() << "\n" << stderr_tail(*server);
  EXPECT_LT(took, 2.0 + 1.0) << "exit took " << took << " s with --drain-timeout 2s";

  int64_t assigned = 0;
  for (auto& m : members)
    if (!m->seqs().empty()) assigned = std::max(assigned, m->seqs().back());
  std::printf("[ figures  ] %s, %s: %ld msgs written, %lld got a seq, exit %.3f s after SIGTERM\n",
              server_label(param.backend, param.shards).c_str(),
              window > 0 ? "paced" : "unpaced", written.load(),
              static_cast<long long>(assigned), took);
  EXPECT_LT(assigned, written.load()) << "the burst ended before the signal: nothing was in flight";
  for (auto& m : members) {
    SCOPED_TRACE(m->label());
    std::printf("[ figures  ]   %s: %zu msgs, server_shutdown after %zu of them\n",
                m->label().c_str(), m->seqs().size(), m->msgs_before_shutdown());
    EXPECT_EQ(m->failure(), "");
    EXPECT_TRUE(m->got_shutdown()) << "no server_shutdown before the close";
    for (auto& e : m->errors())
      EXPECT_NE(e.find("server_shutdown"), std::string::npos) << "unexpected error: " << e;
    std::string mismatch = seq_mismatch(m->seqs(), assigned);
    EXPECT_EQ(mismatch, "") << "server_shutdown came after " << m->msgs_before_shutdown()
                            << " msgs";
  }
}

}  // namespace chatd_it
