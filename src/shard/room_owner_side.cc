// The room owner's side of cross-shard traffic: a room's owner shard (the hash of
// its name) records joins and leaves, gives every msg its seq, encodes each event
// once and fans it out to the shards with members (docs/architecture.md, "Life of a
// room message"); it also answers history, room-users and rooms queries.
#include <algorithm>
#include <memory>

#include "common/stable_hash.h"
#include "shard/shard.h"

namespace chatd::shard {

// Encodes a room event once: JSON, plus the human line if the room has text
// members. The scratch strings keep their capacity, so no allocation but the buffer's.
template <class Event>
net::EventBuffer* Shard::encode_broadcast(const OwnedRoom& room, const Event& ev,
                                          const net::EventRoute& route) {
  json_scratch_.clear();
  text_scratch_.clear();
  proto::encode_json(json_scratch_, ev, {});
  if (room.members().has_text_members()) proto::encode_text(text_scratch_, ev);
  return net::EventBuffer::create(&pool_, json_scratch_, text_scratch_, route);
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
    if (per_shard[s] > 0) post_broadcast(s, event);
}

void Shard::on_join(Join& m) {
  auto it = owned_rooms_.find(m.room);
  if (it == owned_rooms_.end()) {
    it = owned_rooms_.emplace(m.room, std::make_unique<OwnedRoom>(epochs_.next(wall_clock_micros()), mesh_.shards(), config_.history)).first;
    stats_.rooms_owned.set(owned_rooms_.size());
  }
  OwnedRoom& room = *it->second;
  if (room.members().add(m.session, m.user, m.from.shard, m.text_mode))
    broadcast_event(room, m.room, proto::UserJoined{m.room, m.user}, m.session, now_);
  auto* ack = new JoinAck{std::move(m.room), m.session, room.members().count(), room.last_seq(), room.epoch(),
                          std::move(m.from)};
  if (m.recover) {
    // Recovery on join: the verdict and the missed msgs go in the ack, so the member's
    // shard queues them right behind `joined` and before any later broadcast.
    const chat::RecoveryVerdict verdict = room.recovery(*m.recover);
    ack->recovered = verdict.recovered;
    if (verdict.recovered) {
      ack->missed.reserve(verdict.missed);
      room.history_since(m.recover->since, verdict.missed, [&](const net::EventRef& stored) {
        stored->retain();
        ack->missed.emplace_back(stored.get());
      });
    }
  }
  post<&Shard::on_join_ack>(ack->to.shard, ack);
}

void Shard::on_leave(Leave& m) {
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

void Shard::deliver_publish(void* shard, void* body) {
  auto* p = static_cast<Publish*>(body);
  if (shard) static_cast<Shard*>(shard)->publish(p->draft());  // else discarded
  Publish::release(p);  // back to the sender's home shard's pool
}

void Shard::publish(const MessageDraft& m) {
  auto it = owned_rooms_.find(m.room);
  if (it == owned_rooms_.end() || !it->second->members().contains(m.session))
    return return_credit(m.credit);  // left meanwhile
  OwnedRoom& room = *it->second;
  proto::Message ev{m.room, m.from, m.text, room.next_seq(), {}, {}};
  if (m.has_id) ev.id = m.id;
  if (m.has_ts) ev.ts = m.ts;
  net::EventBuffer* event = encode_message(room, ev, {m.room, 0, m.arrived, /*is_message=*/true, m.credit});
  // Each shard that gets it releases it once; the last hands the credit back (pacing.cc).
  event->expect_releases(uint16_t(room.members().shards_with_members()));
  fan_out(room, event);
  room.remember(net::EventRef(event));  // the history keeps the creation reference
}

// The msg event is written in place: its text is copied once, from the request
// (or the Publish block) into the buffer every member's queue will point at.
net::EventBuffer* Shard::encode_message(const OwnedRoom& room, const proto::Message& ev,
                                        const net::EventRoute& route) {
  const bool text = room.members().has_text_members();
  net::EventBuffer* b = net::EventBuffer::allocate(&pool_, route, proto::json_size(ev), text ? proto::text_size(ev) : 0);
  proto::write_json(b->json_bytes(), ev);
  if (text) proto::write_text(b->text_bytes(), ev);
  return b;
}

void Shard::on_typing(TypingNote& m) { typing(m.room, m.user, m.session, m.on); }

void Shard::typing(std::string_view room_name, std::string_view user, uint64_t session, bool on) {
  auto it = owned_rooms_.find(room_name);
  if (it == owned_rooms_.end() || !it->second->members().contains(session)) return;
  broadcast_event(*it->second, room_name, proto::Typing{room_name, user, on}, session, now_);
}

void Shard::on_history_query(HistoryQuery& m) {
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

void Shard::on_room_users_query(RoomUsersQuery& m) {
  auto it = owned_rooms_.find(m.room);
  const chat::NameList list =
      chat::room_user_list(it == owned_rooms_.end() ? std::vector<std::string_view>{} : it->second->members().sorted_names());
  scratch_.clear();
  proto::encode(m.from.mode, scratch_, proto::Users{list.names, list.count, list.truncated, std::string_view(m.room)},
                m.from.rid);
  send_reply_to(m.from, scratch_, 1);
}

void Shard::on_rooms_query(RoomsQuery& m) {
  auto* part = new RoomsPart{m.from.key, {}};
  for (const auto& [name, room] : owned_rooms_) part->rooms.emplace_back(name, room->members().count());
  post<&Shard::on_rooms_part>(m.from.shard, part);
}

}  // namespace chatd::shard
