// Requests, on the connection's shard (its home shard once logged in). Which check
// refuses a request is decided in chat/request_checks.cc; what is left here is
// where each accepted request goes.
#include <algorithm>

#include "common/stable_hash.h"
#include "shard/shard.h"

namespace chatd::shard {
namespace {

using proto::ErrorCode;
using proto::FieldState;
using proto::Op;

constexpr std::string_view kLobby = "lobby";

}  // namespace

void Shard::send_error(Connection& c, ErrorCode code, std::string_view msg, std::string_view rid, std::string_view op) {
  stats_.errors[int(code)].add();
  std::optional<std::string_view> op_field;
  if (!op.empty()) op_field = op;
  reply(c, proto::ErrorEvent{proto::error_code_name(code), msg, op_field}, rid);
}

void Shard::refuse(Connection& c, const proto::Request& r, const chat::Refusal& refusal) {
  send_error(c, refusal.code, refusal.message, r.rid, proto::op_name(r.op));
  // A person typing a name that was refused is asked again.
  if (r.op == Op::hello && c.mode == proto::Mode::text) queue_reply(c, text_prompt());
}

void Shard::handle_request(Connection& c, const proto::Request& r, std::string_view frame) {
  if (hold_if_backlogged(c, r)) return;  // runs again, from the start, once the outbox drains
  stats_.frames_received[int(r.op)].add();
  LocalRooms::Room* room = r.room_state == FieldState::present ? LocalRooms::membership(c.rooms, r.room) : nullptr;
  const chat::Sender sender{c.logged_in(), c.user, room != nullptr, c.rooms.size(), &c.bucket, now_};
  if (auto refusal = chat::check_request(r, sender, limits_)) return refuse(c, r, *refusal);
  switch (r.op) {
    case Op::hello: return do_hello(c, r, frame);
    case Op::join: return join_room_request(c, r.room, r.rid, chat::recovery_ask(r));  // a repeated join too
    case Op::leave: return do_leave(c, r, room);
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
      close_websocket(c, ws::close_code::normal, {});
      return drain_then_close(c, 2 * kSeconds);
  }
}

void Shard::do_hello(Connection& c, const proto::Request& r, std::string_view frame) {
  // The token first (login.cc): before the move home, so a forger never costs a hop,
  // and before name_taken, so who is online cannot be probed without one. The home
  // shard verifies the replayed hello again (docs/auth.md).
  if (!token_accepted(c, r)) return;
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
  if (!users_.claim(r.user, &c))
    return refuse(c, r, {ErrorCode::name_taken, std::string(r.user) + " is already online"});
  c.session = (uint64_t(id_) << 48) | ++session_counter_;
  c.admission.login_by = 0;  // logged in: the login deadline no longer applies
  c.user.assign(r.user);
  stats_.users_online.set(users_.size());
  reply(c, proto::Welcome{c.user, id_, mesh_.shards()}, r.rid);
  if (c.mode == proto::Mode::text) {
    c.current_room.assign(kLobby);
    join_room_request(c, kLobby, {});
  }
}

void Shard::join_room_request(Connection& c, std::string_view room, std::string_view rid,
                              std::optional<chat::RecoveryAsk> recover) {
  auto* join = new Join{std::string(room), c.user, c.session, c.mode == proto::Mode::text, requester(c, rid), recover};
  ++c.pending;
  post<&Shard::on_join>(shard_of(room, mesh_.shards()), join);
}

void Shard::do_leave(Connection& c, const proto::Request& r, LocalRooms::Room* room) {
  local_rooms_.remove(c.rooms, room, &c);  // `room` may be gone now; r.room is its name
  post<&Shard::on_leave>(shard_of(r.room, mesh_.shards()), new Leave{std::string(r.room), c.user, c.session});
  if (c.current_room == r.room) c.current_room.clear();
  reply(c, proto::Left{r.room}, r.rid);
}

void Shard::do_msg(Connection& c, const proto::Request& r) {
  const MessageDraft m{r.room, c.user, r.text, r.id, r.has_id, r.has_ts, r.ts, c.session, now_, charge_window(c, r)};
  const uint32_t owner = shard_of(r.room, mesh_.shards());
  // Owned here: sequenced and encoded at once, straight from the request's views.
  if (owner == id_) return publish(m);
  post_envelope(owner, xshard::Envelope{&Shard::deliver_publish, Publish::make(pool_, m)});
}

void Shard::do_whisper(Connection& c, const proto::Request& r) {
  auto* w = new Whisper{c.user, std::string(r.to), std::string(r.text), std::string(r.id),
                        r.has_id, r.has_ts, r.ts, requester(c, r.rid)};
  ++c.pending;
  post<&Shard::on_whisper>(shard_of(r.to, mesh_.shards()), w);
}

void Shard::do_users(Connection& c, const proto::Request& r) {
  if (r.room_state != FieldState::absent) {
    ++c.pending;
    return post<&Shard::on_room_users_query>(shard_of(r.room, mesh_.shards()),
                                             new RoomUsersQuery{std::string(r.room), requester(c, r.rid)});
  }
  c.gather = std::make_unique<chat::ListGather>(mesh_.shards(), r.rid);
  ++c.pending;
  for (uint32_t s = 0; s < mesh_.shards(); ++s)
    post<&Shard::on_users_query>(s, new UsersQuery{requester(c, r.rid)});
}

void Shard::do_rooms(Connection& c, const proto::Request& r) {
  c.gather = std::make_unique<chat::ListGather>(mesh_.shards(), r.rid);
  ++c.pending;
  for (uint32_t s = 0; s < mesh_.shards(); ++s)
    post<&Shard::on_rooms_query>(s, new RoomsQuery{requester(c, r.rid)});
}

void Shard::do_history(Connection& c, const proto::Request& r) {
  const chat::HistoryWindow window = chat::history_window(r);
  ++c.pending;
  post<&Shard::on_history_query>(shard_of(r.room, mesh_.shards()),
                                 new HistoryQuery{std::string(r.room), c.session, window.since, window.limit, requester(c, r.rid)});
}

void Shard::do_typing(Connection& c, const proto::Request& r) {
  const uint32_t owner = shard_of(r.room, mesh_.shards());
  // Direct when owned here, like msg, so a typing note and a msg keep their order.
  if (owner == id_) return typing(r.room, c.user, c.session, r.on);
  post<&Shard::on_typing>(owner, new TypingNote{std::string(r.room), c.user, c.session, r.on});
}

}  // namespace chatd::shard
