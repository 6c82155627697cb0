#include "chat/room_members.h"

#include <gtest/gtest.h>

#include <string>

namespace chatd::chat {
namespace {

TEST(RoomMembers, CountsPerShardAndTextMembers) {
  RoomMembers room(4);
  EXPECT_TRUE(room.add(1, "bob", 2, false));
  EXPECT_TRUE(room.add(2, "alice", 2, true));
  EXPECT_TRUE(room.add(3, "carol", 0, false));
  EXPECT_FALSE(room.add(1, "bob", 2, false));  // repeated join
  EXPECT_EQ(room.count(), 3u);
  EXPECT_EQ(room.per_shard()[2], 2u);
  EXPECT_EQ(room.shards_with_members(), 2u);
  EXPECT_TRUE(room.has_text_members());
  std::string user;
  EXPECT_TRUE(room.remove(2, &user));
  EXPECT_EQ(user, "alice");
  EXPECT_FALSE(room.has_text_members());
  EXPECT_FALSE(room.remove(2));
  EXPECT_TRUE(room.remove(1));
  EXPECT_TRUE(room.remove(3));
  EXPECT_TRUE(room.empty());
  EXPECT_EQ(room.shards_with_members(), 0u);
}

TEST(RoomMembers, NamesAreSortedByBytesAndListedOnce) {
  RoomMembers room(1);
  room.add(1, "amy", 0, false);
  room.add(2, "Zed", 0, false);
  room.add(3, "amy", 0, false);  // a reconnect overlapping the old session
  auto names = room.sorted_names();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "Zed");
  EXPECT_EQ(names[1], "amy");
}

}  // namespace
}  // namespace chatd::chat
