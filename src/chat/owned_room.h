// A room as its owner shard sees it: its epoch, the seq counter, the history ring
// and who is in it (docs/protocol.md, "Rooms and sessions" and "Guarantees: one
// order per room"). Only the owner assigns seqs, so one counter here is the order.
//
// `Stored` is the owner's handle to an encoded msg (see HistoryRing): chat/ keeps
// it and hands it back, never looks inside.
#pragma once

#include <cstdint>

#include "chat/history_ring.h"
#include "chat/join_recovery.h"
#include "chat/room_members.h"

namespace chatd::chat {

template <class Stored>
class OwnedRoom {
 public:
  // `epoch` names this life of the room; seqs start again at 1 in each.
  OwnedRoom(uint64_t epoch, uint32_t shards, uint32_t history_capacity)
      : epoch_(epoch), members_(shards), history_(history_capacity) {}
  OwnedRoom(const OwnedRoom&) = delete;
  OwnedRoom& operator=(const OwnedRoom&) = delete;

  uint64_t epoch() const { return epoch_; }
  uint64_t last_seq() const { return last_seq_; }
  RoomMembers& members() { return members_; }
  const RoomMembers& members() const { return members_; }

  // Gives the next msg its seq and keeps it: every seq is a stored msg, in order.
  uint64_t next_seq() { return ++last_seq_; }
  void remember(Stored msg) { history_.remember(last_seq_, std::move(msg)); }

  // `history`: the oldest `limit` stored msgs with seq > since.
  template <class Fn>
  std::size_t history_since(uint64_t since, std::size_t limit, Fn&& fn) const {
    return history_.for_each_since(since, limit, fn);
  }

  // Recovery on join: may this rejoin replay what it missed?
  RecoveryVerdict recovery(const RecoveryAsk& ask) const {
    return decide_recovery(ask, epoch_, last_seq_, history_.first_seq());
  }

 private:
  uint64_t epoch_;
  uint64_t last_seq_ = 0;
  RoomMembers members_;
  HistoryRing<Stored> history_;
};

}  // namespace chatd::chat
