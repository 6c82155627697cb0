// Cross-shard traffic: posting envelopes (to our own queue or a peer's ring), draining
// our mailbox, and the handlers for what arrives — the room-owner side (join, leave,
// publish, typing, history) and the member side (broadcast, replies).
#include <algorithm>
#include <memory>

#include "common/log.h"
#include "common/stable_hash.h"
#include "shard/shard.h"

namespace chatd::shard {
namespace {

constexpr std::size_t kMailboxBatch = 4096;  // envelopes per turn: keeps I/O flowing under load

template <class T>
std::unique_ptr<T> own(void* body) {
  return std::unique_ptr<T>(static_cast<T*>(body));
}

}  // namespace

xshard::Requester Shard::requester(const Connection& c, std::string_view rid) const {
  return xshard::Requester{id_, c.key, std::string(rid), c.mode};
}

void Shard::post_envelope(uint32_t target, xshard::Envelope e) {
  if (target == id_) {
    local_queue_.push_back(e);
    return;
  }
  // Keep per-destination order: once something waits in the outbox, so does the rest.
  auto& waiting = outbox_[target];
  if (waiting.empty() && mesh_.mailbox(target).ring.try_push(e)) {
    wake_needed_[target] = true;
    return;
  }
  if (waiting.empty()) stats_.ring_full.add();
  waiting.push_back(e);
}

void Shard::flush_outbox() {
  for (uint32_t target = 0; target < outbox_.size(); ++target) {
    auto& waiting = outbox_[target];
    while (!waiting.empty() && mesh_.mailbox(target).ring.try_push(waiting.front())) {
      waiting.pop_front();
      wake_needed_[target] = true;
    }
    if (wake_needed_[target]) {
      wake_needed_[target] = false;
      mesh_.wake(target);
    }
  }
}

void Shard::drain_mailbox() {
  auto& ring = mesh_.mailbox(id_).ring;
  ring.drain([this](xshard::Envelope&& e) { handle(e); }, kMailboxBatch);
  // Our own envelopes may beget more (publish → broadcast to ourselves): run them out.
  while (!local_queue_.empty()) {
    xshard::Envelope e = local_queue_.front();
    local_queue_.pop_front();
    handle(e);
  }
}

void Shard::handle(xshard::Envelope e) {
  using xshard::Kind;
  switch (e.kind) {
    case Kind::adopt: return on_adopt(*own<xshard::Adopt>(e.body));
    case Kind::join: return on_join(*own<xshard::Join>(e.body));
    case Kind::join_ack: return on_join_ack(*own<xshard::JoinAck>(e.body));
    case Kind::leave: return on_leave(*own<xshard::Leave>(e.body));
    case Kind::publish: return on_publish(*own<xshard::Publish>(e.body));
    case Kind::typing: return on_typing(*own<xshard::TypingNote>(e.body));
    case Kind::broadcast: return on_broadcast(static_cast<net::EventBuffer*>(e.body));
    case Kind::whisper: return on_whisper(*own<xshard::Whisper>(e.body));
    case Kind::reply: return on_reply(*own<xshard::Reply>(e.body));
    case Kind::history_query: return on_history_query(*own<xshard::HistoryQuery>(e.body));
    case Kind::room_users_query: return on_room_users_query(*own<xshard::RoomUsersQuery>(e.body));
    case Kind::users_query: return on_users_query(*own<xshard::UsersQuery>(e.body));
    case Kind::users_part: return on_users_part(*own<xshard::UsersPart>(e.body));
    case Kind::rooms_query: return on_rooms_query(*own<xshard::RoomsQuery>(e.body));
    case Kind::rooms_part: return on_rooms_part(*own<xshard::RoomsPart>(e.body));
    case Kind::snapshot: return on_snapshot(**own<std::shared_ptr<xshard::SnapshotRequest>>(e.body));
  }
}

// ---- connections moving home

void Shard::on_adopt(xshard::Adopt& m) {
  Connection* c = add_connection(m.fd, m.mode);
  c->framer.hold(m.input);  // replayed from the framer's own (padded) buffer
  if (shutting_down_) {
    reply(*c, proto::ErrorEvent{"server_shutdown", "server is shutting down", {}});
    return drain_then_close(*c, config_.drain_timeout);
  }
  c->receiving = true;
  reactor_->start_recv(c->key, c->fd);
  resume_input(*c);
}

// ---- room owner side

// Encodes a room event once: JSON, plus the human line if the room has text
// members. The scratch strings keep their capacity, so no allocation but the buffer's.
template <class Event>
net::EventBuffer* Shard::encode_broadcast(const OwnedRoom& room, const Event& ev,
                                          const net::EventRoute& route) {
  json_scratch_.clear();
  text_scratch_.clear();
  proto::encode_json(json_scratch_, ev, {});
  if (room.members().has_text_members()) proto::encode_text(text_scratch_, ev);
  return net::EventBuffer::create(json_scratch_, text_scratch_, route);
}

template <class Event>
void Shard::broadcast_event(const OwnedRoom& room, std::string_view room_name, const Event& ev, uint64_t exclude,
                            Nanos arrived) {
  net::EventBuffer* event = encode_broadcast(room, ev, {room_name, exclude, arrived});
  fan_out(room, event);
  event->release();
}

void Shard::fan_out(const OwnedRoom& room, net::EventBuffer* event) {
  const auto& per_shard = room.members().per_shard();
  event->retain(room.members().shards_with_members());  // one reference per receiving shard, taken at once
  for (uint32_t s = 0; s < per_shard.size(); ++s)
    if (per_shard[s] > 0) post(s, xshard::Kind::broadcast, event);
}

void Shard::on_join(xshard::Join& m) {
  auto it = owned_rooms_.find(m.room);
  if (it == owned_rooms_.end()) {
    it = owned_rooms_.emplace(m.room, std::make_unique<OwnedRoom>(epochs_.next(wall_clock_micros()), mesh_.shards(), config_.history)).first;
    stats_.rooms_owned.set(owned_rooms_.size());
  }
  OwnedRoom& room = *it->second;
  if (room.members().add(m.session, m.user, m.from.shard, m.text_mode))
    broadcast_event(room, m.room, proto::UserJoined{m.room, m.user}, m.session, now_);
  post(m.from.shard, xshard::Kind::join_ack,
       new xshard::JoinAck{std::move(m.room), m.session, room.members().count(), room.last_seq(), room.epoch(),
                           std::move(m.from)});
}

void Shard::on_leave(xshard::Leave& m) {
  auto it = owned_rooms_.find(m.room);
  if (it == owned_rooms_.end()) return;
  OwnedRoom& room = *it->second;
  std::string user;
  if (!room.members().remove(m.session, &user)) return;
  if (room.members().empty()) {
    owned_rooms_.erase(it);  // a room lives while it has members; its history goes with it
    stats_.rooms_owned.set(owned_rooms_.size());
    return;
  }
  broadcast_event(room, m.room, proto::UserLeft{m.room, user}, 0, now_);
}

void Shard::on_publish(xshard::Publish& m) {
  auto it = owned_rooms_.find(m.room);
  if (it == owned_rooms_.end() || !it->second->members().contains(m.session)) return;  // left meanwhile
  OwnedRoom& room = *it->second;
  proto::Message ev{m.room, m.from, m.text, room.next_seq(), {}, {}};
  if (m.has_id) ev.id = m.id;
  if (m.has_ts) ev.ts = m.ts;
  net::EventBuffer* event = encode_broadcast(room, ev, {m.room, 0, m.arrived, /*is_message=*/true});
  fan_out(room, event);
  room.remember(net::EventRef(event));  // the history keeps the creation reference
}

void Shard::on_typing(xshard::TypingNote& m) {
  auto it = owned_rooms_.find(m.room);
  if (it == owned_rooms_.end() || !it->second->members().contains(m.session)) return;
  broadcast_event(*it->second, m.room, proto::Typing{m.room, m.user, m.on}, m.session, now_);
}

void Shard::on_history_query(xshard::HistoryQuery& m) {
  auto it = owned_rooms_.find(m.room);
  scratch_.clear();
  if (it == owned_rooms_.end() || !it->second->members().contains(m.session)) {
    proto::Op op = proto::Op::history;
    stats_.errors[int(proto::ErrorCode::not_in_room)].add();
    proto::encode(m.from.mode, scratch_,
                  proto::ErrorEvent{"not_in_room", "not in " + m.room, proto::op_name(op)}, m.from.rid);
  } else {
    std::vector<std::string_view> msgs;
    it->second->history_since(m.since, m.limit, [&](const net::EventRef& stored) {
      std::string_view line = stored->json();
      if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
      msgs.push_back(line);
    });
    proto::encode(m.from.mode, scratch_, proto::History{m.room, msgs}, m.from.rid);
  }
  send_reply_to(m.from, scratch_, 1);
}

void Shard::on_room_users_query(xshard::RoomUsersQuery& m) {
  auto it = owned_rooms_.find(m.room);
  const chat::NameList list =
      chat::room_user_list(it == owned_rooms_.end() ? std::vector<std::string_view>{} : it->second->members().sorted_names());
  scratch_.clear();
  proto::encode(m.from.mode, scratch_, proto::Users{list.names, list.count, list.truncated, std::string_view(m.room)},
                m.from.rid);
  send_reply_to(m.from, scratch_, 1);
}

void Shard::on_users_query(xshard::UsersQuery& m) {
  chat::UserListPart part = users_.list_part();
  post(m.from.shard, xshard::Kind::users_part, new xshard::UsersPart{m.from.key, std::move(part.names), part.count});
}

void Shard::on_rooms_query(xshard::RoomsQuery& m) {
  auto* part = new xshard::RoomsPart{m.from.key, {}};
  for (const auto& [name, room] : owned_rooms_) part->rooms.emplace_back(name, room->members().count());
  post(m.from.shard, xshard::Kind::rooms_part, part);
}

// ---- member / home side

void Shard::on_join_ack(xshard::JoinAck& m) {
  Connection* c = find(m.to.key);
  if (!c || c->session != m.session || c->fd < 0) {
    // Gone before the owner answered: undo the membership the owner recorded.
    post(shard_of(m.room, mesh_.shards()), xshard::Kind::leave, new xshard::Leave{m.room, {}, m.session});
    return;
  }
  local_rooms_.add(c->rooms, m.room, c);
  if (c->mode == proto::Mode::text) c->current_room = m.room;
  reply(*c, proto::Joined{m.room, m.members, m.seq, m.epoch}, m.to.rid);
  complete_pending(*c, 1);
}

void Shard::on_broadcast(net::EventBuffer* event) {
  if (const LocalRooms::Room* room = local_rooms_.find(event->room())) {
    uint32_t queued = 0;
    for (Connection* m : room->members) {
      if (m->phase != Phase::open || m->session == event->exclude_session()) continue;
      const std::string_view part = m->mode == proto::Mode::text ? event->text() : event->json();
      if (part.empty()) continue;
      switch (delivery_.broadcast(m->out.bytes(), part.size(), m->over_bound, now_)) {
        case chat::BroadcastVerdict::deliver:
          m->out.push(event, part, /*droppable=*/true);
          ++queued;
          mark_dirty(*m);
          continue;
        case chat::BroadcastVerdict::drop_and_watch:
          slow_.push_back(m->key);
          [[fallthrough]];
        case chat::BroadcastVerdict::drop:
          // A slow reader never slows anyone else: drop for it alone, count, watch it.
          stats_.messages_dropped[int(DropReason::outbound_full)].add();
          continue;
      }
    }
    event->retain(queued);  // safe: we still hold this shard's reference
    if (event->is_message()) {
      stats_.messages_delivered.add(queued);
      if (queued > 0) latency_pending_.push_back(event->arrived());
    }
  }
  event->release();
}

void Shard::on_whisper(xshard::Whisper& m) {
  Connection* target = users_.find(m.to);
  scratch_.clear();
  std::optional<std::string_view> id;
  if (m.has_id) id = m.id;
  if (!target || target->phase != Phase::open) {
    proto::Op op = proto::Op::whisper;
    stats_.errors[int(proto::ErrorCode::no_such_user)].add();
    proto::encode(m.sender.mode, scratch_, proto::ErrorEvent{"no_such_user", m.to + " is not online", proto::op_name(op)},
                  m.sender.rid);
    return send_reply_to(m.sender, scratch_, 1);
  }
  std::optional<int64_t> ts;
  if (m.has_ts) ts = m.ts;
  std::string line;
  proto::encode(target->mode, line, proto::Whisper{m.from, m.text, id, ts});
  if (!delivery_.whisper_fits(target->out.bytes(), line.size())) {
    stats_.messages_dropped[int(DropReason::outbound_full)].add();
  } else {
    net::EventBuffer* b = net::EventBuffer::create(line);
    target->out.push(b, b->json(), /*droppable=*/true);
    mark_dirty(*target);
  }
  proto::encode(m.sender.mode, scratch_, proto::WhisperSent{m.to, id}, m.sender.rid);
  send_reply_to(m.sender, scratch_, 1);
}

void Shard::send_reply_to(const xshard::Requester& to, std::string_view encoded, int pending_done) {
  net::EventBuffer* event = net::EventBuffer::create(encoded);
  if (to.shard != id_) return post(to.shard, xshard::Kind::reply, new xshard::Reply{to.key, event, pending_done});
  xshard::Reply local{to.key, event, pending_done};
  on_reply(local);
}

void Shard::on_reply(xshard::Reply& m) {
  Connection* c = find(m.key);
  if (!c || c->fd < 0) {
    m.event->release();
    return;
  }
  c->out.push(m.event, m.event->json(), /*droppable=*/false);
  mark_dirty(*c);
  complete_pending(*c, m.pending_done);
}

void Shard::on_users_part(xshard::UsersPart& m) {
  Connection* c = find(m.key);
  if (!c || !c->gather) return;
  if (c->gather->add_users({std::move(m.names), m.count})) finish_users(*c);
}

void Shard::finish_users(Connection& c) {
  const chat::NameList list = c.gather->users();
  reply(c, proto::Users{list.names, list.count, list.truncated, {}}, c.gather->rid());
  c.gather.reset();
  complete_pending(c, 1);
}

void Shard::on_rooms_part(xshard::RoomsPart& m) {
  Connection* c = find(m.key);
  if (!c || !c->gather) return;
  if (c->gather->add_rooms(std::move(m.rooms))) finish_rooms(*c);
}

void Shard::finish_rooms(Connection& c) {
  const std::vector<proto::RoomCount> rooms = c.gather->rooms();
  reply(c, proto::Rooms{rooms}, c.gather->rid());
  c.gather.reset();
  complete_pending(c, 1);
}

void Shard::on_snapshot(xshard::SnapshotRequest& m) {
  metrics::ShardSnapshot& s = m.shards[id_];
  s.broadcast_latency = broadcast_latency_;
  for (const auto& slot : slots_) {
    if (!slot) continue;
    s.outbound_bytes += slot->out.bytes();
    s.outbound_max_messages = std::max<uint64_t>(s.outbound_max_messages, slot->out.entries());
  }
  m.done[id_].store(true, std::memory_order_release);
}

void Shard::record_broadcast_latencies() {
  // From the msg frame's arrival to the submission of this shard's sends for it.
  const Nanos submitted = monotonic_now();
  for (Nanos arrived : latency_pending_) broadcast_latency_.record(submitted - arrived);
  latency_pending_.clear();
}

void Shard::complete_pending(Connection& c, int n) {
  c.pending = uint16_t(c.pending - n);
  if (c.pending == 0) resume_input(c);
}

}  // namespace chatd::shard
