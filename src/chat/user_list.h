// `users` and `rooms` answers gathered from every shard (docs/protocol.md, "users
// and rooms: who and where"): each shard sends its part, the asking shard merges.
// `users` is sorted by bytes and stops listing at 1000 names with
// "truncated":true, while `count` stays the true total; `rooms` lists every room
// that has members, sorted by name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/events.h"

namespace chatd::chat {

inline constexpr std::size_t kMaxListedNames = proto::kMaxListedUsers;

// One shard's users: sorted, at most kMaxListedNames, and the exact count.
struct UserListPart {
  std::vector<std::string> names;
  uint64_t count = 0;
};

// One shard's rooms (the rooms it owns) with their member counts.
using RoomListPart = std::vector<std::pair<std::string, uint64_t>>;

// Sorts `names` and cuts them at the list limit.
void cut_sorted(std::vector<std::string>& names);

// A list of names ready to encode: views into the gatherer or the room.
struct NameList {
  std::vector<std::string_view> names;  // sorted, cut at the limit
  uint64_t count = 0;                   // exact
  bool truncated = false;
};

// The members of one room (its owner answers alone): already sorted and unique.
NameList room_user_list(std::vector<std::string_view> sorted_names);

// Collects the parts of one `users` or `rooms` answer for one connection.
class ListGather {
 public:
  ListGather(uint32_t parts, std::string_view rid) : parts_missing_(parts), rid_(rid) {}

  // Each returns true when this was the last part missing.
  bool add_users(UserListPart&& part);
  bool add_rooms(RoomListPart&& part);

  // The merged answers; views into this gatherer.
  NameList users();
  std::vector<proto::RoomCount> rooms();
  const std::string& rid() const { return rid_; }

 private:
  bool part_arrived() { return --parts_missing_ == 0; }

  uint32_t parts_missing_;
  std::string rid_;
  std::vector<std::string> names_;
  uint64_t count_ = 0;
  RoomListPart rooms_;
};

}  // namespace chatd::chat
