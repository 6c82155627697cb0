// The rooms this shard hosts members of: room name → the members who live here,
// and each member's own list of rooms (docs/protocol.md, "join and leave"). A
// broadcast from a room's owner reaches a shard once and is handed from here to
// the local members; a room is dropped here when its last local member leaves.
//
// `Member` is the shard's handle to a connection (a pointer in the server, an int
// in the tests); chat/ only stores and compares it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/string_map.h"

namespace chatd::chat {

template <class Member>
class LocalRooms {
 public:
  struct Room {
    std::string name;
    std::vector<Member> members;  // in join order: the order broadcasts are queued
  };
  // One member's rooms on this shard; lives with the member (its connection).
  using Memberships = std::vector<Room*>;

  // The member's room of that name, or null: the `not_in_room` check.
  static Room* membership(const Memberships& mine, std::string_view room) {
    for (Room* r : mine)
      if (r->name == room) return r;
    return nullptr;
  }

  // `too_many_rooms`: a join that would take the member past `max_rooms`. A
  // repeated join of a room it is in is never refused.
  static bool over_room_limit(const Memberships& mine, std::string_view room, std::size_t max_rooms) {
    return mine.size() >= max_rooms && membership(mine, room) == nullptr;
  }

  // The local members of a room, or null if none lives here.
  const Room* find(std::string_view room) const {
    auto it = rooms_.find(room);
    return it == rooms_.end() ? nullptr : it->second.get();
  }

  // Makes `m` a member of `room` here (once: a repeated join changes nothing).
  void add(Memberships& mine, std::string_view room, Member m) {
    if (membership(mine, room)) return;
    auto it = rooms_.find(room);
    if (it == rooms_.end()) it = rooms_.emplace(room, std::make_unique<Room>(Room{std::string(room), {}})).first;
    it->second->members.push_back(m);
    mine.push_back(it->second.get());
  }

  // Removes `m` from `room` (one of `mine`); the room goes when it empties, so
  // `room` must not be used afterwards.
  void remove(Memberships& mine, Room* room, Member m) {
    std::erase(mine, room);
    leave(room, m);
  }

  // Removes `m` from all its rooms; calls on_left(room name) for each first.
  template <class OnLeft>
  void remove_all(Memberships& mine, Member m, OnLeft&& on_left) {
    for (Room* room : mine) {
      on_left(std::string_view(room->name));
      leave(room, m);
    }
    mine.clear();
  }

  std::size_t size() const { return rooms_.size(); }

 private:
  void leave(Room* room, Member m) {
    std::erase(room->members, m);
    if (room->members.empty()) rooms_.erase(room->name);
  }

  StringMap<std::unique_ptr<Room>> rooms_;
};

}  // namespace chatd::chat
