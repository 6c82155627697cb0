// Pacing bursts on a shard; the rules are chat/sender_pacing.h's.
//
//  * Slices: a connection's frames are handled up to SenderPacing::input_slice()
//    bytes per turn; the rest waits in its framer and the connection is listed
//    (yielded_) to go on next turn, after the loop has sent and drained its mailbox.
//  * Windows: the sender's home charges each msg to the sender (Connection::
//    unreleased) and holds its input once the window is full. The msg's credit
//    travels with it (MessageDraft → the owner's EventBuffer), and every shard
//    that receives the broadcast releases it once; the last one to do so hands the
//    credit back to the home shard — on the msg's own EventBuffer, so a steady flow
//    allocates nothing. A member shard withholds its release while a member of the
//    room there keeps up but is behind (withheld_, re-checked every turn).
//
// Why credit and not a "room congested" flag: a flag reaches the sender's home
// only after the msgs already in the rings have landed, and a busy home can run
// many turns in that time. A window bounds what can land after a member starts
// holding back, whatever the shards' relative speeds.
#include <algorithm>

#include "shard/shard.h"

namespace chatd::shard {

bool Shard::input_waits(Connection& c, std::string_view frame) {
  if (stop_phase_ != StopPhase::running) return true;  // graceful stop: no new requests (graceful_stop.cc)
  if (c.slice_turn != turn_) {
    c.slice_turn = turn_;
    c.slice_used = 0;
  }
  if (c.slice_used >= pacing_.input_slice()) {
    if (!c.yielded) {
      c.yielded = true;
      yielded_.push_back(c.key);
    }
    return true;
  }
  c.slice_used += uint32_t(frame.size() + 1);
  return false;
}

void Shard::pace_senders() {
  ++turn_;  // every connection has a fresh slice from here
  if (!withheld_.empty()) release_withheld();
  if (yielded_.empty()) return;
  // Going on may use up a slice again and list the connection anew: work from a copy.
  yielded_scratch_.swap(yielded_);
  for (reactor::ConnKey key : yielded_scratch_) {
    Connection* c = find(key);
    if (!c) continue;
    c->yielded = false;
    if (stop_phase_ == StopPhase::running) resume_input(*c);
  }
  yielded_scratch_.clear();
}

void Shard::note_sent(Connection& c) {
  // The clock is read here, not taken from the turn: this shard may have slept in
  // the poll that delivered the completion.
  if (c.out.bytes() <= pacing_.low_mark()) pacing_.on_sent(c.out.bytes(), c.keep_up, monotonic_now());
}

// ---- the sender's home

bool Shard::hold_for_window(Connection& c, const proto::Request& r) {
  if (r.op != proto::Op::msg) return false;
  const uint32_t weight = chat::SenderPacing::msg_weight(r.room.size(), c.user.size(), r.text.size(), r.id.size());
  if (pacing_.admits(c.unreleased, weight)) return false;
  c.held = true;
  c.held_for = kSenderWindow;  // not on held_: credit_sender resumes it
  stats_.inputs_paused.add();
  return true;
}

net::SenderCredit Shard::charge_window(Connection& c, const proto::Request& r) {
  const uint32_t weight = chat::SenderPacing::msg_weight(r.room.size(), c.user.size(), r.text.size(), r.id.size());
  c.unreleased += weight;
  return net::SenderCredit{c.key, weight, uint16_t(id_)};
}

void Shard::credit_sender(reactor::ConnKey key, uint32_t weight) {
  Connection* c = find(key);
  if (!c) return;  // gone: nobody to pace
  c->unreleased -= std::min(c->unreleased, weight);
  if (!c->held || c->held_for != kSenderWindow || !pacing_.resumes(c->unreleased)) return;
  c->held = false;
  // Not resumed from here (this may run inside a broadcast's fan-out): next pace_senders.
  if (!c->yielded) {
    c->yielded = true;
    yielded_.push_back(c->key);
  }
}

void Shard::return_credit(const net::SenderCredit& credit) {
  if (credit.weight == 0) return;
  if (credit.shard == id_) return credit_sender(credit.key, credit.weight);
  post<&Shard::on_credit_return>(credit.shard, new CreditReturn{credit.key, credit.weight});
}

void Shard::on_credit_return(CreditReturn& m) { credit_sender(m.key, m.weight); }

void Shard::deliver_credit(void* shard, void* body) {
  auto* event = static_cast<net::EventBuffer*>(body);
  if (shard) static_cast<Shard*>(shard)->credit_sender(event->credit().key, event->credit().weight);
  event->release();
}

// ---- a shard that received the msg

void Shard::settle_credit(net::EventBuffer* event, const LocalRooms::Room* room) {
  if (event->credit().weight == 0) return;
  event->retain();  // the release's own reference, handed on below
  if (room) {
    auto waiting = withheld_.find(room->name);
    // Behind what already waits, or a member keeps up but is behind: wait for it.
    if (waiting != withheld_.end() || room_holds_back(*room)) {
      if (waiting == withheld_.end()) waiting = withheld_.emplace(room->name, std::vector<net::EventRef>()).first;
      waiting->second.emplace_back(event);
      return;
    }
  }
  release_credit(event);
}

bool Shard::room_holds_back(const LocalRooms::Room& room) {
  return std::any_of(room.members.begin(), room.members.end(), [&](Connection* m) {
    return m->phase == Phase::open && pacing_.holds_back(m->out.bytes(), m->over_bound.watched(), m->keep_up, now_);
  });
}

void Shard::release_withheld() {
  for (auto it = withheld_.begin(); it != withheld_.end();) {
    const LocalRooms::Room* room = local_rooms_.find(it->first);
    if (room && room_holds_back(*room)) {
      ++it;
      continue;
    }
    for (net::EventRef& ref : it->second) {
      net::EventBuffer* event = ref.get();
      event->retain();
      ref.reset();
      release_credit(event);
    }
    it = withheld_.erase(it);
  }
}

void Shard::release_credit(net::EventBuffer* event) {
  if (!event->release_credit()) return event->release();  // another shard still has it
  const net::SenderCredit& credit = event->credit();
  if (credit.shard == id_) {
    credit_sender(credit.key, credit.weight);
    return event->release();
  }
  post_envelope(credit.shard, xshard::Envelope{&Shard::deliver_credit, event});  // the reference goes along
}

}  // namespace chatd::shard
