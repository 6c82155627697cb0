// A client request, whichever mode it came from (JSON frame or text-mode line).
// String views point into the parser's buffers: valid until the next parse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chatd::proto {

enum class Op : uint8_t { hello, join, leave, msg, whisper, users, rooms, history, typing, ping, bye };
constexpr int kOpCount = 11;

std::string_view op_name(Op op);
bool parse_op(std::string_view name, Op* out);

// How the `room` field looked: the contract maps all but `valid` to bad_room.
enum class FieldState : uint8_t { absent, wrong_type, present };

struct Request {
  Op op = Op::ping;
  std::string_view op_text;  // the op as sent (echoed in unknown_op errors)
  std::string rid;  // the request id re-encoded as JSON (string or integer), empty if none

  FieldState room_state = FieldState::absent;
  std::string_view room;
  FieldState user_state = FieldState::absent;
  std::string_view user;
  FieldState to_state = FieldState::absent;
  std::string_view to;
  FieldState text_state = FieldState::absent;
  std::string_view text;
  FieldState token_state = FieldState::absent;  // hello with auth on (docs/auth.md)
  std::string_view token;
  bool has_id = false;
  std::string_view id;
  bool has_ts = false;
  int64_t ts = 0;
  bool has_since = false;  // join: recover from this seq (with epoch); history: the window's start
  int64_t since = 0;
  bool has_epoch = false;  // join: the room's epoch the client saw `since` in
  int64_t epoch = 0;
  int64_t limit = 100;
  bool on = true;
};

// What went wrong before the op could be looked at.
enum class ParseError : uint8_t { none, bad_json, unknown_op };

struct ParseOutcome {
  ParseError error = ParseError::none;
  const char* message = "";  // static text for the error's `msg`
  bool ok() const { return error == ParseError::none; }
};

}  // namespace chatd::proto
