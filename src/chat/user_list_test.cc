#include "chat/user_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chatd::chat {
namespace {

UserListPart part(std::vector<std::string> names, uint64_t count) {
  cut_sorted(names);
  return {std::move(names), count};
}

TEST(ListGather, MergesUserPartsSortedWithTheTrueCount) {
  ListGather g(2, "7");
  EXPECT_FALSE(g.add_users(part({"zoe", "Bob"}, 2)));
  EXPECT_TRUE(g.add_users(part({"amy"}, 1)));
  NameList list = g.users();
  EXPECT_EQ(list.names, (std::vector<std::string_view>{"Bob", "amy", "zoe"}));
  EXPECT_EQ(list.count, 3u);
  EXPECT_FALSE(list.truncated);
  EXPECT_EQ(g.rid(), "7");
}

TEST(ListGather, StopsListingAtTheLimitButCountsEveryone) {
  std::vector<std::string> a, b;
  for (int i = 0; i < 900; ++i) a.push_back("a" + std::to_string(1000 + i));
  for (int i = 0; i < 1500; ++i) b.push_back("b" + std::to_string(1000 + i));
  ListGather g(2, {});
  g.add_users(part(a, 900));
  g.add_users(part(b, 1500));  // cut to 1000 by its shard, count exact
  NameList list = g.users();
  EXPECT_EQ(list.count, 2400u);
  EXPECT_TRUE(list.truncated);
  ASSERT_EQ(list.names.size(), kMaxListedNames);
  EXPECT_EQ(list.names.front(), "a1000");
  EXPECT_EQ(list.names[899], "a1899");
  EXPECT_EQ(list.names.back(), "b1099");
}

TEST(ListGather, MergesRoomsSortedByName) {
  ListGather g(2, {});
  EXPECT_FALSE(g.add_rooms({{"lobby", 3}}));
  EXPECT_TRUE(g.add_rooms({{"dev", 1}, {"zoo", 2}}));
  auto rooms = g.rooms();
  ASSERT_EQ(rooms.size(), 3u);
  EXPECT_EQ(rooms[0].room, "dev");
  EXPECT_EQ(rooms[1].room, "lobby");
  EXPECT_EQ(rooms[1].members, 3u);
  EXPECT_EQ(rooms[2].room, "zoo");
}

TEST(RoomUserList, CutsAtTheLimit) {
  std::vector<std::string> storage;
  for (int i = 0; i < 1001; ++i) storage.push_back("u" + std::to_string(1000 + i));
  NameList list = room_user_list(std::vector<std::string_view>(storage.begin(), storage.end()));
  EXPECT_EQ(list.count, 1001u);
  EXPECT_TRUE(list.truncated);
  EXPECT_EQ(list.names.size(), kMaxListedNames);
  list = room_user_list({"bob"});
  EXPECT_EQ(list.count, 1u);
  EXPECT_FALSE(list.truncated);
}

}  // namespace
}  // namespace chatd::chat
