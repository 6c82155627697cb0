#include "loadgen/wire/chatd_ws_wire.h"

#include <random>

#include "loadgen/plan/room_plan.h"
#include "loadgen/wire/chatd_wire.h"
#include "loadgen/wire/event_parser.h"
#include "loadgen/wire/requests.h"
#include "loadgen/wire/ws_server_reader.h"
#include "loadgen/wire/ws_upgrade.h"
#include "ws/client_frame.h"

namespace chatd::loadgen {
namespace {

// Keys nobody on the path can predict (RFC 6455 §5.3, §10.3): one splitmix64
// stream per worker, seeded from the OS. Not cryptographic, and need not be: it
// keeps proxies' caches from being poisoned, not secrets.
class KeySource {
 public:
  explicit KeySource(uint64_t seed) : state_(seed != 0 ? seed : from_os()) {}
  uint64_t next() { return splitmix64(state_); }
  uint32_t next_mask() { return uint32_t(next()); }

 private:
  static uint64_t from_os() {
    std::random_device os;
    return uint64_t(os()) << 32 | os();
  }
  uint64_t state_;
};

// A JSON object (a line's trailing newline dropped) as one masked text frame.
void append_text_frame(std::string& out, std::string_view json, KeySource& keys) {
  if (!json.empty() && json.back() == '\n') json.remove_suffix(1);
  ws::append_client_frame({.opcode = ws::Opcode::text, .payload = json, .mask_key = keys.next_mask()}, out);
}

class ChatdWsSession final : public WireSession {
 public:
  ChatdWsSession(EventParser& parser, KeySource& keys, std::string key, std::string greeting)
      : parser_(parser), keys_(keys), key_(std::move(key)), greeting_(std::move(greeting)) {}

  std::string_view feed(std::string_view data, WireEventSink& sink, std::string& reply) override {
    if (!open_) {
      const std::size_t taken = upgrade(data, reply);
      if (!open_) return code_;  // "" while the head is still arriving
      data.remove_prefix(taken);
    }
    return reader_.feed(data, [&](const ServerMessage& m) { return on_message(m, sink, reply); });
  }

 private:
  // Reads the upgrade response; returns how many bytes of `data` it took once
  // the 101 checked out (the rest is WebSocket), and sends the greeting then.
  std::size_t upgrade(std::string_view data, std::string& reply) {
    const std::size_t before = head_.size();
    std::string_view bytes = data;
    if (before > 0) {  // a head split across reads; past the bound it is refused anyway
      head_.append(data.substr(0, kMaxUpgradeResponseHead + 1));
      bytes = head_;
    }
    const UpgradeVerdict v = check_upgrade_response(bytes, key_);
    switch (v.status) {
      case UpgradeVerdict::Status::need_more:
        if (before == 0) head_.assign(data);
        return 0;
      case UpgradeVerdict::Status::refused:
        code_ = v.code;
        return 0;
      case UpgradeVerdict::Status::accepted: break;
    }
    open_ = true;
    reply += greeting_;
    std::string().swap(greeting_);
    std::string().swap(head_);
    return v.head_size - before;
  }

  bool on_message(const ServerMessage& m, WireEventSink& sink, std::string& reply) {
    switch (m.opcode) {
      case ws::Opcode::text: return report_chatd_event(parser_, m.payload, sink);
      case ws::Opcode::ping:
        ws::append_client_frame({.opcode = ws::Opcode::pong, .payload = m.payload, .mask_key = keys_.next_mask()},
                                reply);
        return true;
      case ws::Opcode::close: return on_close(m.close_code, sink, reply);
      case ws::Opcode::binary: {
        WireEvent e;
        e.kind = WireEvent::Kind::garbled;
        e.code = "ws_binary_message";  // chatd sends JSON text only
        return sink.on_wire_event(e);
      }
      default: return true;  // pong: nothing to do
    }
  }

  // Echoes the close (§5.5.1); the server then closes the connection.
  bool on_close(uint16_t code, WireEventSink& sink, std::string& reply) {
    const char echo[2] = {char(code >> 8), char(code & 0xFF)};
    const std::string_view payload = code == ws::close_code::no_status ? std::string_view() : std::string_view(echo, 2);
    ws::append_client_frame({.opcode = ws::Opcode::close, .payload = payload, .mask_key = keys_.next_mask()}, reply);
    if (code == ws::close_code::normal || code == ws::close_code::going_away || code == ws::close_code::no_status)
      return false;
    code_ = "ws_close_" + std::to_string(code);
    WireEvent e;
    e.kind = WireEvent::Kind::error;
    e.code = code_;
    sink.on_wire_event(e);
    return false;
  }

  EventParser& parser_;
  KeySource& keys_;
  const std::string key_;  // our Sec-WebSocket-Key
  std::string greeting_;   // hello and join frames, sent once the upgrade is accepted
  std::string head_;       // the response head so far, when it spans reads
  std::string code_;       // why the stream broke, or the close code reported
  bool open_ = false;
  ServerFrameReader reader_;
};

class ChatdWsWire final : public WireProtocol {
 public:
  ChatdWsWire(std::string auth_secret, uint64_t seed) : auth_secret_(std::move(auth_secret)), keys_(seed) {}
  Target target() const override { return Target::chatd; }

  std::unique_ptr<WireSession> open_session(const ClientAddress& client, std::string& out) override {
    std::string key = websocket_key(keys_.next(), keys_.next());
    append_upgrade_request(out, client.server, key);
    // The same hello and join as over JSON lines, one text message each.
    scratch_.clear();
    append_chatd_greeting(scratch_, client, auth_secret_);
    std::string greeting;
    for (std::string_view lines = scratch_; !lines.empty();) {
      const std::size_t end = lines.find('\n') + 1;  // every line ends in one
      append_text_frame(greeting, lines.substr(0, end), keys_);
      lines.remove_prefix(end);
    }
    return std::make_unique<ChatdWsSession>(parser_, keys_, std::move(key), std::move(greeting));
  }

  MessageHead message_head(MessageKind kind, std::string_view room, std::string_view text) const override {
    if (kind == MessageKind::room) return {msg_head(room, text), {}};
    return {whisper_head(text), {}};
  }

  // The JSON is built aside, then framed and masked into `out`: one copy of a
  // message's ~150 bytes, the price of a length known before the payload.
  void append_message(std::string& out, const MessageHead& head, std::string_view to, MessageId id,
                      Nanos ts) const override {
    scratch_.clear();
    append_chatd_message_json(scratch_, head, to, id, ts);
    append_text_frame(out, scratch_, keys_);
  }

  bool answers_in_order(MessageKind) const override { return false; }  // as chatd_wire.h

 private:
  EventParser parser_;  // one per worker thread, shared by its sessions
  const std::string auth_secret_;
  mutable KeySource keys_;
  mutable std::string scratch_;  // keeps its capacity: no allocation per message
};

}  // namespace

std::unique_ptr<WireProtocol> make_chatd_ws_wire(std::string auth_secret, uint64_t seed) {
  return std::make_unique<ChatdWsWire>(std::move(auth_secret), seed);
}

}  // namespace chatd::loadgen
