// Which check refuses a request first (docs/protocol.md, "Which check fails
// first"): after the parser's bad_json / unknown_op, `not_logged_in`; then the op's
// own checks, a bad `room` first, then membership (`not_in_room`), then sizes
// (`too_long`: text over --max-text, id over 64 bytes), and the rate limit last, so
// a frame refused for any other reason spends no token.
//
// One pure function over the request and what the shard knows of its sender; the
// only state it touches is the sender's token bucket, and only as its last step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chat/token_bucket.h"
#include "common/clock.h"
#include "proto/error_code.h"
#include "proto/request.h"

namespace chatd::chat {

inline constexpr std::size_t kMaxIdBytes = 64;
inline constexpr uint64_t kMaxHistoryLimit = 1000;

struct Refusal {
  proto::ErrorCode code;
  std::string message;  // for people; clients match on the code
};

struct RequestLimits {
  std::size_t max_text;     // --max-text
  std::size_t max_rooms;    // rooms per user
  uint32_t rate_limit;      // --rate-limit: per second, burst twice that; 0 = off
};

// What the checks need to know about the connection that sent the request.
struct Sender {
  bool logged_in = false;
  std::string_view user;
  bool in_room = false;       // a member of the request's `room` (when it names one)
  std::size_t rooms = 0;      // rooms the user is in
  TokenBucket* bucket = nullptr;
  Nanos now = 0;
};

// nullopt: go ahead (and a token was spent if the op is rate limited).
std::optional<Refusal> check_request(const proto::Request& r, const Sender& s, const RequestLimits& limits);

// `history`'s window: since below 0 counts as 0, limit is cut to [0, 1000].
struct HistoryWindow {
  uint64_t since;
  uint64_t limit;
};
HistoryWindow history_window(const proto::Request& r);

}  // namespace chatd::chat
