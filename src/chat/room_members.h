// Who is in a room, as its owner shard knows it: one entry per member session, and
// how many members live on each shard (the fan-out list: a broadcast goes once to
// every shard with a count above zero). Plain data: no sockets, no rings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace chatd::chat {

class RoomMembers {
 public:
  explicit RoomMembers(uint32_t shards) : per_shard_(shards, 0) {}

  // Returns false when the session is already a member (a repeated join).
  bool add(uint64_t session, std::string_view user, uint32_t shard, bool text_mode);
  // Returns false when the session was not a member.
  bool remove(uint64_t session, std::string* user_out = nullptr);
  bool contains(uint64_t session) const { return members_.count(session) > 0; }
  uint32_t count() const { return uint32_t(members_.size()); }
  bool empty() const { return members_.empty(); }
  // Members per shard, indexed by shard id.
  const std::vector<uint32_t>& per_shard() const { return per_shard_; }
  // How many shards have at least one member.
  uint32_t shards_with_members() const;
  // Whether any member reads the human rendering (text mode): only then is it encoded.
  bool has_text_members() const { return text_members_ > 0; }
  // Member names in byte order; a name appears once even if a reconnect overlaps.
  std::vector<std::string_view> sorted_names() const;

 private:
  struct Member {
    std::string user;
    uint32_t shard;
    bool text_mode;
  };

  std::unordered_map<uint64_t, Member> members_;  // by session id
  std::vector<uint32_t> per_shard_;
  uint32_t text_members_ = 0;
};

}  // namespace chatd::chat
