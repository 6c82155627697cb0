// Outbox backpressure: a connection whose next request would post to an outbox
// over its watermark, or to a shard that reports itself backlogged, is held — its
// frame stays in its framer, unhandled — until that outbox is back at half the
// watermark and that shard is no longer backlogged. Only client work is held;
// what shards owe each other always flows, so holding can never deadlock.
#include <algorithm>

#include "common/stable_hash.h"
#include "shard/shard.h"

namespace chatd::shard {

uint32_t Shard::request_target(const proto::Request& r) const {
  using proto::FieldState;
  using proto::Op;
  switch (r.op) {
    case Op::join:
    case Op::leave:
    case Op::msg:
    case Op::history:
    case Op::typing:
      return r.room_state == FieldState::present ? shard_of(r.room, mesh_.shards()) : kNoShard;
    case Op::users:
      if (r.room_state == FieldState::absent) return kAllShards;
      return r.room_state == FieldState::present ? shard_of(r.room, mesh_.shards()) : kNoShard;
    case Op::rooms: return kAllShards;
    case Op::whisper: return r.to_state == FieldState::present ? shard_of(r.to, mesh_.shards()) : kNoShard;
    case Op::hello:  // a move home is one envelope per connection, bounded by --max-conns
    case Op::ping:
    case Op::bye: return kNoShard;
  }
  return kNoShard;
}

bool Shard::admits(uint32_t target, bool resuming) const {
  if (target == kNoShard) return true;
  if (target == kAllShards) {
    for (uint32_t s = 0; s < mesh_.shards(); ++s)
      if (!admits(s, resuming)) return false;
    return true;
  }
  const xshard::Outbox& box = outbox_[target];
  // Hysteresis: held at the watermark, resumed at half of it.
  if (resuming ? !box.below_low_watermark() : box.over_watermark()) return false;
  // relaxed: a hint, re-read every turn while anyone is held.
  return !mesh_.mailbox(target).backlogged.load(std::memory_order_relaxed);
}

bool Shard::hold_if_backlogged(Connection& c, const proto::Request& r) {
  if (!c.logged_in()) return false;  // refused (or moved home) without posting anything
  if (hold_for_window(c, r)) return true;  // a burst: its sender waits (pacing.cc)
  const uint32_t target = request_target(r);
  if (admits(target, /*resuming=*/false)) return false;
  c.held = true;
  c.held_for = target;
  held_.push_back(c.key);
  stats_.inputs_held.add();
  return true;
}

void Shard::resume_held() {
  // A resumed connection may be held again at once (and pushed onto held_): work
  // from a copy.
  held_scratch_.swap(held_);
  for (reactor::ConnKey key : held_scratch_) {
    Connection* c = find(key);
    if (!c || !c->held) continue;
    if (!admits(c->held_for, /*resuming=*/true)) {
      held_.push_back(key);
      continue;
    }
    c->held = false;
    resume_input(*c);
  }
  held_scratch_.clear();
}

void Shard::report_backlog() {
  bool over = false, drained = true;
  std::size_t peak = 0;
  for (const xshard::Outbox& box : outbox_) {
    over = over || box.over_watermark();
    drained = drained && box.below_low_watermark();
    peak = std::max(peak, box.peak());
  }
  stats_.outbox_peak.set(peak);
  // Hysteresis as for a single outbox: backlogged at the watermark, clear at half.
  const bool backlogged = backlogged_ ? !drained : over;
  if (backlogged == backlogged_) return;
  backlogged_ = backlogged;
  // relaxed: a hint for other shards' admission, which re-read it every turn.
  mesh_.mailbox(id_).backlogged.store(backlogged, std::memory_order_relaxed);
}

}  // namespace chatd::shard
