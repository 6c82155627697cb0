#include "chat/owned_room.h"

#include <gtest/gtest.h>

#include <string>

namespace chatd::chat {
namespace {

net::EventBuffer* msg(uint64_t seq) { return net::EventBuffer::create("{\"seq\":" + std::to_string(seq) + "}\n"); }

TEST(OwnedRoom, MembershipCountsPerShard) {
  OwnedRoom room(42, 4, 1000);
  EXPECT_TRUE(room.add_member(1, "bob", 2, false));
  EXPECT_TRUE(room.add_member(2, "alice", 2, true));
  EXPECT_FALSE(room.add_member(1, "bob", 2, false));  // repeated join
  EXPECT_EQ(room.member_count(), 2u);
  EXPECT_EQ(room.members_per_shard()[2], 2u);
  EXPECT_TRUE(room.has_text_members());
  auto names = room.sorted_member_names();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "alice");
  std::string user;
  EXPECT_TRUE(room.remove_member(2, &user));
  EXPECT_EQ(user, "alice");
  EXPECT_FALSE(room.has_text_members());
  EXPECT_FALSE(room.remove_member(2));
  EXPECT_TRUE(room.remove_member(1));
  EXPECT_TRUE(room.empty());
  EXPECT_EQ(room.epoch(), 42u);
}

TEST(OwnedRoom, HistoryKeepsTheLastCapacityInOrder) {
  OwnedRoom room(1, 1, 1000);
  for (int i = 0; i < 2500; ++i) room.remember(msg(room.next_seq()));
  EXPECT_EQ(room.last_seq(), 2500u);
  auto all = room.history_since(0, 5000);
  ASSERT_EQ(all.size(), 1000u);
  EXPECT_EQ(all.front(), "{\"seq\":1501}");
  EXPECT_EQ(all.back(), "{\"seq\":2500}");
  auto some = room.history_since(2000, 3);
  ASSERT_EQ(some.size(), 3u);
  EXPECT_EQ(some[0], "{\"seq\":2001}");
  EXPECT_EQ(some[2], "{\"seq\":2003}");
  EXPECT_TRUE(room.history_since(2500, 10).empty());
  EXPECT_TRUE(room.history_since(0, 0).empty());
}

TEST(OwnedRoom, EmptyHistory) {
  OwnedRoom room(1, 1, 1000);
  EXPECT_TRUE(room.history_since(0, 100).empty());
}

}  // namespace
}  // namespace chatd::chat
