// A room as its owner shard sees it: the sequence counter, the history ring and who
// is in it (so it knows which shards to fan out to). Plain data: no sockets, no rings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/event_buffer.h"

namespace chatd::chat {

class OwnedRoom {
 public:
  OwnedRoom(uint64_t epoch, uint32_t shards, uint32_t history_capacity);
  ~OwnedRoom();
  OwnedRoom(const OwnedRoom&) = delete;
  OwnedRoom& operator=(const OwnedRoom&) = delete;

  uint64_t epoch() const { return epoch_; }
  uint64_t last_seq() const { return last_seq_; }
  uint64_t next_seq() { return ++last_seq_; }

  // Returns false when the session is already a member (a repeated join).
  bool add_member(uint64_t session, std::string_view user, uint32_t shard, bool text_mode);
  // Returns false when the session was not a member.
  bool remove_member(uint64_t session, std::string* user_out = nullptr);
  bool has_member(uint64_t session) const { return members_.count(session) > 0; }
  uint32_t member_count() const { return uint32_t(members_.size()); }
  bool empty() const { return members_.empty(); }
  // Members per shard: the fan-out list. Indexed by shard id.
  const std::vector<uint32_t>& members_per_shard() const { return per_shard_; }
  bool has_text_members() const { return text_members_ > 0; }
  // Member names in byte order (a name appears once even if a reconnect overlaps).
  std::vector<std::string_view> sorted_member_names() const;

  // Stores a sequenced msg event; takes over one reference. The oldest falls out.
  void remember(net::EventBuffer* msg);
  // The stored msg events with seq > since, oldest first, at most `limit`.
  std::vector<std::string_view> history_since(uint64_t since, std::size_t limit) const;

 private:
  struct Member {
    std::string user;
    uint32_t shard;
    bool text_mode;
  };

  uint64_t epoch_;
  uint64_t last_seq_ = 0;
  std::unordered_map<uint64_t, Member> members_;  // by session id
  std::vector<uint32_t> per_shard_;
  uint32_t text_members_ = 0;
  // History ring: the event with seq s sits at (s - 1) % capacity while stored.
  std::vector<net::EventBuffer*> history_;
  uint64_t stored_ = 0;
};

}  // namespace chatd::chat
