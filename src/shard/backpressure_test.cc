// Every cross-shard queue fills and nothing accepted is lost: with tiny rings and
// outbox watermarks, a client that pours hundreds of msgs in at once is held
// (its input not read) and resumed again and again, and every member still
// receives every msg, in seq order.
#include <gtest/gtest.h>

#include <string>

#include "shard/test_support.h"

namespace chatd::shard::testing {
namespace {

constexpr int kBurst = 400;

struct Member {
  Member(uint16_t port, const std::string& user, const std::string& room) : client(port) {
    client.send("{\"op\":\"hello\",\"user\":\"" + user + "\"}\n");
    client.read_until("\"welcome\"");
    client.send("{\"op\":\"join\",\"room\":\"" + room + "\"}\n");
    client.read_until("\"joined\"");
  }
  LineClient client;
};

std::string burst(const std::string& room, int n) {
  std::string frames;
  for (int i = 1; i <= n; ++i)
    frames += "{\"op\":\"msg\",\"room\":\"" + room + "\",\"text\":\"number " + std::to_string(i) + "\"}\n";
  return frames;
}

// Reads `n` msgs and checks they are the burst's, in order, with seqs 1..n.
void expect_all_in_order(LineClient& client, int n) {
  for (int i = 1; i <= n; ++i) {
    const std::string_view line = client.read_until("\"ev\":\"msg\"");
    ASSERT_NE(line.find("\"text\":\"number " + std::to_string(i) + "\""), std::string_view::npos) << line;
    ASSERT_NE(line.find("\"seq\":" + std::to_string(i) + "}"), std::string_view::npos) << line;
  }
}

// The room is owned by the sender's own shard: each msg is published at once and
// posts its broadcasts to the shard's own outbox, which fills within one read.
TEST(Backpressure, TheOwnOutboxFillsAndTheSenderResumes) {
  InProcessServer server(1, {}, 16 * 1024, /*outbox_watermark=*/8);
  Member alice(server.port(), "alice", "lobby");
  Member bob(server.port(), "bob", "lobby");
  alice.client.read_until("\"user_joined\"");
  alice.client.send(burst("lobby", kBurst));
  expect_all_in_order(bob.client, kBurst);
  expect_all_in_order(alice.client, kBurst);
  EXPECT_GT(server.stats(0).inputs_held.get(), 0u);
  // Held at the watermark: the outbox never took more than one read's worth past it.
  EXPECT_LE(server.stats(0).outbox_peak.get(), 8u);
}

// The room is owned by the other shard, whose ring holds two envelopes: the
// sender's outbox to it fills, the owner's outbox back fills (and it reports
// itself backlogged), and both rings are full most of the time.
TEST(Backpressure, PeerRingsAndOutboxesFillAndNothingIsLost) {
  InProcessServer server(2, {}, /*ring_capacity=*/2, /*outbox_watermark=*/4);
  const std::string room = name_on_shard("room", 1, 2);
  Member alice(server.port(), name_on_shard("alice", 0, 2), room);
  Member bob(server.port(), name_on_shard("bob", 1, 2), room);
  alice.client.read_until("\"user_joined\"");
  alice.client.send(burst(room, kBurst));
  expect_all_in_order(bob.client, kBurst);
  expect_all_in_order(alice.client, kBurst);
  EXPECT_GT(server.stats(0).inputs_held.get(), 0u);
  EXPECT_GT(server.stats(0).ring_full.get() + server.stats(1).ring_full.get(), 0u);
  // Past the watermark (4) only by what was already admitted and in flight.
  EXPECT_LE(server.stats(0).outbox_peak.get(), 16u);
  EXPECT_LE(server.stats(1).outbox_peak.get(), 16u);
}

}  // namespace
}  // namespace chatd::shard::testing
