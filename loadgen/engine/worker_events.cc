// The worker's side of the conversation: bytes in through the target's decoder,
// accounting and the closed loop's acknowledgements out. See worker.h.
#include <algorithm>

#include "loadgen/engine/worker.h"
#include "loadgen/wire/requests.h"

namespace chatd::loadgen {

// Hands one client's decoded events to the worker; stops the decoder as soon as
// the client is closed.
class Worker::ClientEvents final : public WireEventSink {
 public:
  ClientEvents(Worker& w, Client& c, Nanos now) : w_(w), c_(c), now_(now) {}
  bool on_wire_event(const WireEvent& e) override {
    w_.handle_event(c_, e, now_);
    return c_.alive();
  }

 private:
  Worker& w_;
  Client& c_;
  Nanos now_;
};

void Worker::on_recv(reactor::ConnKey key, std::span<char> data) {
  Client* c = client_for(key);
  if (c == nullptr || !c->alive()) return;
  const Nanos now = monotonic_now();  // one clock read per chunk, not per frame
  ClientEvents events(*this, *c, now);
  const std::size_t queued = c->out.pending().size();
  c->in_feed = true;
  const std::string_view broken = c->session->feed(std::string_view(data.data(), data.size()), events, c->out.pending());
  c->in_feed = false;
  if (!c->alive()) {  // closed by one of its events
    c->session.reset();
    return;
  }
  if (!broken.empty()) {
    // Still greeting (a refused WebSocket upgrade, say): the attempt is over and
    // must count as a failed connect, or the step would wait for it forever.
    if (c->state == Client::State::greeting) return fail_connect(*c, std::string(broken));
    ledger_.on_error(broken);
    close_client(*c);
    return;
  }
  if (c->out.pending().size() != queued) mark_dirty(*c);  // the protocol answered something (NATS: PONG)
}

void Worker::handle_event(Client& c, const WireEvent& e, Nanos now) {
  using Kind = WireEvent::Kind;
  switch (e.kind) {
    case Kind::room_delivery: return on_room_message(c, e, now);
    case Kind::direct_delivery: return on_whisper(c, e, now);
    case Kind::accepted: return on_accepted(c, e, now);
    case Kind::error: return on_error_event(c, e, now);
    case Kind::ready: return on_joined(c, e, now);
    case Kind::server_info: return on_server_info(e);
    case Kind::garbled: return ledger_.on_error(e.code);
  }
}

void Worker::on_server_info(const WireEvent& e) {
  if (e.shards > 0) server_.note_shards(e.shards);
  if (!e.version.empty() && !told_version_) {
    server_.note_version(e.version);
    told_version_ = true;
  }
}

void Worker::on_joined(Client& c, const WireEvent& e, Nanos now) {
  if (c.state != Client::State::greeting) return;
  c.state = Client::State::joined;
  c.seq.reset(e.last_seq);
  census_.join(c.room);
  ++connected_;
  if (config_.publishes(c.number)) ++connected_publishers_;
  ++settled_;
  ++new_clients_;
  connect_time_.record(std::max<int64_t>(1, (now - c.started) / 1000));
}

void Worker::record_latency(const WireEvent& e, Nanos now) {
  ++run_received_;
  latency_.record(std::max<int64_t>(1, (now - e.ts) / 1000));
}

void Worker::on_room_message(Client& c, const WireEvent& e, Nanos now) {
  auto id = parse_message_id(e.id);
  if (!id || !e.has_ts) return ledger_.on_foreign();
  DeliveryLedger::Outcome outcome;
  if (e.seq > 0) {  // chatd: the room's seq orders everything
    outcome = ledger_.on_room_delivery(c.seq, id->step, e.seq, now);
  } else {  // the peers: each sender's own numbering
    if (config_.plan.room_of(id->sender) != c.room) return ledger_.on_foreign();
    const uint32_t member = config_.plan.member_index(id->sender);
    if (member >= c.room_senders.size()) c.room_senders.resize(member + 1);  // grows once per new member
    outcome = ledger_.on_sender_delivery(c.room_senders[member], id->step, id->n, now);
  }
  if (outcome == DeliveryLedger::Outcome::duplicate || outcome == DeliveryLedger::Outcome::late) return;
  record_latency(e, now);
  // Our own echo acknowledges the message: the closed loop's window moves on.
  if (id->sender == c.number) acknowledge(c, now);
}

void Worker::on_whisper(Client&, const WireEvent& e, Nanos now) {
  auto id = parse_message_id(e.id);
  if (!id || !e.has_ts) return ledger_.on_foreign();
  const auto mark = whispers_.mark(id->step, id->sender, id->n);  // an earlier step's is late anyway
  if (ledger_.on_direct_delivery(id->step, mark, now) == DeliveryLedger::Outcome::counted) record_latency(e, now);
}

// An answer in order (the peers) that belongs to an earlier step's message.
bool Worker::take_stale_answer(Client& c) {
  if (c.answers_owed > 0) --c.answers_owed;
  if (c.stale_answers == 0) return false;
  --c.stale_answers;
  return true;
}

void Worker::on_accepted(Client& c, const WireEvent& e, Nanos now) {
  if (!e.id.empty()) {  // chatd's whisper_sent names its whisper
    auto id = parse_message_id(e.id);
    if (id && id->step == ledger_.step() && traffic_active_) acknowledge(c, now);
    return;
  }
  if (take_stale_answer(c) || !traffic_active_) return;
  // A room message is acknowledged by its echo; the answer only matters for whispers.
  if (spec_.kind == TrafficSpec::Kind::room_message) return;
  if (e.receivers == 0) {  // Redis: nobody subscribed to the receiver's channel
    ledger_.on_error("no_subscriber");
    ledger_.on_rejected(1);
  }
  acknowledge(c, now);
}

void Worker::count_server_error(std::string_view code) {
  ++run_errors_[error_code_slot(code)];
  errors_changed_ = true;
}

void Worker::on_error_event(Client& c, const WireEvent& e, Nanos now) {
  count_server_error(e.code);
  if (c.state == Client::State::greeting) return fail_connect(c, std::string(e.code));
  ledger_.on_error(e.code);
  // A refused message is owed to nobody; free its window slot too. Its receivers
  // are counted as the room is now, which is what it was at send time unless a
  // member came or went in between. chatd names the refused op; the peers
  // answer in order, so an error in a message's place refuses that message.
  bool refused = e.op == "msg" || e.op == "whisper";
  if (e.op.empty() && c.answers_owed > 0) refused = !take_stale_answer(c);
  if (!refused) return;
  const bool room = e.op.empty() ? spec_.kind == TrafficSpec::Kind::room_message : e.op == "msg";
  ledger_.on_rejected(room ? census_.members(c.room) : 1);
  if (room && room_sent_[c.room] > 0) --room_sent_[c.room];
  if (traffic_active_) acknowledge(c, now);
}

}  // namespace chatd::loadgen
