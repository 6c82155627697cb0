#include "chat/room_members.h"

#include <algorithm>

namespace chatd::chat {

bool RoomMembers::add(uint64_t session, std::string_view user, uint32_t shard, bool text_mode) {
  auto [it, inserted] = members_.try_emplace(session, Member{std::string(user), shard, text_mode});
  if (!inserted) return false;
  ++per_shard_[shard];
  if (text_mode) ++text_members_;
  return true;
}

bool RoomMembers::remove(uint64_t session, std::string* user_out) {
  auto it = members_.find(session);
  if (it == members_.end()) return false;
  --per_shard_[it->second.shard];
  if (it->second.text_mode) --text_members_;
  if (user_out) *user_out = std::move(it->second.user);
  members_.erase(it);
  return true;
}

uint32_t RoomMembers::shards_with_members() const {
  return uint32_t(std::count_if(per_shard_.begin(), per_shard_.end(), [](uint32_t n) { return n > 0; }));
}

std::vector<std::string_view> RoomMembers::sorted_names() const {
  std::vector<std::string_view> names;
  names.reserve(members_.size());
  for (const auto& [session, m] : members_) names.push_back(m.user);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace chatd::chat
