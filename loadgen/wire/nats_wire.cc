#include "loadgen/wire/nats_wire.h"

#include <charconv>

#include "loadgen/wire/peer_payload.h"
#include "proto/json_writer.h"

namespace chatd::loadgen {
namespace {

using Status = FrameScan::Status;

constexpr std::string_view kRoomSid = "1";
constexpr std::string_view kUserSid = "2";

bool starts_with_word(std::string_view line, std::string_view verb) {
  if (line.size() < verb.size()) return false;
  for (std::size_t i = 0; i < verb.size(); ++i) {  // verbs are case-insensitive
    const char c = line[i] >= 'a' && line[i] <= 'z' ? char(line[i] - 'a' + 'A') : line[i];
    if (c != verb[i]) return false;
  }
  return line.size() == verb.size() || line[verb.size()] == ' ' || line[verb.size()] == '\t';
}

// Splits "a b  c" into at most `max` words; returns how many.
std::size_t split_words(std::string_view s, std::string_view* words, std::size_t max) {
  std::size_t n = 0;
  std::size_t i = 0;
  while (i < s.size() && n < max) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i == s.size()) break;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    words[n++] = s.substr(i, j - i);
    i = j;
  }
  return n;
}

bool to_size(std::string_view s, std::size_t& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

class NatsSession final : public WireSession {
 public:
  explicit NatsSession(bool verbose) : verbose_(verbose) {}

  std::string_view feed(std::string_view data, WireEventSink& sink, std::string& reply) override {
    const FeedStatus st = buffer_.feed(
        data, [this](std::string_view s) { return scan_nats(s, last_); },
        [&](std::string_view) { return on_frame(last_, sink, reply); });
    if (st == FeedStatus::bad_frame) return "bad_server_frame";
    if (st == FeedStatus::frame_too_large) return "server_frame_too_large";
    return "";
  }

 private:
  bool on_frame(const NatsFrame& f, WireEventSink& sink, std::string& reply) {
    WireEvent e;
    switch (f.verb) {
      case NatsFrame::Verb::msg:
        e.kind = f.sid == kRoomSid ? WireEvent::Kind::room_delivery : WireEvent::Kind::direct_delivery;
        e.has_ts = parse_peer_payload(f.payload, e.id, e.ts);
        if (!e.has_ts) e.id = {};
        return sink.on_wire_event(e);
      case NatsFrame::Verb::ping: reply += "PONG\r\n"; return true;
      case NatsFrame::Verb::pong:
        if (ready_) return true;
        ready_ = true;
        e.kind = WireEvent::Kind::ready;
        return sink.on_wire_event(e);
      case NatsFrame::Verb::ok:
        // Before the PONG, +OK answers CONNECT and the SUBs; after it, a PUB.
        if (!verbose_ || !ready_) return true;
        e.kind = WireEvent::Kind::accepted;
        return sink.on_wire_event(e);
      case NatsFrame::Verb::err:
        e.kind = WireEvent::Kind::error;
        e.code = "nats_err";
        e.detail = f.text;
        return sink.on_wire_event(e);
      case NatsFrame::Verb::info: {
        if (told_version_) return true;
        told_version_ = true;
        constexpr std::string_view kKey = "\"version\":\"";
        const std::size_t at = f.text.find(kKey);
        if (at == std::string_view::npos) return true;
        const std::string_view rest = f.text.substr(at + kKey.size());
        e.kind = WireEvent::Kind::server_info;
        e.version = rest.substr(0, rest.find('"'));
        return sink.on_wire_event(e);
      }
      case NatsFrame::Verb::other: return true;
    }
    return true;
  }

  bool verbose_;
  bool ready_ = false;
  bool told_version_ = false;
  FrameBuffer buffer_;
  NatsFrame last_;
};

class NatsWire final : public WireProtocol {
 public:
  explicit NatsWire(bool verbose) : verbose_(verbose) {}
  Target target() const override { return Target::nats; }

  std::unique_ptr<WireSession> open_session(const ClientAddress& client, std::string& out) override {
    out += verbose_ ? "CONNECT {\"verbose\":true" : "CONNECT {\"verbose\":false";
    out += ",\"pedantic\":false,\"echo\":true,\"name\":\"loadgen\",\"lang\":\"c++\"}\r\n";
    out += "SUB ";
    out += client.room;
    out += ' ';
    out += kRoomSid;
    out += "\r\nSUB ";
    out += client.user;
    out += ' ';
    out += kUserSid;
    out += "\r\nPING\r\n";
    return std::make_unique<NatsSession>(verbose_);
  }

  MessageHead message_head(MessageKind kind, std::string_view room, std::string_view text) const override {
    MessageHead head{"PUB ", peer_payload_suffix(text)};
    if (kind == MessageKind::room) {
      head.prefix += room;
      head.prefix += ' ';
    }
    return head;
  }

  void append_message(std::string& out, const MessageHead& head, std::string_view to, MessageId id,
                      Nanos ts) const override {
    out += head.prefix;
    if (!to.empty()) {
      out += to;
      out += ' ';
    }
    char body[kPeerPayloadHeadMax];
    const std::size_t n = write_peer_payload_head(body, id, ts);
    proto::append_int(out, int64_t(n + head.suffix.size()));
    out += "\r\n";
    out.append(body, n);
    out += head.suffix;
    out += "\r\n";
  }

  bool answers_in_order(MessageKind) const override { return verbose_; }

 private:
  bool verbose_;
};

}  // namespace

FrameScan scan_nats(std::string_view bytes, NatsFrame& out) {
  out = NatsFrame{};
  const std::size_t nl = bytes.find('\n');
  if (nl == std::string_view::npos) return {bytes.size() > kMaxServerFrame ? Status::bad : Status::incomplete, 0};
  std::string_view line = bytes.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t line_size = nl + 1;

  const bool hmsg = starts_with_word(line, "HMSG");
  if (hmsg || starts_with_word(line, "MSG")) {
    // MSG <subject> <sid> [reply-to] <#bytes>; HMSG ... [reply-to] <#header bytes> <#total bytes>
    std::string_view w[6];
    const std::size_t n = split_words(line, w, 6);
    const std::size_t min_words = hmsg ? 5 : 4;
    if (n < min_words || n > min_words + 1) return {Status::bad, 0};
    std::size_t total = 0, headers = 0;
    if (!to_size(w[n - 1], total) || total > kMaxServerFrame) return {Status::bad, 0};
    if (hmsg && (!to_size(w[n - 2], headers) || headers > total)) return {Status::bad, 0};
    if (bytes.size() - line_size < total + 2) return {Status::incomplete, 0};
    if (bytes[line_size + total] != '\r' || bytes[line_size + total + 1] != '\n') return {Status::bad, 0};
    out.verb = NatsFrame::Verb::msg;
    out.subject = w[1];
    out.sid = w[2];
    out.payload = bytes.substr(line_size + headers, total - headers);
    return {Status::frame, line_size + total + 2};
  }
  if (starts_with_word(line, "PING")) {
    out.verb = NatsFrame::Verb::ping;
  } else if (starts_with_word(line, "PONG")) {
    out.verb = NatsFrame::Verb::pong;
  } else if (starts_with_word(line, "+OK")) {
    out.verb = NatsFrame::Verb::ok;
  } else if (starts_with_word(line, "-ERR")) {
    out.verb = NatsFrame::Verb::err;
    std::string_view text = line.substr(4);
    while (!text.empty() && (text.front() == ' ' || text.front() == '\'')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\'')) text.remove_suffix(1);
    out.text = text;
  } else if (starts_with_word(line, "INFO")) {
    out.verb = NatsFrame::Verb::info;
    out.text = line.substr(4);
  }
  return {Status::frame, line_size};
}

std::unique_ptr<WireProtocol> make_nats_wire(bool verbose) { return std::make_unique<NatsWire>(verbose); }

}  // namespace chatd::loadgen
