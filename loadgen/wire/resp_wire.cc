#include "loadgen/wire/resp_wire.h"

#include <cctype>
#include <charconv>
#include <cstring>

#include "loadgen/wire/peer_payload.h"
#include "proto/json_writer.h"

namespace chatd::loadgen {
namespace {

constexpr int kMaxDepth = 16;  // HELLO's reply nests 2 deep; anything past this is not a pub/sub reply

using Status = FrameScan::Status;

class RespScanner {
 public:
  explicit RespScanner(std::string_view s) : s_(s) {}

  // Scans one value at pos_; `item` (may be null) receives its scalar summary.
  Status value(int depth, RespValue::Item* item, RespValue* top) {
    if (depth > kMaxDepth) return Status::bad;
    if (pos_ >= s_.size()) return Status::incomplete;
    const char type = s_[pos_];
    std::string_view line;
    if (Status st = read_line(pos_ + 1, line); st != Status::frame) return st;
    if (item) item->type = type;
    if (top) top->type = type;
    switch (type) {
      case '+':
      case '-':
      case ',':
      case '#':
      case '(':
      case '_':
        if (item) item->text = line;
        if (top) {
          top->text = line;
          top->null = type == '_';
        }
        return Status::frame;
      case ':': {
        int64_t v = 0;
        if (!to_int(line, v)) return Status::bad;
        if (item) item->integer = v;
        if (top) top->integer = v;
        return Status::frame;
      }
      case '$':
      case '!':
      case '=': {
        int64_t len = 0;
        if (!to_int(line, len) || len < -1) return Status::bad;
        if (len == -1) {  // RESP2's null bulk string
          if (top) top->null = true;
          return Status::frame;
        }
        if (s_.size() - pos_ < std::size_t(len) + 2) return Status::incomplete;
        std::string_view body = s_.substr(pos_, std::size_t(len));
        if (s_[pos_ + len] != '\r' || s_[pos_ + len + 1] != '\n') return Status::bad;
        pos_ += std::size_t(len) + 2;
        if (type == '=' && body.size() >= 4) body.remove_prefix(4);  // "txt:" format tag
        if (item) item->text = body;
        if (top) top->text = body;
        return Status::frame;
      }
      case '*':
      case '~':
      case '>':
      case '%':
      case '|': {
        int64_t n = 0;
        if (!to_int(line, n) || n < -1) return Status::bad;
        if (n == -1) {  // RESP2's null array
          if (top) top->null = true;
          return Status::frame;
        }
        const uint64_t elements = (type == '%' || type == '|') ? 2 * uint64_t(n) : uint64_t(n);
        if (elements > kMaxServerFrame) return Status::bad;  // each takes >= 3 bytes: could never fit
        if (top) top->count = elements;
        for (uint64_t i = 0; i < elements; ++i) {
          RespValue::Item* sub = top && i < RespValue::kItems ? &top->items[i] : nullptr;
          if (Status st = value(depth + 1, sub, nullptr); st != Status::frame) return st;
        }
        // An attribute annotates the value that follows it: together they are one
        // reply, summarised by that value.
        if (type == '|') {
          if (top) *top = RespValue{};
          return value(depth + 1, item, top);
        }
        return Status::frame;
      }
      default: return Status::bad;
    }
  }

  std::size_t pos() const { return pos_; }

 private:
  Status read_line(std::size_t from, std::string_view& line) {
    const std::size_t nl = s_.find('\n', from);
    if (nl == std::string_view::npos) return s_.size() - from > kMaxServerFrame ? Status::bad : Status::incomplete;
    if (nl == from || s_[nl - 1] != '\r') return Status::bad;
    line = s_.substr(from, nl - 1 - from);
    pos_ = nl + 1;
    return Status::frame;
  }

  static bool to_int(std::string_view s, int64_t& v) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

void append_bulk(std::string& out, std::string_view s) {
  out += '$';
  proto::append_int(out, int64_t(s.size()));
  out += "\r\n";
  out += s;
  out += "\r\n";
}

constexpr std::string_view kPublish = "*3\r\n$7\r\nPUBLISH\r\n";

class RespSession final : public WireSession {
 public:
  RespSession(std::string_view room, std::string_view user) : room_(room), user_(user) {}

  std::string_view feed(std::string_view data, WireEventSink& sink, std::string&) override {
    const FeedStatus st = buffer_.feed(
        data, [this](std::string_view s) { return scan_resp(s, last_); },
        [&](std::string_view) { return on_value(last_, sink); });
    if (st == FeedStatus::bad_frame) return "bad_server_frame";
    if (st == FeedStatus::frame_too_large) return "server_frame_too_large";
    return "";
  }

 private:
  bool on_value(const RespValue& v, WireEventSink& sink) {
    WireEvent e;
    if (v.type == '>') {
      const std::string_view kind = v.count >= 1 ? v.items[0].text : std::string_view();
      if (kind == "message" && v.count >= 3) {
        e.kind = v.items[1].text == room_ ? WireEvent::Kind::room_delivery : WireEvent::Kind::direct_delivery;
        e.has_ts = parse_peer_payload(v.items[2].text, e.id, e.ts);
        if (!e.has_ts) e.id = {};
        return sink.on_wire_event(e);
      }
      if (kind == "subscribe" && ++subscribed_ == kSubscriptions) {
        e.kind = WireEvent::Kind::ready;
        return sink.on_wire_event(e);
      }
      return true;  // other pushes (unsubscribe, invalidate, ...): nothing to measure
    }
    if (v.type == '-' || v.type == '!') {
      e.kind = WireEvent::Kind::error;
      e.code = error_code(v.text);
      e.detail = v.text;
      hello_answered_ = true;
      return sink.on_wire_event(e);
    }
    if (!hello_answered_) {  // the first ordinary reply answers HELLO
      hello_answered_ = true;
      e.kind = WireEvent::Kind::server_info;
      for (std::size_t i = 0; i + 1 < std::min<uint64_t>(v.count, RespValue::kItems); i += 2)
        if (v.type == '%' && v.items[i].text == "version") e.version = v.items[i + 1].text;
      return sink.on_wire_event(e);
    }
    if (v.type == ':') {
      e.kind = WireEvent::Kind::accepted;
      e.receivers = v.integer;
      return sink.on_wire_event(e);
    }
    return true;
  }

  // "ERR unknown command ..." → "redis_err": the error's prefix word is its kind.
  std::string_view error_code(std::string_view text) {
    code_ = "redis_";
    for (char c : text.substr(0, text.find(' ')).substr(0, 24))
      code_ += char(std::tolower(static_cast<unsigned char>(c)));
    return code_;
  }

  static constexpr int kSubscriptions = 2;  // the room and the client's own channel
  std::string room_, user_;
  FrameBuffer buffer_;
  RespValue last_;  // the value the last successful scan found: the frame on_value gets
  int subscribed_ = 0;
  bool hello_answered_ = false;
  std::string code_;
};

class RespWire final : public WireProtocol {
 public:
  explicit RespWire(bool publish_replies) : publish_replies_(publish_replies) {}
  Target target() const override { return Target::redis; }

  std::unique_ptr<WireSession> open_session(const ClientAddress& client, std::string& out) override {
    append_resp_command(out, {"HELLO", "3"});
    append_resp_command(out, {"SUBSCRIBE", client.room, client.user});
    // From here on no replies, only pushes: the deliveries, as on chatd and NATS.
    if (!publish_replies_) append_resp_command(out, {"CLIENT", "REPLY", "OFF"});
    return std::make_unique<RespSession>(client.room, client.user);
  }

  MessageHead message_head(MessageKind kind, std::string_view room, std::string_view text) const override {
    MessageHead head{std::string(kPublish), peer_payload_suffix(text)};
    if (kind == MessageKind::room) append_bulk(head.prefix, room);
    return head;
  }

  void append_message(std::string& out, const MessageHead& head, std::string_view to, MessageId id,
                      Nanos ts) const override {
    out += head.prefix;
    if (!to.empty()) append_bulk(out, to);
    char body[kPeerPayloadHeadMax];
    const std::size_t n = write_peer_payload_head(body, id, ts);
    out += '$';
    proto::append_int(out, int64_t(n + head.suffix.size()));
    out += "\r\n";
    out.append(body, n);
    out += head.suffix;
    out += "\r\n";
  }

  bool answers_in_order(MessageKind) const override { return publish_replies_; }

 private:
  bool publish_replies_;
};

}  // namespace

FrameScan scan_resp(std::string_view bytes, RespValue& out) {
  out = RespValue{};
  RespScanner s(bytes);
  const Status st = s.value(0, nullptr, &out);
  return {st, st == Status::frame ? s.pos() : 0};
}

void append_resp_command(std::string& out, std::initializer_list<std::string_view> args) {
  out += '*';
  proto::append_int(out, int64_t(args.size()));
  out += "\r\n";
  for (std::string_view a : args) append_bulk(out, a);
}

std::unique_ptr<WireProtocol> make_resp_wire(bool publish_replies) {
  return std::make_unique<RespWire>(publish_replies);
}

}  // namespace chatd::loadgen
