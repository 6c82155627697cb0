// The members' and users' side of cross-shard traffic: broadcasts handed to the
// local members of a room, answers to this shard's connections (join acks, replies,
// users/rooms parts), whispers to users whose home this is.
#include <algorithm>
#include <memory>

#include "common/stable_hash.h"
#include "shard/shard.h"

namespace chatd::shard {

void Shard::on_users_query(UsersQuery& m) {
  chat::UserListPart part = users_.list_part();
  post<&Shard::on_users_part>(m.from.shard, new UsersPart{m.from.key, std::move(part.names), part.count});
}

void Shard::on_join_ack(JoinAck& m) {
  Connection* c = find(m.to.key);
  if (!c || c->session != m.session || c->fd < 0) {
    // Gone before the owner answered: undo the membership the owner recorded.
    post<&Shard::on_leave>(shard_of(m.room, mesh_.shards()), new Leave{m.room, {}, m.session});
    return;
  }
  local_rooms_.add(c->rooms, m.room, c);
  if (c->mode == proto::Mode::text) c->current_room = m.room;
  reply(*c, proto::Joined{m.room, m.members, m.seq, m.epoch, m.recovered, m.missed.size()}, m.to.rid);
  if (!m.missed.empty()) replay_missed(*c, m.missed);
  complete_pending(*c, 1);
}

// Recovery on join: the missed msgs, right behind `joined`. They are the answer to the
// join, so they are queued like a reply (never dropped; bounded by --history) and the
// connection stops being read while its queue is over its bound.
void Shard::replay_missed(Connection& c, const std::vector<net::EventRef>& missed) {
  if (c.ws && c.ws->close_queued) return;  // nothing may follow a close frame
  for (const net::EventRef& event : missed) {
    std::string_view part = broadcast_part(*event.get(), c.mode);
    if (part.empty()) {
      // A text user, and the room had none when this msg was encoded: render it now.
      scratch_.clear();
      if (!proto::msg_json_to_text(event->json(), scratch_)) continue;
      queue_reply(c, scratch_);
      continue;
    }
    event->retain();  // the queue entry's reference; the ack keeps its own until it is freed
    c.out.push(event.get(), part, /*droppable=*/false);
  }
  writer_.mark_dirty(c);
  if (delivery_.pause_input(c.out.bytes())) c.input_paused = true;
}

void Shard::on_broadcast(net::EventBuffer* event) {
  const LocalRooms::Room* room = local_rooms_.find(event->room());
  if (room) {
    uint32_t queued = 0;
    for (Connection* m : room->members) {
      if (m->phase != Phase::open || m->session == event->exclude_session()) continue;
      const std::string_view part = broadcast_part(*event, m->mode);
      if (part.empty()) continue;
      switch (delivery_.broadcast(m->out.bytes(), part.size(), m->over_bound, now_)) {
        case chat::BroadcastVerdict::deliver:
          m->out.push(event, part, /*droppable=*/true);
          ++queued;
          writer_.mark_dirty(*m);
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
  settle_credit(event, room);  // the sender's window (pacing.cc)
  event->release();
}

void Shard::on_whisper(Whisper& m) {
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
    net::EventBuffer* b = net::EventBuffer::create(&pool_, line);
    target->out.push(b, reply_part(*b, target->mode), /*droppable=*/true);
    writer_.mark_dirty(*target);
  }
  proto::encode(m.sender.mode, scratch_, proto::WhisperSent{m.to, id}, m.sender.rid);
  send_reply_to(m.sender, scratch_, 1);
}

void Shard::send_reply_to(const Requester& to, std::string_view encoded, int pending_done) {
  net::EventBuffer* event = net::EventBuffer::create(&pool_, encoded);
  if (to.shard != id_) return post<&Shard::on_reply>(to.shard, new Reply{to.key, event, pending_done});
  Reply local{to.key, event, pending_done};
  on_reply(local);
}

void Shard::on_reply(Reply& m) {
  Connection* c = find(m.key);
  if (!c || c->fd < 0 || (c->ws && c->ws->close_queued)) {
    m.event->release();
    if (c && c->fd >= 0) complete_pending(*c, m.pending_done);
    return;
  }
  c->out.push(m.event, reply_part(*m.event, c->mode), /*droppable=*/false);
  writer_.mark_dirty(*c);
  complete_pending(*c, m.pending_done);
}

void Shard::on_users_part(UsersPart& m) {
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

void Shard::on_rooms_part(RoomsPart& m) {
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
