// Graceful stop in two phases (docs/architecture.md, "Graceful stop";
// docs/protocol.md, "Guarantees": nothing accepted is lost, a stop flushes what
// is queued).
//
// 1. Quiesce. The shard stops accepting and stops handling requests (frames
//    wait in their framers), so nothing new gets a seq. It keeps sending and
//    draining its mailbox. What other shards already posted must still arrive:
//    a msg takes two hops after its request (home → owner: seq; owner → every
//    shard with members: delivery). So each shard posts a round-1 marker to every
//    shard (itself too) behind everything it posted before it stopped, and once it
//    holds the round-1 markers of all shards, a round-2 marker behind everything
//    that work begot (the owners' broadcasts). Rings and outboxes are FIFO per
//    producer, so a shard holding every round-2 marker has queued every msg that
//    got a seq to its members.
// 2. Drain. Only then is server_shutdown queued to every connection and each is
//    drained and closed as before; the shard exits when its connections are gone
//    and its outboxes are empty (peers may still need its markers), or at
//    --drain-timeout. A peer that never sends its markers costs at most half the
//    drain timeout before this shard drains anyway.
#include <algorithm>

#include "common/log.h"
#include "shard/shard.h"

namespace chatd::shard {

bool Shard::stop_step() {
  switch (stop_phase_) {
    case StopPhase::running:
      if (shared_.stopping.load(std::memory_order_acquire)) begin_shutdown();
      return false;
    case StopPhase::quiescing:
      if (stop_markers_[1] == mesh_.shards() || now_ >= quiesce_deadline_) begin_drain();
      return false;
    case StopPhase::draining:
      return (open_connections_ == 0 && outboxes_empty()) || now_ >= shutdown_deadline_;
  }
  return true;
}

void Shard::begin_shutdown() {
  stop_phase_ = StopPhase::quiescing;
  shutting_down_ = true;  // accepts are refused, adopted connections told at once
  shutdown_deadline_ = now_ + config_.drain_timeout;
  quiesce_deadline_ = now_ + config_.drain_timeout / 2;
  reactor_->pause_accept();
  post_stop_markers(1);
}

void Shard::post_stop_markers(int round) {
  for (uint32_t s = 0; s < mesh_.shards(); ++s) post<&Shard::on_stop_marker>(s, new StopMarker{round});
}

void Shard::on_stop_marker(StopMarker& m) {
  ++stop_markers_[m.round - 1];
  // Everything the round-1 markers followed has been run here, and what it begot
  // is posted: the round-2 markers go behind it.
  if (m.round == 1 && stop_markers_[0] == mesh_.shards() && !sent_round_two_) {
    sent_round_two_ = true;
    post_stop_markers(2);
  }
}

void Shard::begin_drain() {
  stop_phase_ = StopPhase::draining;
  if (stop_markers_[1] < mesh_.shards())
    LOG_WARN("draining before every shard confirmed its deliveries (%u of %u)", stop_markers_[1], mesh_.shards());
  LOG_DEBUG("draining %u connections", open_connections_);
  std::string line;
  for (auto& slot : slots_) {
    if (!slot) continue;
    Connection& c = *slot;
    if (c.phase == Phase::lingering) continue;
    if (c.phase == Phase::open || c.phase == Phase::draining) {
      line.clear();
      proto::encode(c.mode, line, proto::ErrorEvent{"server_shutdown", "server is shutting down", {}});
      queue_reply(c, line);
      close_websocket(c, ws::close_code::going_away, "server shutdown");
      stats_.errors[int(proto::ErrorCode::server_shutdown)].add();
    }
    drain_then_close(c, std::max<Nanos>(shutdown_deadline_ - now_, 0));
  }
}

}  // namespace chatd::shard
