#include "chat/owned_room.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chatd::chat {
namespace {

std::vector<std::string> history(const OwnedRoom<std::string>& room, uint64_t since, std::size_t limit) {
  std::vector<std::string> out;
  room.history_since(since, limit, [&](const std::string& m) { out.push_back(m); });
  return out;
}

void say(OwnedRoom<std::string>& room, int n) {
  for (int i = 0; i < n; ++i) {
    const uint64_t seq = room.next_seq();
    room.remember("m" + std::to_string(seq));
  }
}

TEST(OwnedRoom, SeqsStartAtOneAndEveryOneIsStored) {
  OwnedRoom<std::string> room(42, 2, 10);
  EXPECT_EQ(room.epoch(), 42u);
  EXPECT_EQ(room.last_seq(), 0u);
  say(room, 3);
  EXPECT_EQ(room.last_seq(), 3u);
  EXPECT_EQ(history(room, 0, 100), (std::vector<std::string>{"m1", "m2", "m3"}));
  EXPECT_EQ(history(room, 1, 1), (std::vector<std::string>{"m2"}));
}

TEST(OwnedRoom, RecoversAJoinWithinTheStoredWindow) {
  OwnedRoom<std::string> room(7, 1, 10);
  say(room, 25);  // holds 16..25
  RecoveryVerdict v = room.recovery({20, 7});
  EXPECT_TRUE(v.recovered);
  EXPECT_EQ(v.missed, 5u);
  EXPECT_EQ(history(room, 20, v.missed), (std::vector<std::string>{"m21", "m22", "m23", "m24", "m25"}));
  EXPECT_TRUE(room.recovery({15, 7}).recovered);   // 16..25 all held
  EXPECT_FALSE(room.recovery({14, 7}).recovered);  // 15 is gone
  EXPECT_FALSE(room.recovery({20, 8}).recovered);  // another life of the room
  EXPECT_EQ(room.recovery({25, 7}).missed, 0u);    // up to date
}

TEST(OwnedRoom, MembersAreKeptBesideTheHistory) {
  OwnedRoom<std::string> room(1, 3, 10);
  EXPECT_TRUE(room.members().add(5, "eve", 2, false));
  EXPECT_EQ(room.members().per_shard()[2], 1u);
  EXPECT_TRUE(room.members().remove(5));
  EXPECT_TRUE(room.members().empty());
}

}  // namespace
}  // namespace chatd::chat
