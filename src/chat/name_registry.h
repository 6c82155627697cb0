// The users whose home is this shard (docs/protocol.md, "hello: log in" and
// "Guarantees: a home shard per user"). A name hashes to exactly one home shard,
// so this shard alone decides `name_taken` for it: no global table, no lock.
//
// `Handle` is the shard's handle to the user's connection; the null handle
// (Handle{}) means "not online".
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include "chat/user_list.h"
#include "common/string_map.h"

namespace chatd::chat {

template <class Handle>
class NameRegistry {
 public:
  bool taken(std::string_view name) const { return users_.contains(name); }

  // Claims `name` for `h`; false (and nothing changes) if someone online has it.
  bool claim(std::string_view name, Handle h) { return users_.try_emplace(std::string(name), h).second; }

  // Frees `name` if `h` holds it: a late release from an old session never frees
  // the name of a newer one.
  void release(std::string_view name, Handle h) {
    auto it = users_.find(name);
    if (it != users_.end() && it->second == h) users_.erase(it);
  }

  Handle find(std::string_view name) const {
    auto it = users_.find(name);
    return it == users_.end() ? Handle{} : it->second;
  }

  std::size_t size() const { return users_.size(); }

  // This shard's part of a `users` answer: sorted, cut at the list limit, exact count.
  UserListPart list_part() const {
    UserListPart part{{}, users_.size()};
    part.names.reserve(std::min(users_.size(), kMaxListedNames));
    for (const auto& [name, handle] : users_) part.names.push_back(name);
    cut_sorted(part.names);
    return part;
  }

 private:
  StringMap<Handle> users_;
};

}  // namespace chatd::chat
