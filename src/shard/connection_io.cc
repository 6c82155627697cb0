// Connection lifetime on a shard: accept → mode → frames → sends → drain → close,
// and the moves in between (to the home shard after hello).
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <simdjson.h>

#include "common/log.h"
#include "common/stable_hash.h"
#include "proto/text_command.h"
#include "shard/shard.h"

namespace chatd::shard {
namespace {

constexpr Nanos kByeGrace = 2 * kSeconds;       // bye / EOF: time to flush the last replies
constexpr Nanos kLingerMax = 500 * kMillis;     // after shutting the write side, discard input this long
constexpr Nanos kSlowConsumerGrace = 10 * kSeconds;  // slow_consumer: time to read the error

// The first bytes pick the mode; a prefix of "GET " is not yet decided.
proto::Mode classify(std::string_view head) {
  if (head.empty()) return proto::Mode::undecided;
  if (head[0] == '{') return proto::Mode::json;
  constexpr std::string_view get = "GET ";
  const std::size_t n = std::min(head.size(), get.size());
  if (head.substr(0, n) != get.substr(0, n)) return proto::Mode::text;
  return n == get.size() ? proto::Mode::http : proto::Mode::undecided;
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; });
}

}  // namespace

Connection* Shard::find(reactor::ConnKey key) {
  const uint32_t index = reactor::conn_index(key);
  if (index >= slots_.size() || !slots_[index]) return nullptr;
  Connection* c = slots_[index].get();
  return c->key == key ? c : nullptr;
}

Connection* Shard::add_connection(int fd, proto::Mode mode) {
  uint32_t index;
  if (free_slots_.empty()) {
    index = uint32_t(slots_.size());
    slots_.emplace_back();
    slot_generation_.push_back(0);
  } else {
    index = free_slots_.back();
    free_slots_.pop_back();
  }
  const reactor::ConnKey key = (uint64_t(slot_generation_[index] & 0xffffff) << 32) | index;
  slots_[index] = std::make_unique<Connection>(key, fd, config_.max_frame);
  slots_[index]->mode = mode;
  ++open_connections_;
  stats_.connections_active.set(open_connections_);
  return slots_[index].get();
}

void Shard::on_recv(reactor::ConnKey key, std::span<char> data) {
  Connection* c = find(key);
  if (!c) return;
  now_ = monotonic_now();  // the turn's clock is from before the wait
  stats_.bytes_received.add(data.size());
  switch (c->phase) {
    case Phase::open: return process_input(*c, data);
    case Phase::migrating: return c->framer.hold({data.data(), data.size()});  // travels with the fd
    case Phase::draining:
    case Phase::lingering: return;                        // closing: input is discarded
  }
}

void Shard::process_input(Connection& c, std::span<char> chunk) {
  if (c.mode == proto::Mode::ws) return process_ws(c, chunk);  // http_io.cc
  std::string_view data(chunk.data(), chunk.size());
  if (c.mode == proto::Mode::http) return process_http(c, data);
  if (c.mode == proto::Mode::undecided) {
    if (c.framer.buffered() > 0) {
      c.framer.hold(data);
      data = {};
    }
    const proto::Mode mode = classify(c.framer.buffered() > 0 ? c.framer.buffered_view() : data);
    if (mode == proto::Mode::undecided) return c.framer.hold(data);
    c.mode = mode;
    if (mode == proto::Mode::http) return start_http(c, data);
  }
  const proto::FeedResult r = c.framer.feed(data, [&](std::string_view f) { return on_frame(c, f); });
  if (r == proto::FeedResult::frame_too_large) {
    const std::string msg = "a frame is at most " + std::to_string(config_.max_frame) + " bytes";
    send_error(c, proto::ErrorCode::frame_too_large, msg, {}, {});
    c.framer.take_buffered();
    return drain_then_close(c, kByeGrace);
  }
  resume_input(c);
}

void Shard::resume_input(Connection& c) {
  if (c.phase == Phase::migrating) return hand_off(c);
  if (c.phase != Phase::open) return;
  if (c.http || c.ws) return resume_web_input(c);  // http_io.cc
  if (c.takes_frames() && c.framer.buffered() > 0) {
    const auto r = c.framer.resume([&](std::string_view f) { return on_frame(c, f); });
    if (r == proto::FeedResult::frame_too_large) return process_input(c, std::span<char>());
    if (c.phase == Phase::migrating) return hand_off(c);
  }
  // Bound the input we hold for a connection that is waiting (for replies or for its
  // own outbound queue to drain): stop reading, resume when the backlog is worked off.
  const std::size_t input_bound = config_.max_frame + 256 * 1024;
  if (c.receiving && c.framer.buffered() > input_bound) {
    reactor_->stop_recv(c.key, c.fd);
  } else if (!c.receiving && !c.peer_closed && c.phase == Phase::open && c.framer.buffered() <= input_bound) {
    c.receiving = true;
    reactor_->start_recv(c.key, c.fd);
  }
  if (c.peer_closed && c.takes_frames()) drain_then_close(c, kByeGrace);
}

proto::FrameVerdict Shard::on_frame(Connection& c, std::string_view frame) {
  if (!c.takes_frames() || input_waits(c, frame)) return proto::FrameVerdict::hold;  // pacing.cc
  proto::Request& req = request_;  // reset by the parsers below
  if (c.mode != proto::Mode::text) {  // JSON lines, or WebSocket text messages
    if (blank(frame)) return proto::FrameVerdict::next;
    const proto::ParseOutcome outcome = parser_.parse(frame, req);
    if (!outcome.ok()) {
      stats_.frames_invalid.add();
      const auto code = outcome.error == proto::ParseError::bad_json ? proto::ErrorCode::bad_json
                                                                     : proto::ErrorCode::unknown_op;
      send_error(c, code, outcome.message, req.rid, req.op_text);
    } else {
      handle_request(c, req, frame);
    }
  } else {
    if (!simdjson::validate_utf8(frame.data(), frame.size())) {
      send_error(c, proto::ErrorCode::bad_json, "lines must be valid UTF-8", {}, {});
      return proto::FrameVerdict::next;
    }
    switch (proto::parse_text_line(frame, c.logged_in(), c.current_room, req, text_login())) {
      case proto::TextLine::request: handle_request(c, req, frame); break;
      case proto::TextLine::help: queue_reply(c, proto::kTextHelp); break;
      case proto::TextLine::empty: break;
      case proto::TextLine::unknown_command:
        send_error(c, proto::ErrorCode::unknown_op, "unknown command (try /help)", {}, {});
        break;
      case proto::TextLine::no_room:
        send_error(c, proto::ErrorCode::not_in_room, "join a room first (/join ROOM)", {}, "msg");
        break;
      case proto::TextLine::missing_argument:
        send_error(c, proto::ErrorCode::unknown_op, "missing argument (try /help)", {}, {});
        break;
    }
  }
  if (c.held) return proto::FrameVerdict::hold;  // not handled: it runs again once the outbox drains
  return c.takes_frames() ? proto::FrameVerdict::next : proto::FrameVerdict::pause;
}

void Shard::on_recv_end(reactor::ConnKey key, int result) {
  Connection* c = find(key);
  if (!c) return;
  c->receiving = false;
  if (result == -ECANCELED && c->phase == Phase::open) return resume_input(*c);  // backpressure stop
  if (c->phase == Phase::migrating) return hand_off(*c);
  // Input stopped for backpressure while its last words were being queued: not an
  // end. Closing now would reset the connection and lose what is still queued.
  if (result == -ECANCELED && c->phase == Phase::draining) return;  // start_lingering reads again
  if (result == -ECANCELED && c->phase == Phase::lingering) return discard_input(*c);
  if (c->phase == Phase::lingering || result < 0) return close_connection(*c);
  c->peer_closed = true;  // EOF: answer what was sent, then close
  if (c->phase == Phase::open) resume_input(*c);
}

void Shard::on_send_done(reactor::ConnKey key, int result) {
  Connection* c = find(key);
  if (!c) return;
  switch (writer_.on_send_done(*c, result)) {
    case net::SendDone::closed: return free_slot(*c);  // closed while the kernel still had our iovecs
    case net::SendDone::failed: return close_connection(*c);
    case net::SendDone::more: stats_.bytes_sent.add(uint64_t(result)); break;
    case net::SendDone::drained:
      stats_.bytes_sent.add(uint64_t(result));
      if (c->phase == Phase::draining) return start_lingering(*c);
      if (c->phase == Phase::migrating) return hand_off(*c);
      break;
  }
  note_sent(*c);  // a member that drains keeps holding bursts back (pacing.cc)
  if (c->input_paused && delivery_.resume_input(c->out.bytes())) {
    c->input_paused = false;
    resume_input(*c);
  }
}

void Shard::queue_reply(Connection& c, std::string_view encoded) {
  if (c.ws && c.ws->close_queued) return;  // nothing may follow a close frame
  net::EventBuffer* b = net::EventBuffer::create(&pool_, encoded);
  c.out.push(b, reply_part(*b, c.mode), /*droppable=*/false);
  writer_.mark_dirty(c);
  // Replies are never dropped, so a client that asks without reading is bounded by
  // no longer reading its requests.
  if (delivery_.pause_input(c.out.bytes())) c.input_paused = true;
}

void Shard::drain_then_close(Connection& c, Nanos grace) {
  if (c.phase == Phase::draining || c.phase == Phase::lingering) return;
  c.phase = Phase::draining;
  c.deadline = c.close_by = now_ + grace;
  // From here on the connection only delivers its last words: as a chat user it has
  // left (others see user_left now, the name is free now).
  leave_everything(c);
  closing_.push_back(c.key);
  if (c.out.empty() && !c.send.in_flight) start_lingering(c);
}

void Shard::start_lingering(Connection& c) {
  // Shut our write side and discard what the peer still sends: closing with unread
  // input would reset the connection and destroy the last event we sent.
  ::shutdown(c.fd, SHUT_WR);
  c.phase = Phase::lingering;
  c.deadline = std::min(c.deadline, now_ + kLingerMax);
  if (c.receiving) return;
  if (c.peer_closed) return close_connection(c);
  discard_input(c);  // its input was stopped for backpressure: its unread bytes would reset it
}

// At the end of the linger: if the peer has not yet received every byte we sent
// (the kernel still holds some, unacknowledged), a close now would reset the
// connection and destroy them. Linger another round, within the close's own bound.
bool Shard::linger_longer(Connection& c) {
  int unacked = 0;
  if (c.phase != Phase::lingering || now_ >= c.close_by) return false;
  if (::ioctl(c.fd, SIOCOUTQ, &unacked) != 0 || unacked == 0) return false;
  c.deadline = std::min(now_ + kLingerMax, c.close_by);
  return true;
}

void Shard::discard_input(Connection& c) {
  c.receiving = true;
  reactor_->start_recv(c.key, c.fd);
}

void Shard::close_connection(Connection& c) {
  if (c.fd < 0) return;
  leave_everything(c);
  reactor_->close(c.key, c.fd);
  c.fd = -1;
  c.receiving = false;
  release_address_slot(c);
  shared_.connections.fetch_sub(1, std::memory_order_relaxed);
  if (accept_paused_) accept_resume_at_ = 0;  // an fd is free again
  if (!c.send.in_flight) free_slot(c);
}

void Shard::free_slot(Connection& c) {
  writer_.forget(c);
  const uint32_t index = reactor::conn_index(c.key);
  ++slot_generation_[index];
  slots_[index].reset();
  free_slots_.push_back(index);
  --open_connections_;
  stats_.connections_active.set(open_connections_);
}

void Shard::leave_everything(Connection& c) {
  local_rooms_.remove_all(c.rooms, &c, [&](std::string_view room) {
    post<&Shard::on_leave>(shard_of(room, mesh_.shards()), new Leave{std::string(room), c.user, c.session});
  });
  if (c.logged_in()) {
    users_.release(c.user, &c);
    stats_.users_online.set(users_.size());
  }
}

void Shard::check_slow_consumers() {
  std::erase_if(slow_, [&](reactor::ConnKey key) {
    Connection* c = find(key);
    if (!c || c->phase != Phase::open) return true;
    switch (delivery_.check_slow(c->out.bytes(), c->over_bound, now_)) {
      case chat::SlowVerdict::forgiven: return true;
      case chat::SlowVerdict::watching: return false;
      case chat::SlowVerdict::disconnect: break;
    }
    // Over the bound for too long: drop its backlog (counted), tell it why, close.
    stats_.messages_dropped[int(DropReason::slow_consumer_close)].add(c->out.drop_droppable(c->send.in_flight ? c->send.in_flight_iov : 0));
    stats_.slow_consumer_disconnects.add();
    send_error(*c, proto::ErrorCode::slow_consumer, "outbound queue stayed over its bound; closing", {}, {});
    close_websocket(*c, ws::close_code::policy_violation, "slow consumer");
    // A slow reader needs time to reach its last words; its backlog is gone, so
    // the wait costs a socket and a small queue, not memory that grows.
    drain_then_close(*c, std::max(config_.slow_timeout, kSlowConsumerGrace));
    return true;
  });
}

void Shard::hand_off(Connection& c) {
  if (c.receiving || c.send.in_flight || !c.out.empty()) return;  // called again when they finish
  std::string input = c.ws ? websocket_handoff(c) : std::move(c.handoff);
  auto* adopt = new Adopt{UniqueFd(c.fd), c.mode, std::move(input), c.admission};
  adopt->input += c.framer.take_buffered();
  const uint32_t target = c.migrate_to;
  c.fd = -1;  // the fd now belongs to the home shard
  free_slot(c);
  post<&Shard::on_adopt>(target, adopt);
}

}  // namespace chatd::shard
