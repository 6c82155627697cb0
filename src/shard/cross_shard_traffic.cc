// Cross-shard traffic on a shard: posting (into a per-destination outbox), pushing
// the outboxes into the peers' rings in batches with one wakeup per destination per
// turn, draining this shard's own ring and outbox, and the two messages that are
// about the shard itself rather than chat (a connection moving home, a metrics
// snapshot).
#include <algorithm>
#include <memory>
#include <numeric>

#include "shard/shard.h"

namespace chatd::shard {
namespace {

constexpr std::size_t kMailboxBatch = 4096;  // envelopes run per turn: keeps I/O flowing under load
constexpr std::size_t kPushBatch = 64;       // an outbox this full is pushed before the turn ends

}  // namespace

Requester Shard::requester(const Connection& c, std::string_view rid) const {
  return Requester{id_, c.key, std::string(rid), c.mode};
}

void Shard::deliver_broadcast(void* shard, void* body) {
  auto* event = static_cast<net::EventBuffer*>(body);
  if (!shard) return event->release();  // discarded: let go of this shard's reference
  static_cast<Shard*>(shard)->on_broadcast(event);
}

void Shard::post_broadcast(uint32_t target, net::EventBuffer* event) {
  post_envelope(target, xshard::Envelope{&Shard::deliver_broadcast, event});
}

void Shard::post_envelope(uint32_t target, xshard::Envelope e) {
  xshard::Outbox& box = outbox_[target];
  box.push(e);
  // Order per destination is the outbox's FIFO, then the ring's (FIFO per producer).
  // Pushing a full batch early keeps the outbox small under a burst; the wakeup
  // still waits for the end of the turn.
  if (target != id_ && box.size() >= kPushBatch && box.flush_into(mesh_.mailbox(target).ring) > 0)
    wake_needed_[target] = true;
}

void Shard::flush_outbox() {
  for (uint32_t target = 0; target < outbox_.size(); ++target) {
    if (target == id_) continue;
    xshard::Outbox& box = outbox_[target];
    if (!box.empty()) {
      if (box.flush_into(mesh_.mailbox(target).ring) > 0) wake_needed_[target] = true;
      if (!box.empty()) stats_.ring_full.add();  // the rest waits for the next turn
    }
    if (wake_needed_[target]) {
      wake_needed_[target] = false;
      mesh_.wake(target);
    }
  }
}

void Shard::drain_mailbox() {
  mesh_.mailbox(id_).ring.drain([this](xshard::Envelope&& e) { e.open(this); }, kMailboxBatch);
  // What we posted to ourselves may beget more (publish → broadcast to ourselves): run it out.
  xshard::Outbox& own = outbox_[id_];
  while (!own.empty()) own.take_front().open(this);
}

bool Shard::outboxes_empty() const {
  return std::all_of(outbox_.begin(), outbox_.end(), [](const xshard::Outbox& box) { return box.empty(); });
}

std::size_t Shard::outbox_depth() const {
  return std::accumulate(outbox_.begin(), outbox_.end(), std::size_t(0),
                         [](std::size_t n, const xshard::Outbox& box) { return n + box.size(); });
}

// ---- connections moving home

void Shard::on_adopt(Adopt& m) {
  Connection* c = add_connection(m.fd.release(), m.mode);
  continue_login_clock(*c, m.admission);
  c->framer.hold(m.input);  // replayed from the framer's own (padded) buffer
  if (m.mode == proto::Mode::ws) c->ws = std::make_unique<WebSocket>(config_.max_frame);  // fed from the framer's bytes
  if (shutting_down_) {
    reply(*c, proto::ErrorEvent{"server_shutdown", "server is shutting down", {}});
    close_websocket(*c, ws::close_code::going_away, "server shutdown");
    return drain_then_close(*c, config_.drain_timeout);
  }
  c->receiving = true;
  reactor_->start_recv(c->key, c->fd);
  resume_input(*c);
}

// ---- metrics

void Shard::deliver_snapshot(void* shard, void* body) {
  std::unique_ptr<std::shared_ptr<SnapshotRequest>> request(static_cast<std::shared_ptr<SnapshotRequest>*>(body));
  if (shard) static_cast<Shard*>(shard)->on_snapshot(**request);
}

xshard::Envelope Shard::snapshot_envelope(std::shared_ptr<SnapshotRequest> request) {
  return xshard::Envelope{&Shard::deliver_snapshot, new std::shared_ptr<SnapshotRequest>(std::move(request))};
}

void Shard::drop_snapshot_envelope(xshard::Envelope e) {
  delete static_cast<std::shared_ptr<SnapshotRequest>*>(e.body);
}

void Shard::on_snapshot(SnapshotRequest& m) {
  metrics::ShardSnapshot& s = m.shards[id_];
  s.broadcast_latency = broadcast_latency_;
  for (const auto& slot : slots_) {
    if (!slot) continue;
    s.outbound_bytes += slot->out.bytes();
    ++s.connections_by_mode[int(slot->mode)];
    s.outbound_max_messages = std::max<uint64_t>(s.outbound_max_messages, slot->out.entries());
  }
  m.done[id_].store(true, std::memory_order_release);
}

}  // namespace chatd::shard
