#include "chat/owned_room.h"

#include <algorithm>

namespace chatd::chat {

OwnedRoom::OwnedRoom(uint64_t epoch, uint32_t shards, uint32_t history_capacity)
    : epoch_(epoch), per_shard_(shards, 0), history_(std::max<uint32_t>(history_capacity, 1), nullptr) {}

OwnedRoom::~OwnedRoom() {
  for (net::EventBuffer* b : history_)
    if (b) b->release();
}

bool OwnedRoom::add_member(uint64_t session, std::string_view user, uint32_t shard, bool text_mode) {
  auto [it, inserted] = members_.try_emplace(session, Member{std::string(user), shard, text_mode});
  if (!inserted) return false;
  ++per_shard_[shard];
  if (text_mode) ++text_members_;
  return true;
}

bool OwnedRoom::remove_member(uint64_t session, std::string* user_out) {
  auto it = members_.find(session);
  if (it == members_.end()) return false;
  --per_shard_[it->second.shard];
  if (it->second.text_mode) --text_members_;
  if (user_out) *user_out = std::move(it->second.user);
  members_.erase(it);
  return true;
}

std::vector<std::string_view> OwnedRoom::sorted_member_names() const {
  std::vector<std::string_view> names;
  names.reserve(members_.size());
  for (const auto& [session, m] : members_) names.push_back(m.user);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void OwnedRoom::remember(net::EventBuffer* msg) {
  // Called right after next_seq(): last_seq_ is this message's seq.
  net::EventBuffer*& slot = history_[(last_seq_ - 1) % history_.size()];
  if (slot) slot->release();
  slot = msg;
  stored_ = std::min<uint64_t>(stored_ + 1, history_.size());
}

std::vector<std::string_view> OwnedRoom::history_since(uint64_t since, std::size_t limit) const {
  std::vector<std::string_view> out;
  const uint64_t first_stored = last_seq_ - stored_ + 1;
  for (uint64_t seq = std::max(since + 1, first_stored); seq <= last_seq_ && out.size() < limit; ++seq) {
    std::string_view line = history_[(seq - 1) % history_.size()]->json();
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    out.push_back(line);
  }
  return out;
}

}  // namespace chatd::chat
