#include "chat/request_checks.h"

#include <algorithm>

#include "proto/names.h"

namespace chatd::chat {
namespace {

using proto::ErrorCode;
using proto::FieldState;
using proto::Op;

std::optional<Refusal> refuse(ErrorCode code, std::string message) { return Refusal{code, std::move(message)}; }

// `bad_room`: a room that is missing, not a string or not a valid name.
std::optional<Refusal> check_room(const proto::Request& r) {
  if (r.room_state == FieldState::present && proto::valid_room_name(r.room)) return std::nullopt;
  return refuse(ErrorCode::bad_room, "a room name is 1-64 of A-Z a-z 0-9 _ . -");
}

std::optional<Refusal> check_member(const proto::Request& r, const Sender& s) {
  if (auto bad = check_room(r)) return bad;
  if (!s.in_room) return refuse(ErrorCode::not_in_room, "not in " + std::string(r.room));
  return std::nullopt;
}

// The sizes of a msg or whisper: the text is required, then text and id lengths.
std::optional<Refusal> check_sizes(const proto::Request& r, const RequestLimits& limits) {
  if (r.text_state != FieldState::present) {
    return refuse(ErrorCode::bad_json, r.op == Op::msg ? "msg needs a string text" : "whisper needs a string text");
  }
  if (r.text.size() > limits.max_text)
    return refuse(ErrorCode::too_long, "text is at most " + std::to_string(limits.max_text) + " bytes");
  if (r.has_id && r.id.size() > kMaxIdBytes) return refuse(ErrorCode::too_long, "id is at most 64 bytes");
  return std::nullopt;
}

// Last of all: a refused frame never gets here, so it spends no token.
std::optional<Refusal> take_token(const Sender& s, const RequestLimits& limits) {
  if (limits.rate_limit == 0 || s.bucket->try_take(double(limits.rate_limit), s.now)) return std::nullopt;
  return refuse(ErrorCode::rate_limited, "slow down");
}

std::optional<Refusal> check_hello(const proto::Request& r, const Sender& s) {
  if (s.logged_in) return refuse(ErrorCode::already_logged_in, "already logged in as " + std::string(s.user));
  if (r.user_state != FieldState::present || !proto::valid_user_name(r.user))
    return refuse(ErrorCode::bad_name, "a user name is 1-32 of A-Z a-z 0-9 _ . -");
  return std::nullopt;
}

std::optional<Refusal> check_whisper(const proto::Request& r, const Sender& s, const RequestLimits& limits) {
  // No such name can be online, whatever its home.
  if (r.to_state != FieldState::present || !proto::valid_user_name(r.to))
    return refuse(ErrorCode::no_such_user, "no such user");
  if (r.to == s.user) return refuse(ErrorCode::self_whisper, "you cannot whisper to yourself");
  if (auto bad = check_sizes(r, limits)) return bad;
  return take_token(s, limits);
}

}  // namespace

std::optional<Refusal> check_request(const proto::Request& r, const Sender& s, const RequestLimits& limits) {
  if (!s.logged_in && r.op != Op::hello && r.op != Op::ping && r.op != Op::bye)
    return refuse(ErrorCode::not_logged_in, "say hello first");
  switch (r.op) {
    case Op::hello: return check_hello(r, s);
    case Op::join:
      if (auto bad = check_room(r)) return bad;
      if (!s.in_room && s.rooms >= limits.max_rooms)
        return refuse(ErrorCode::too_many_rooms, "at most " + std::to_string(limits.max_rooms) + " rooms per user");
      return std::nullopt;
    case Op::leave:
    case Op::history: return check_member(r, s);
    case Op::msg:
      if (auto bad = check_member(r, s)) return bad;
      if (auto bad = check_sizes(r, limits)) return bad;
      return take_token(s, limits);
    case Op::whisper: return check_whisper(r, s, limits);
    case Op::users:
      // A room is optional here; membership is not required (a choice of ours).
      if (r.room_state != FieldState::absent) return check_room(r);
      return std::nullopt;
    case Op::typing:
      if (auto bad = check_member(r, s)) return bad;
      return take_token(s, limits);
    case Op::rooms:
    case Op::ping:
    case Op::bye: return std::nullopt;
  }
  return std::nullopt;
}

HistoryWindow history_window(const proto::Request& r) {
  const uint64_t since = uint64_t(std::max<int64_t>(r.since, 0));
  const uint64_t limit = std::min<uint64_t>(uint64_t(std::max<int64_t>(r.limit, 0)), kMaxHistoryLimit);
  return {since, limit};
}

}  // namespace chatd::chat
