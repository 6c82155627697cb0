// Server → client lines (one JSON object each) → a flat ServerEvent. Only the
// fields loadgen uses are read; everything else is skipped unchecked, since the
// server, not loadgen, is under test for well-formedness.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string_view>

namespace chatd::loadgen {

enum class EventKind : uint8_t {
  welcome, joined, msg, whisper, whisper_sent, error, user_joined, user_left, bye, other
};

// String views point into the parser's buffers or the line: valid until the next parse.
struct ServerEvent {
  EventKind kind = EventKind::other;
  std::string_view room, from, id, code, op;
  int64_t seq = 0;
  int64_t ts = 0;
  bool has_ts = false;
  int64_t shards = 0;   // welcome
  int64_t members = 0;  // joined
};

class EventParser {
 public:
  EventParser();
  // `line` must be followed by simdjson::SIMDJSON_PADDING readable bytes (the line
  // framer guarantees it). False: not a JSON object.
  bool parse(std::string_view line, ServerEvent& out);

 private:
  simdjson::ondemand::parser parser_;
};

}  // namespace chatd::loadgen
