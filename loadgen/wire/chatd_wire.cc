#include "loadgen/wire/chatd_wire.h"

#include "auth/token_mint.h"
#include "common/clock.h"

#include "loadgen/wire/event_parser.h"
#include "loadgen/wire/frame_buffer.h"
#include "loadgen/wire/requests.h"
#include "proto/json_writer.h"
#include "proto/line_framer.h"

namespace chatd::loadgen {
namespace {

class ChatdSession final : public WireSession {
 public:
  explicit ChatdSession(EventParser& parser) : parser_(parser) {}

  std::string_view feed(std::string_view data, WireEventSink& sink, std::string&) override {
    auto r = framer_.feed(data, [&](std::string_view line) {
      return report_chatd_event(parser_, line, sink) ? proto::FrameVerdict::next : proto::FrameVerdict::pause;
    });
    return r == proto::FeedResult::frame_too_large ? "server_line_too_long" : "";
  }

 private:
  EventParser& parser_;
  proto::LineFramer framer_{kMaxServerFrame};
};

class ChatdWire final : public WireProtocol {
 public:
  explicit ChatdWire(std::string auth_secret) : auth_secret_(std::move(auth_secret)) {}
  Target target() const override { return Target::chatd; }

  std::unique_ptr<WireSession> open_session(const ClientAddress& client, std::string& greeting) override {
    append_chatd_greeting(greeting, client, auth_secret_);
    return std::make_unique<ChatdSession>(parser_);
  }

  MessageHead message_head(MessageKind kind, std::string_view room, std::string_view text) const override {
    if (kind == MessageKind::room) return {msg_head(room, text), {}};
    return {whisper_head(text), {}};
  }

  void append_message(std::string& out, const MessageHead& head, std::string_view to, MessageId id,
                      Nanos ts) const override {
    append_chatd_message_json(out, head, to, id, ts);
    out += '\n';
  }

  // Refusals are error events naming the op, whisper_sent names the whisper:
  // nothing needs matching by order.
  bool answers_in_order(MessageKind) const override { return false; }

 private:
  EventParser parser_;  // one per worker thread, shared by its sessions
  const std::string auth_secret_;
};

}  // namespace

// hello and join go together: chatd handles a connection's requests in order
// (and carries the join along when the hello moves the connection to its home shard).
void append_chatd_greeting(std::string& out, const ClientAddress& client, std::string_view auth_secret) {
  std::string token;
  if (!auth_secret.empty()) {
    // exp is wall-clock Unix seconds, the clock chatd's verifier reads. A mint
    // that fails (OpenSSL out of memory) sends no token: chatd's `unauthorized`
    // then counts the failure like any refused hello.
    const int64_t now = wall_clock_micros() / 1'000'000;
    if (auto minted = auth::mint_token(auth_secret, client.user, now + kTokenLifetimeSeconds)) token = std::move(*minted);
  }
  append_hello(out, client.user, token);
  append_join(out, client.room);
}

void append_chatd_message_json(std::string& out, const MessageHead& head, std::string_view to, MessageId id,
                               Nanos ts) {
  out += head.prefix;
  if (!to.empty()) {  // user names need no JSON escaping (docs/protocol.md's name rule)
    out += to;
    out += "\",\"id\":\"";
  }
  append_message_id(out, id);
  out += "\",\"ts\":";
  proto::append_int(out, ts);
  out += '}';
}

bool report_chatd_event(EventParser& parser, std::string_view json, WireEventSink& sink) {
  ServerEvent e;
  WireEvent w;
  if (!parser.parse(json, e)) {
    w.kind = WireEvent::Kind::garbled;
    w.code = "bad_server_json";
    return sink.on_wire_event(w);
  }
  switch (e.kind) {
    case EventKind::msg:
      w.kind = WireEvent::Kind::room_delivery;
      w.seq = e.seq;
      break;
    case EventKind::whisper: w.kind = WireEvent::Kind::direct_delivery; break;
    case EventKind::whisper_sent: w.kind = WireEvent::Kind::accepted; break;
    case EventKind::joined:
      w.kind = WireEvent::Kind::ready;
      w.last_seq = e.seq;
      break;
    case EventKind::welcome:
      w.kind = WireEvent::Kind::server_info;
      w.shards = e.shards;
      break;
    case EventKind::error:
      w.kind = WireEvent::Kind::error;
      w.code = e.code.empty() ? std::string_view("error") : e.code;
      w.op = e.op;
      break;
    default: return true;  // user_joined, user_left, ...: not measured
  }
  w.id = e.id;
  w.ts = e.ts;
  w.has_ts = e.has_ts;
  return sink.on_wire_event(w);
}

std::unique_ptr<WireProtocol> make_chatd_wire(std::string auth_secret) {
  return std::make_unique<ChatdWire>(std::move(auth_secret));
}

}  // namespace chatd::loadgen
