#include "chat/local_rooms.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chatd::chat {
namespace {

using Rooms = LocalRooms<int>;

TEST(LocalRooms, JoinAddsOnceAndLeaveDropsTheEmptyRoom) {
  Rooms rooms;
  Rooms::Memberships alice, bob;
  rooms.add(alice, "dev", 1);
  rooms.add(alice, "dev", 1);  // repeated join
  rooms.add(bob, "dev", 2);
  ASSERT_NE(rooms.find("dev"), nullptr);
  EXPECT_EQ(rooms.find("dev")->members, (std::vector<int>{1, 2}));
  EXPECT_EQ(alice.size(), 1u);
  rooms.remove(alice, Rooms::membership(alice, "dev"), 1);
  EXPECT_EQ(Rooms::membership(alice, "dev"), nullptr);
  EXPECT_EQ(rooms.find("dev")->members, (std::vector<int>{2}));
  rooms.remove(bob, Rooms::membership(bob, "dev"), 2);
  EXPECT_EQ(rooms.find("dev"), nullptr);
  EXPECT_EQ(rooms.size(), 0u);
}

TEST(LocalRooms, RoomLimitCountsOnlyNewRooms) {
  Rooms rooms;
  Rooms::Memberships mine;
  for (int i = 0; i < 3; ++i) rooms.add(mine, "r" + std::to_string(i), 7);
  EXPECT_TRUE(Rooms::over_room_limit(mine, "r9", 3));
  EXPECT_FALSE(Rooms::over_room_limit(mine, "r1", 3));  // already in it
  EXPECT_FALSE(Rooms::over_room_limit(mine, "r9", 4));
}

TEST(LocalRooms, RemoveAllReportsEachRoomAndLeavesOthersAlone) {
  Rooms rooms;
  Rooms::Memberships alice, bob;
  rooms.add(alice, "a", 1);
  rooms.add(alice, "b", 1);
  rooms.add(bob, "b", 2);
  std::vector<std::string> left;
  rooms.remove_all(alice, 1, [&](std::string_view room) { left.emplace_back(room); });
  EXPECT_EQ(left, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(alice.empty());
  EXPECT_EQ(rooms.find("a"), nullptr);
  ASSERT_NE(rooms.find("b"), nullptr);
  EXPECT_EQ(rooms.find("b")->members, (std::vector<int>{2}));
}

}  // namespace
}  // namespace chatd::chat
