// The contract's error codes.
#pragma once

#include <string_view>

namespace chatd::proto {

enum class ErrorCode : uint8_t {
  bad_json,
  unknown_op,
  not_logged_in,
  bad_name,
  name_taken,
  unauthorized,
  already_logged_in,
  bad_room,
  too_many_rooms,
  not_in_room,
  too_long,
  rate_limited,
  no_such_user,
  self_whisper,
  frame_too_large,
  slow_consumer,
  server_shutdown,
};
constexpr int kErrorCodeCount = 17;

constexpr std::string_view error_code_name(ErrorCode c) {
  constexpr std::string_view names[kErrorCodeCount] = {
      "bad_json",    "unknown_op",     "not_logged_in", "bad_name",     "name_taken",   "unauthorized",
      "already_logged_in", "bad_room", "too_many_rooms", "not_in_room", "too_long",     "rate_limited",
      "no_such_user", "self_whisper",  "frame_too_large", "slow_consumer", "server_shutdown"};
  return names[int(c)];
}

}  // namespace chatd::proto
