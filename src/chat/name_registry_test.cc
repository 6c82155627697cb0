#include "chat/name_registry.h"

#include <gtest/gtest.h>

#include <string>

namespace chatd::chat {
namespace {

TEST(NameRegistry, ANameIsTakenUntilItsHolderReleasesIt) {
  NameRegistry<int> users;
  EXPECT_TRUE(users.claim("alice", 1));
  EXPECT_TRUE(users.taken("alice"));
  EXPECT_FALSE(users.taken("Alice"));  // case-sensitive
  EXPECT_FALSE(users.claim("alice", 2));
  EXPECT_EQ(users.find("alice"), 1);
  users.release("alice", 2);  // not the holder: nothing happens
  EXPECT_TRUE(users.taken("alice"));
  users.release("alice", 1);
  EXPECT_FALSE(users.taken("alice"));
  EXPECT_EQ(users.find("alice"), 0);
  EXPECT_TRUE(users.claim("alice", 2));
  EXPECT_EQ(users.size(), 1u);
}

TEST(NameRegistry, ListPartIsSortedCutAndCountsAll) {
  NameRegistry<int> users;
  for (int i = 0; i < 1200; ++i) users.claim("u" + std::to_string(10000 + i), i + 1);
  UserListPart part = users.list_part();
  EXPECT_EQ(part.count, 1200u);
  ASSERT_EQ(part.names.size(), kMaxListedNames);
  EXPECT_EQ(part.names.front(), "u10000");
  EXPECT_EQ(part.names.back(), "u10999");
}

}  // namespace
}  // namespace chatd::chat
