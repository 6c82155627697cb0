#include "loadgen/wire/requests.h"

#include <charconv>

#include "loadgen/plan/room_plan.h"
#include "proto/json_writer.h"

namespace chatd::loadgen {
namespace {

void append_u32(std::string& out, uint32_t v) {
  char buf[12];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Parses a decimal u32 up to `stop` (or the end); advances `s` past it and the stop char.
bool take_u32(std::string_view& s, char stop, uint32_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ec != std::errc() || r.ptr == s.data()) return false;
  std::size_t used = std::size_t(r.ptr - s.data());
  if (stop != '\0') {
    if (used >= s.size() || s[used] != stop) return false;
    ++used;
  } else if (used != s.size()) {
    return false;
  }
  s.remove_prefix(used);
  return true;
}

}  // namespace

void append_message_id(std::string& out, MessageId id) {
  append_u32(out, id.step);
  out += '.';
  append_u32(out, id.sender);
  out += '.';
  append_u32(out, id.n);
}

std::optional<MessageId> parse_message_id(std::string_view text) {
  MessageId id;
  if (!take_u32(text, '.', &id.step) || !take_u32(text, '.', &id.sender) || !take_u32(text, '\0', &id.n))
    return std::nullopt;
  return id;
}

void append_hello(std::string& out, std::string_view user, std::string_view token) {
  proto::JsonWriter w(out);
  w.begin_object().field("op", "hello").field("user", user);
  if (!token.empty()) w.field("token", token);
  w.end_object().newline();
}

void append_join(std::string& out, std::string_view room) {
  proto::JsonWriter w(out);
  w.begin_object().field("op", "join").field("room", room).end_object().newline();
}

void append_bye(std::string& out) { out += "{\"op\":\"bye\"}\n"; }

std::string msg_head(std::string_view room, std::string_view text) {
  std::string head = "{\"op\":\"msg\",\"room\":";
  proto::append_json_string(head, room);
  head += ",\"text\":";
  proto::append_json_string(head, text);
  head += ",\"id\":\"";
  return head;
}

std::string whisper_head(std::string_view text) {
  std::string head = "{\"op\":\"whisper\",\"text\":";
  proto::append_json_string(head, text);
  head += ",\"to\":\"";
  return head;
}

std::string filler_text(uint32_t size, uint64_t seed) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string text(size, 'x');
  uint64_t state = seed;
  for (char& c : text) c = kAlphabet[splitmix64(state) % (sizeof kAlphabet - 1)];
  return text;
}

}  // namespace chatd::loadgen
