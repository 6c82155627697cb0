#include "chat/user_list.h"

#include <algorithm>
#include <iterator>

namespace chatd::chat {

void cut_sorted(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end());
  if (names.size() > kMaxListedNames) names.resize(kMaxListedNames);
}

NameList room_user_list(std::vector<std::string_view> sorted_names) {
  NameList list{std::move(sorted_names), 0, false};
  list.count = list.names.size();
  list.truncated = list.names.size() > kMaxListedNames;
  if (list.truncated) list.names.resize(kMaxListedNames);
  return list;
}

bool ListGather::add_users(UserListPart&& part) {
  count_ += part.count;
  std::move(part.names.begin(), part.names.end(), std::back_inserter(names_));
  return part_arrived();
}

bool ListGather::add_rooms(RoomListPart&& part) {
  std::move(part.begin(), part.end(), std::back_inserter(rooms_));
  return part_arrived();
}

NameList ListGather::users() {
  // Each part is cut at the limit, so the first kMaxListedNames of the merge are
  // exact; `count` says how many there are in all.
  cut_sorted(names_);
  NameList list{std::vector<std::string_view>(names_.begin(), names_.end()), count_, count_ > kMaxListedNames};
  return list;
}

std::vector<proto::RoomCount> ListGather::rooms() {
  std::sort(rooms_.begin(), rooms_.end());
  std::vector<proto::RoomCount> out;
  out.reserve(rooms_.size());
  for (const auto& [name, members] : rooms_) out.push_back({name, members});
  return out;
}

}  // namespace chatd::chat
