// The worker's side of the conversation: server lines in, accounting and the
// closed loop's acknowledgements out. See worker.h.
#include <algorithm>

#include "loadgen/engine/worker.h"
#include "loadgen/wire/requests.h"

namespace chatd::loadgen {

void Worker::on_recv(reactor::ConnKey key, std::span<const char> data) {
  Client* c = client_for(key);
  if (c == nullptr || !c->alive()) return;
  const Nanos now = monotonic_now();  // one clock read per chunk, not per line
  auto result = c->framer.feed(std::string_view(data.data(), data.size()), [&](std::string_view line) {
    handle_line(*c, line, now);
    return c->alive() ? proto::FrameVerdict::next : proto::FrameVerdict::pause;
  });
  if (result == proto::FeedResult::frame_too_large) {
    ledger_.on_error("server_line_too_long");
    close_client(*c);
  }
}

void Worker::handle_line(Client& c, std::string_view line, Nanos now) {
  ServerEvent e;
  if (!parser_.parse(line, e)) {
    ledger_.on_error("bad_server_json");
    return;
  }
  switch (e.kind) {
    case EventKind::msg: return on_room_message(c, e, now);
    case EventKind::whisper: return on_whisper(c, e, now);
    case EventKind::whisper_sent: return on_own_ack(c, e, now);
    case EventKind::error: return on_error_event(c, e, now);
    case EventKind::joined: return on_joined(c, e, now);
    case EventKind::welcome:
      if (e.shards > 0) server_shards_.store(e.shards, std::memory_order_relaxed);
      return;
    default: return;  // user_joined, user_left, ...: not measured
  }
}

void Worker::on_joined(Client& c, const ServerEvent& e, Nanos now) {
  if (c.state != Client::State::greeting) return;
  c.state = Client::State::joined;
  c.seq.reset(e.seq);
  census_.join(c.room);
  ++connected_;
  ++settled_;
  ++new_clients_;
  connect_time_.record(std::max<int64_t>(1, (now - c.started) / 1000));
}

void Worker::record_latency(const ServerEvent& e, Nanos now) {
  ++run_received_;
  latency_.record(std::max<int64_t>(1, (now - e.ts) / 1000));
}

void Worker::on_room_message(Client& c, const ServerEvent& e, Nanos now) {
  auto id = parse_message_id(e.id);
  if (!id || !e.has_ts || e.seq <= 0) return ledger_.on_foreign();
  auto outcome = ledger_.on_room_delivery(c.seq, id->step, e.seq, now);
  if (outcome == DeliveryLedger::Outcome::duplicate || outcome == DeliveryLedger::Outcome::late) return;
  record_latency(e, now);
  // Our own echo acknowledges the message: the closed loop's window moves on.
  if (id->sender == c.number) acknowledge(c, now);
}

void Worker::on_whisper(Client&, const ServerEvent& e, Nanos now) {
  auto id = parse_message_id(e.id);
  if (!id || !e.has_ts) return ledger_.on_foreign();
  if (ledger_.on_direct_delivery(id->step, now) == DeliveryLedger::Outcome::counted) record_latency(e, now);
}

void Worker::on_own_ack(Client& c, const ServerEvent& e, Nanos now) {
  auto id = parse_message_id(e.id);
  if (id && id->step == ledger_.step() && traffic_active_) acknowledge(c, now);
}

void Worker::on_error_event(Client& c, const ServerEvent& e, Nanos now) {
  if (c.state == Client::State::greeting) return fail_connect(c, std::string(e.code.empty() ? "error" : e.code));
  ledger_.on_error(e.code.empty() ? "error" : e.code);
  // A refused message is owed to nobody; free its window slot too. Its receivers
  // are counted as the room is now, which is what it was at send time unless a
  // member came or went in between.
  if (e.op == "msg" || e.op == "whisper") {
    ledger_.on_rejected(e.op == "msg" ? census_.members(c.room) : 1);
    if (traffic_active_) acknowledge(c, now);
  }
}

}  // namespace chatd::loadgen
