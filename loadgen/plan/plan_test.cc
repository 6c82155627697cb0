#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "loadgen/plan/room_plan.h"
#include "loadgen/plan/scenario.h"

namespace chatd::loadgen {
namespace {

TEST(RoomPlan, DeterministicFromTheSeedAndBalanced) {
  RoomPlan a("abc", 25, 7), b("abc", 25, 7), c("abc", 25, 8);
  bool differs = false;
  for (uint64_t n = 0; n < 1000; ++n) {
    EXPECT_EQ(a.room_of(n), b.room_of(n));
    differs |= a.room_of(n) != c.room_of(n);
  }
  EXPECT_TRUE(differs) << "another seed should place clients differently";
  auto sizes = a.room_sizes(1010);
  ASSERT_EQ(sizes.size(), 25u);
  for (uint32_t s : sizes) EXPECT_TRUE(s == 40 || s == 41) << s;
}

TEST(RoomPlan, EveryRoomUsedOncePerRound) {
  RoomPlan p("x", 10, 3);
  std::set<uint32_t> rooms;
  for (uint64_t n = 0; n < 10; ++n) rooms.insert(p.room_of(n));
  EXPECT_EQ(rooms.size(), 10u);
}

// --hosts: each room's members go round robin over the nodes, so every room
// spans every node and the nodes stay within half the node count of each other.
TEST(RoomPlan, NodesAreDealtRoundRobinWithinEachRoom) {
  for (uint32_t rooms : {1u, 2u, 4u, 25u}) {
    for (uint32_t nodes : {1u, 2u, 3u, 4u, 5u}) {
      SCOPED_TRACE("rooms " + std::to_string(rooms) + ", nodes " + std::to_string(nodes));
      RoomPlan p("x", rooms, 9);
      for (uint32_t clients : {0u, 1u, 7u, 100u, 1013u}) {
        std::vector<std::vector<uint32_t>> per_room(rooms, std::vector<uint32_t>(nodes, 0));
        std::vector<uint32_t> per_node(nodes, 0);
        for (uint32_t n = 0; n < clients; ++n) {
          const uint32_t node = p.node_of(n, nodes);
          ASSERT_LT(node, nodes);
          ++per_room[p.room_of(n)][node];
          ++per_node[node];
        }
        for (const auto& room : per_room) {
          const auto [lo, hi] = std::minmax_element(room.begin(), room.end());
          EXPECT_LE(*hi - *lo, 1u) << "a room's members are spread evenly over the nodes";
        }
        const auto [lo, hi] = std::minmax_element(per_node.begin(), per_node.end());
        EXPECT_LE(*hi - *lo, (nodes + 1) / 2) << clients << " clients";
      }
    }
  }
  // One room: plain round robin, client n on node n % nodes.
  RoomPlan one("x", 1, 1);
  for (uint32_t n = 0; n < 12; ++n) EXPECT_EQ(one.node_of(n, 3), n % 3);
  // Where client % nodes would put each of 4 rooms on one node of 2, every room spans both.
  RoomPlan four("x", 4, 1);
  for (uint32_t n = 0; n < 4; ++n) EXPECT_NE(four.node_of(n, 2), four.node_of(n + 4, 2)) << "room of client " << n;
  EXPECT_EQ(four.node_of(123, 1), 0u);
}

TEST(RoomPlan, NamesFollowTheProtocolRules) {
  RoomPlan p("k3x9qa", 25, 1);
  EXPECT_EQ(p.user_name(12), "lg-k3x9qa-12");
  EXPECT_EQ(p.room_name(3), "lg-k3x9qa-r3");
  EXPECT_LE(p.user_name(9'999'999).size(), 32u);
  EXPECT_EQ(make_run_token(1, 2), make_run_token(1, 2));
  EXPECT_NE(make_run_token(1, 2), make_run_token(1, 3));
  EXPECT_EQ(make_run_token(1, 2).size(), 6u);
  RoomPlan named("k3x9qa", 25, 1, "observed-");
  EXPECT_EQ(named.room_name(3), "observed-3");
  EXPECT_EQ(named.user_name(12), "lg-k3x9qa-12") << "the prefix names rooms only";
}

TEST(RoomPlan, MemberIndexIsDenseWithinEachRoom) {
  RoomPlan p("x", 4, 9);
  std::vector<std::set<uint32_t>> seen(4);
  for (uint64_t n = 0; n < 40; ++n) seen[p.room_of(n)].insert(p.member_index(n));
  for (const auto& s : seen) {
    ASSERT_EQ(s.size(), 10u);
    EXPECT_EQ(*s.rbegin(), 9u);
  }
}

TEST(RoomPlan, RandomPeerIsAnotherClientUniformAndDeterministic) {
  RoomPlan p("x", 4, 9), same("y", 4, 9), other("x", 4, 10);
  std::vector<uint32_t> hits(10, 0);
  bool differs = false;
  for (uint32_t n = 0; n < 10000; ++n) {
    const uint32_t sender = n % 10;
    const uint32_t to = p.random_peer(1, sender, n, 10);
    ASSERT_LT(to, 10u);
    ASSERT_NE(to, sender);
    EXPECT_EQ(to, same.random_peer(1, sender, n, 10));
    differs |= to != other.random_peer(1, sender, n, 10);
    ++hits[to];
  }
  EXPECT_TRUE(differs);
  for (uint32_t h : hits) EXPECT_NEAR(h, 1000, 150);
  EXPECT_EQ(p.random_peer(1, 0, 0, 1), 0u);
}

TEST(Scenario, TablesMatchTheIssue) {
  const Scenario* basic = find_scenario("basic");
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(basic->users, 1000u);
  EXPECT_EQ(basic->rooms, 25u);
  EXPECT_EQ(basic->duration, 180 * kSeconds);
  EXPECT_DOUBLE_EQ(basic->offered_rate(), 5000);
  const Scenario* extreme = find_scenario("extreme");
  ASSERT_NE(extreme, nullptr);
  EXPECT_EQ(extreme->users, 10000u);
  EXPECT_EQ(extreme->rooms, 35u);
  EXPECT_EQ(extreme->duration, 600 * kSeconds);
  EXPECT_DOUBLE_EQ(extreme->offered_rate(), 50000);
  EXPECT_EQ(find_scenario("medium"), nullptr);

  ASSERT_EQ(tiers().size(), 4u);
  EXPECT_EQ(tiers()[0].name, "Bronze");
  EXPECT_EQ(tiers()[0].min_rate, 1000);
  EXPECT_EQ(tiers()[0].max_p95, 100 * kMillis);
  EXPECT_EQ(tiers()[3].name, "Platinum");
  EXPECT_EQ(tiers()[3].min_rate, 50000);
  EXPECT_EQ(tiers()[3].max_p95, 10 * kMillis);
}

TEST(Scenario, VerdictTakesTheBestTierBothFiguresMeet) {
  EXPECT_EQ(verdict(60000, 5 * kMillis, 100, 0)->name, "Platinum");
  EXPECT_EQ(verdict(60000, 15 * kMillis, 100, 0)->name, "Gold");
  EXPECT_EQ(verdict(4999, 1 * kMillis, 100, 0)->name, "Silver");  // within the 0.5% allowance
  EXPECT_EQ(verdict(4900, 1 * kMillis, 100, 0)->name, "Bronze");
  EXPECT_EQ(verdict(5000, 80 * kMillis, 100, 0)->name, "Bronze");
  EXPECT_FALSE(verdict(900, 1 * kMillis, 100, 0));
  EXPECT_FALSE(verdict(60000, 150 * kMillis, 100, 0));
  EXPECT_FALSE(verdict(60000, 1 * kMillis, 1000, 2)) << "more than 0.1% lost";
  EXPECT_TRUE(verdict(60000, 1 * kMillis, 1000, 1));
}

}  // namespace
}  // namespace chatd::loadgen
