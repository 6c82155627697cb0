// A parse result that owns its bytes, so results of different parses (another memory
// layout, another parser, a reference model) can be kept and compared.
#pragma once

#include <cstdint>
#include <string>

#include "proto/request.h"

namespace chatd::fuzz {

struct ParsedRequest {
  proto::ParseError error = proto::ParseError::none;
  std::string message;  // the parser's error text (a reference model leaves it empty)
  // What the server reads after each outcome: nothing after bad_json; the op text and rid
  // after unknown_op (they are echoed in the error); every field after success.
  std::string op_text;
  std::string rid;
  proto::Op op = proto::Op::ping;
  proto::FieldState room_state = proto::FieldState::absent;
  std::string room;
  proto::FieldState user_state = proto::FieldState::absent;
  std::string user;
  proto::FieldState to_state = proto::FieldState::absent;
  std::string to;
  proto::FieldState text_state = proto::FieldState::absent;
  std::string text;
  bool has_id = false;
  std::string id;
  bool has_ts = false;
  int64_t ts = 0;
  int64_t since = 0;
  int64_t limit = 100;
  bool on = true;

  bool operator==(const ParsedRequest&) const = default;
  // Equal but for the error text.
  bool same_meaning(const ParsedRequest& other) const;
};

// Copies what the server would read after this outcome (see the field comments).
ParsedRequest snapshot(const proto::ParseOutcome& outcome, const proto::Request& request);

std::string describe(const ParsedRequest& p);

}  // namespace chatd::fuzz
