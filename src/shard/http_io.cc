// HTTP and WebSocket connections on the chat port (docs/web.md): request heads answered
// one after another on a keep-alive connection, the upgrade of `GET /ws` to WebSocket,
// and WebSocket frames turned into the same requests a JSON-lines client sends. What
// decides is pure and tested without sockets (src/http, src/ws); this file only moves
// bytes between those pieces, the connection's queues and the request path.
#include <string>

#include "http/router.h"
#include "shard/shard.h"
#include "ws/client_frame.h"
#include "ws/frame_encoder.h"
#include "ws/handshake.h"
#include "ws/padded_buffer.h"

namespace chatd::shard {
namespace {

constexpr Nanos kHttpCloseGrace = 2 * kSeconds;  // a refusal or last response: time to reach the client
// While a WebSocket connection's requests wait (replies, a full queue, a full outbox),
// it is not read past this many buffered bytes beyond one message.
constexpr std::size_t kWsInputSlack = 256 * 1024;

}  // namespace

// ---- HTTP

void Shard::start_http(Connection& c, std::string_view data) {
  c.http = std::make_unique<HttpInput>();
  c.http->buffered = c.framer.take_buffered();  // the first bytes, held while the mode was undecided
  c.http->buffered.append(data);
  c.http->deadline = now_ + http::kHeadTimeout;
  http_connections_.push_back(c.key);
  resume_input(c);
}

void Shard::process_http(Connection& c, std::string_view data) {
  HttpInput& in = *c.http;
  if (in.buffered.empty()) in.deadline = now_ + http::kHeadTimeout;  // the first byte of a head
  in.buffered.append(data);
  resume_input(c);
}

// Answers every complete head that is buffered, in order, as long as the connection
// may take requests (not while its outbound queue is over its bound).
void Shard::serve_http(Connection& c) {
  HttpInput& in = *c.http;
  while (c.phase == Phase::open && !c.input_paused && !in.buffered.empty()) {
    const http::HeadParse p = in.parser.parse(in.buffered);
    if (p.status == http::HeadStatus::need_more) break;  // the deadline keeps running
    if (p.status == http::HeadStatus::bad) return answer_http(c, http::refuse(p));
    const http::Route route = http::route(p.head);
    if (route.kind == http::RouteKind::websocket) {
      const http::Reply handshake = ws::accept_handshake(p.head);
      answer_http(c, handshake);
      if (handshake.status == 101) upgrade_to_websocket(c, p.consumed);
      return;
    }
    const http::Reply reply = http::serve(p.head, route);  // views into `buffered`: used before the erase
    answer_http(c, reply);
    if (reply.close_after) return;
    in.buffered.erase(0, p.consumed);
    in.deadline = now_ + (in.buffered.empty() ? kHttpIdleTimeout : http::kHeadTimeout);
  }
  if (c.phase != Phase::open) return;
  if (c.receiving && in.buffered.size() > kMaxHttpBuffered) {
    reactor_->stop_recv(c.key, c.fd);  // pipelined requests pile up while we cannot answer
  } else if (!c.receiving && !c.peer_closed && in.buffered.size() <= kMaxHttpBuffered) {
    c.receiving = true;
    reactor_->start_recv(c.key, c.fd);
  }
  // EOF: what was complete is answered; an unfinished head is dropped without a reply.
  if (c.peer_closed && (!c.input_paused || in.buffered.empty())) drain_then_close(c, kHttpCloseGrace);
}

void Shard::answer_http(Connection& c, const http::Reply& reply) {
  queue_bytes(c, reply.bytes);
  stats_.http_responses[metrics::http_status_slot(reply.status)].add();
  if (reply.close_after) drain_then_close(c, kHttpCloseGrace);
}

void Shard::check_http_deadlines() {
  std::erase_if(http_connections_, [&](reactor::ConnKey key) {
    Connection* c = find(key);
    if (!c || !c->http || c->phase != Phase::open) return true;  // gone, upgraded or closing
    if (now_ < c->http->deadline) return false;
    // A head too slow to finish (slowloris), or a keep-alive connection left idle: close
    // without a reply, after what was already answered has gone out.
    drain_then_close(*c, kHttpCloseGrace);
    return true;
  });
}

// ---- WebSocket

void Shard::upgrade_to_websocket(Connection& c, std::size_t head_len) {
  // Frames may follow the head in the same receive: they start the WebSocket stream.
  ws::PaddedBuffer rest;
  rest.append(c.http->buffered.data() + head_len, c.http->buffered.size() - head_len);
  c.http.reset();  // check_http_deadlines forgets it
  c.mode = proto::Mode::ws;
  c.ws = std::make_unique<WebSocket>(config_.max_frame);
  start_login_clock(c);  // a chat client from here on: --login-timeout counts from the upgrade
  if (!rest.empty()) return process_ws(c, std::span<char>(rest.data(), rest.size()));
  resume_input(c);
}

void Shard::process_ws(Connection& c, std::span<char> chunk) {
  // A stopped reader (a close or an error) has already queued our close frame and
  // started closing; what else arrives is not read.
  c.ws->reader.feed(chunk, [&](const ws::WsEvent& ev) { return on_ws_event(c, ev); });
  resume_input(c);
}

void Shard::resume_web_input(Connection& c) {
  if (c.http) return serve_http(c);
  ws::WsReader& reader = c.ws->reader;
  const auto on_event = [&](const ws::WsEvent& ev) { return on_ws_event(c, ev); };
  if (c.framer.buffered() > 0) {
    // Frames that came with the connection from another shard (hello's hand-off), kept
    // raw in the line framer's buffer until now: decoded first, in place, in a padded copy.
    const std::string raw = c.framer.take_buffered();
    ws::PaddedBuffer moved;
    moved.append(raw.data(), raw.size());
    reader.feed(std::span<char>(moved.data(), moved.size()), on_event);
  } else if (c.takes_frames()) {
    reader.resume(on_event);
  }
  if (c.phase == Phase::migrating) return hand_off(c);
  if (c.phase != Phase::open) return;
  const std::size_t input_bound = config_.max_frame + kWsInputSlack;
  if (c.receiving && reader.buffered() > input_bound) {
    reactor_->stop_recv(c.key, c.fd);
  } else if (!c.receiving && !c.peer_closed && reader.buffered() <= input_bound) {
    c.receiving = true;
    reactor_->start_recv(c.key, c.fd);
  }
  if (c.peer_closed && c.takes_frames()) drain_then_close(c, kHttpCloseGrace);
}

proto::FrameVerdict Shard::on_ws_event(Connection& c, const ws::WsEvent& ev) {
  if (ev.kind == ws::WsEventKind::error) {
    // A protocol error ends the stream at once, with the close code the decoder chose.
    close_websocket(c, ev.code, ev.why);
    drain_then_close(c, kHttpCloseGrace);
    return proto::FrameVerdict::next;
  }
  // Everything else waits its turn, like a JSON line: a pong is a reply too, and a
  // client that pings without reading is bounded by no longer being read.
  if (!c.takes_frames()) return proto::FrameVerdict::hold;
  switch (ev.kind) {
    case ws::WsEventKind::text: return on_frame(c, ev.payload);
    case ws::WsEventKind::ping:
      scratch_.clear();
      ws::append_frame(ws::Opcode::pong, ev.payload, scratch_);
      queue_bytes(c, scratch_);
      break;
    case ws::WsEventKind::pong: break;
    case ws::WsEventKind::close:
      // The close handshake: echo the peer's code (none: an empty close frame), then
      // close once the replies to what it sent before have gone out.
      close_websocket(c, ev.code, {});
      drain_then_close(c, kHttpCloseGrace);
      break;
    case ws::WsEventKind::error: break;  // handled above
  }
  return c.takes_frames() ? proto::FrameVerdict::next : proto::FrameVerdict::pause;
}

void Shard::close_websocket(Connection& c, uint16_t code, std::string_view reason) {
  if (!c.ws || c.ws->close_queued) return;
  std::string frame;
  ws::append_close_frame(code, reason, frame);
  queue_bytes(c, frame);
  c.ws->close_queued = true;  // after a close frame nothing more is sent (RFC 6455 §5.5.1)
}

std::string Shard::websocket_handoff(Connection& c) {
  // The hello frame first, as a client frame the home shard's reader decodes again
  // (mask key 0 leaves the bytes as they are), then whatever this reader had not
  // delivered; the raw bytes received since follow (Shard::hand_off).
  std::string input;
  std::string_view hello = c.handoff;
  if (!hello.empty() && hello.back() == '\n') hello.remove_suffix(1);
  ws::append_client_frame({.opcode = ws::Opcode::text, .payload = hello, .mask_key = 0}, input);
  input += c.ws->reader.take_buffered();
  c.handoff.clear();
  return input;
}

// ---- output

void Shard::queue_bytes(Connection& c, std::string_view bytes) {
  net::EventBuffer* b = net::EventBuffer::create(&pool_, bytes);
  c.out.push(b, b->json(), /*droppable=*/false);
  writer_.mark_dirty(c);
  if (delivery_.pause_input(c.out.bytes())) c.input_paused = true;
}

}  // namespace chatd::shard
