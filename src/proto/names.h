// Name rules of the contract: users ^[A-Za-z0-9_.-]{1,32}$, rooms ^[A-Za-z0-9_.-]{1,64}$.
#pragma once

#include <string_view>

namespace chatd::proto {

constexpr std::size_t kMaxUserName = 32;
constexpr std::size_t kMaxRoomName = 64;

constexpr bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

constexpr bool valid_name(std::string_view s, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s)
    if (!is_name_char(c)) return false;
  return true;
}

constexpr bool valid_user_name(std::string_view s) { return valid_name(s, kMaxUserName); }
constexpr bool valid_room_name(std::string_view s) { return valid_name(s, kMaxRoomName); }

}  // namespace chatd::proto
