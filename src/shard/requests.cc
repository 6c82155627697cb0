// Requests, on the connection's shard (its home shard once logged in). Checks run in
// the contract's order: login, room name, membership, size, and the rate limit last,
// so a refused frame never spends a token.
#include <algorithm>

#include "common/stable_hash.h"
#include "proto/names.h"
#include "shard/shard.h"

namespace chatd::shard {
namespace {

using proto::ErrorCode;
using proto::FieldState;
using proto::Op;

constexpr std::size_t kMaxIdBytes = 64;
constexpr uint64_t kMaxHistoryLimit = 1000;
constexpr std::string_view kLobby = "lobby";

bool valid_room(const proto::Request& r) {
  return r.room_state == FieldState::present && proto::valid_room_name(r.room);
}

}  // namespace

void Shard::send_error(Connection& c, ErrorCode code, std::string_view msg, std::string_view rid, std::string_view op) {
  stats_.errors[int(code)].add();
  std::optional<std::string_view> op_field;
  if (!op.empty()) op_field = op;
  reply(c, proto::ErrorEvent{proto::error_code_name(code), msg, op_field}, rid);
}

void Shard::handle_request(Connection& c, const proto::Request& r, std::string_view frame) {
  stats_.frames_received[int(r.op)].add();
  if (!c.logged_in() && r.op != Op::hello && r.op != Op::ping && r.op != Op::bye)
    return send_error(c, ErrorCode::not_logged_in, "say hello first", r.rid, proto::op_name(r.op));
  switch (r.op) {
    case Op::hello: return do_hello(c, r, frame);
    case Op::join: return do_join(c, r);
    case Op::leave: return do_leave(c, r);
    case Op::msg: return do_msg(c, r);
    case Op::whisper: return do_whisper(c, r);
    case Op::users: return do_users(c, r);
    case Op::rooms: return do_rooms(c, r);
    case Op::history: return do_history(c, r);
    case Op::typing: return do_typing(c, r);
    case Op::ping: {
      std::optional<int64_t> ts;
      if (r.has_ts) ts = r.ts;
      return reply(c, proto::Pong{ts}, r.rid);
    }
    case Op::bye:
      reply(c, proto::Bye{}, r.rid);
      return drain_then_close(c, 2 * kSeconds);
  }
}

void Shard::do_hello(Connection& c, const proto::Request& r, std::string_view frame) {
  const bool text = c.mode == proto::Mode::text;
  if (c.logged_in()) return send_error(c, ErrorCode::already_logged_in, "already logged in as " + c.user, r.rid, proto::op_name(r.op));
  if (r.user_state != FieldState::present || !proto::valid_user_name(r.user)) {
    send_error(c, ErrorCode::bad_name, "a user name is 1-32 of A-Z a-z 0-9 _ . -", r.rid, proto::op_name(r.op));
    if (text) queue_reply(c, proto::kTextPrompt);
    return;
  }
  const uint32_t home = shard_of(r.user, mesh_.shards());
  if (home != id_) {
    // The user lives elsewhere: move the connection there, hello frame first, and
    // let the home shard decide (no global table, no lock).
    c.phase = Phase::migrating;
    c.migrate_to = uint16_t(home);
    c.handoff.assign(frame);
    c.handoff += '\n';
    if (c.receiving) reactor_->stop_recv(c.key, c.fd);
    return;
  }
  if (users_.contains(r.user)) {
    send_error(c, ErrorCode::name_taken, std::string(r.user) + " is already online", r.rid, proto::op_name(r.op));
    if (text) queue_reply(c, proto::kTextPrompt);
    return;
  }
  c.session = (uint64_t(id_) << 48) | ++session_counter_;
  c.user.assign(r.user);
  users_.emplace(c.user, &c);
  stats_.users_online.set(users_.size());
  reply(c, proto::Welcome{c.user, id_, mesh_.shards()}, r.rid);
  if (text) {
    c.current_room.assign(kLobby);
    join_room_request(c, kLobby, {});
  }
}

LocalRoom* Shard::local_membership(Connection& c, std::string_view room) {
  for (LocalRoom* r : c.rooms)
    if (r->name == room) return r;
  return nullptr;
}

bool Shard::take_rate_token(Connection& c) {
  return config_.rate_limit == 0 || c.bucket.try_take(double(config_.rate_limit), now_);
}

void Shard::join_room_request(Connection& c, std::string_view room, std::string_view rid) {
  auto* join = new xshard::Join{std::string(room), c.user, c.session, c.mode == proto::Mode::text,
                                requester(c, rid)};
  ++c.pending;
  post(shard_of(room, mesh_.shards()), xshard::Kind::join, join);
}

void Shard::do_join(Connection& c, const proto::Request& r) {
  if (!valid_room(r)) return send_error(c, ErrorCode::bad_room, "a room name is 1-64 of A-Z a-z 0-9 _ . -", r.rid, proto::op_name(r.op));
  if (!local_membership(c, r.room) && c.rooms.size() >= config_.max_rooms_per_user)
    return send_error(c, ErrorCode::too_many_rooms,
                      "at most " + std::to_string(config_.max_rooms_per_user) + " rooms per user", r.rid, proto::op_name(r.op));
  join_room_request(c, r.room, r.rid);  // a repeated join is answered by the owner too
}

void Shard::do_leave(Connection& c, const proto::Request& r) {
  if (!valid_room(r)) return send_error(c, ErrorCode::bad_room, "a room name is 1-64 of A-Z a-z 0-9 _ . -", r.rid, proto::op_name(r.op));
  LocalRoom* room = local_membership(c, r.room);
  if (!room) return send_error(c, ErrorCode::not_in_room, "not in " + std::string(r.room), r.rid, proto::op_name(r.op));
  std::erase(c.rooms, room);
  std::erase(room->members, &c);
  const std::string name = room->name;
  if (room->members.empty()) local_rooms_.erase(name);
  post(shard_of(name, mesh_.shards()), xshard::Kind::leave, new xshard::Leave{name, c.user, c.session});
  if (c.current_room == name) c.current_room.clear();
  reply(c, proto::Left{name}, r.rid);
}

void Shard::do_msg(Connection& c, const proto::Request& r) {
  if (!valid_room(r)) return send_error(c, ErrorCode::bad_room, "a room name is 1-64 of A-Z a-z 0-9 _ . -", r.rid, proto::op_name(r.op));
  if (!local_membership(c, r.room)) return send_error(c, ErrorCode::not_in_room, "not in " + std::string(r.room), r.rid, proto::op_name(r.op));
  if (r.text_state != FieldState::present) return send_error(c, ErrorCode::bad_json, "msg needs a string text", r.rid, proto::op_name(r.op));
  if (r.text.size() > config_.max_text)
    return send_error(c, ErrorCode::too_long, "text is at most " + std::to_string(config_.max_text) + " bytes", r.rid, proto::op_name(r.op));
  if (r.has_id && r.id.size() > kMaxIdBytes) return send_error(c, ErrorCode::too_long, "id is at most 64 bytes", r.rid, proto::op_name(r.op));
  if (!take_rate_token(c)) return send_error(c, ErrorCode::rate_limited, "slow down", r.rid, proto::op_name(r.op));
  auto* p = new xshard::Publish{std::string(r.room), c.user, std::string(r.text), std::string(r.id),
                                r.has_id, r.has_ts, r.ts, c.session, now_};
  post(shard_of(r.room, mesh_.shards()), xshard::Kind::publish, p);
}

void Shard::do_whisper(Connection& c, const proto::Request& r) {
  if (r.to_state != FieldState::present || !proto::valid_user_name(r.to))
    return send_error(c, ErrorCode::no_such_user, "no such user", r.rid, proto::op_name(r.op));
  if (r.to == c.user) return send_error(c, ErrorCode::self_whisper, "you cannot whisper to yourself", r.rid, proto::op_name(r.op));
  if (r.text_state != FieldState::present) return send_error(c, ErrorCode::bad_json, "whisper needs a string text", r.rid, proto::op_name(r.op));
  if (r.text.size() > config_.max_text)
    return send_error(c, ErrorCode::too_long, "text is at most " + std::to_string(config_.max_text) + " bytes", r.rid, proto::op_name(r.op));
  if (r.has_id && r.id.size() > kMaxIdBytes) return send_error(c, ErrorCode::too_long, "id is at most 64 bytes", r.rid, proto::op_name(r.op));
  if (!take_rate_token(c)) return send_error(c, ErrorCode::rate_limited, "slow down", r.rid, proto::op_name(r.op));
  auto* w = new xshard::Whisper{c.user, std::string(r.to), std::string(r.text), std::string(r.id),
                                r.has_id, r.has_ts, r.ts, requester(c, r.rid)};
  ++c.pending;
  post(shard_of(r.to, mesh_.shards()), xshard::Kind::whisper, w);
}

void Shard::do_users(Connection& c, const proto::Request& r) {
  if (r.room_state != FieldState::absent) {
    if (!valid_room(r)) return send_error(c, ErrorCode::bad_room, "a room name is 1-64 of A-Z a-z 0-9 _ . -", r.rid, proto::op_name(r.op));
    ++c.pending;
    return post(shard_of(r.room, mesh_.shards()), xshard::Kind::room_users_query,
                new xshard::RoomUsersQuery{std::string(r.room), requester(c, r.rid)});
  }
  c.gather = std::make_unique<Gather>();
  c.gather->parts_missing = mesh_.shards();
  c.gather->rid = r.rid;
  ++c.pending;
  for (uint32_t s = 0; s < mesh_.shards(); ++s)
    post(s, xshard::Kind::users_query, new xshard::UsersQuery{requester(c, r.rid)});
}

void Shard::do_rooms(Connection& c, const proto::Request& r) {
  c.gather = std::make_unique<Gather>();
  c.gather->parts_missing = mesh_.shards();
  c.gather->rid = r.rid;
  ++c.pending;
  for (uint32_t s = 0; s < mesh_.shards(); ++s)
    post(s, xshard::Kind::rooms_query, new xshard::RoomsQuery{requester(c, r.rid)});
}

void Shard::do_history(Connection& c, const proto::Request& r) {
  if (!valid_room(r)) return send_error(c, ErrorCode::bad_room, "a room name is 1-64 of A-Z a-z 0-9 _ . -", r.rid, proto::op_name(r.op));
  if (!local_membership(c, r.room)) return send_error(c, ErrorCode::not_in_room, "not in " + std::string(r.room), r.rid, proto::op_name(r.op));
  const uint64_t since = uint64_t(std::max<int64_t>(r.since, 0));
  const uint64_t limit = std::min<uint64_t>(uint64_t(std::max<int64_t>(r.limit, 0)), kMaxHistoryLimit);
  ++c.pending;
  post(shard_of(r.room, mesh_.shards()), xshard::Kind::history_query,
       new xshard::HistoryQuery{std::string(r.room), c.session, since, limit, requester(c, r.rid)});
}

void Shard::do_typing(Connection& c, const proto::Request& r) {
  if (!valid_room(r)) return send_error(c, ErrorCode::bad_room, "a room name is 1-64 of A-Z a-z 0-9 _ . -", r.rid, proto::op_name(r.op));
  if (!local_membership(c, r.room)) return send_error(c, ErrorCode::not_in_room, "not in " + std::string(r.room), r.rid, proto::op_name(r.op));
  if (!take_rate_token(c)) return send_error(c, ErrorCode::rate_limited, "slow down", r.rid, proto::op_name(r.op));
  post(shard_of(r.room, mesh_.shards()), xshard::Kind::typing,
       new xshard::TypingNote{std::string(r.room), c.user, c.session, r.on});
}

}  // namespace chatd::shard
