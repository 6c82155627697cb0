#include "proto/events.h"

#include <cstring>

#include <simdjson.h>

#include "proto/json_writer.h"

namespace chatd::proto {
namespace {

// Every JSON event starts {"ev":NAME and ends with the rid (when a reply) and a newline.
JsonWriter begin(std::string& out, std::string_view ev) {
  JsonWriter w(out);
  w.begin_object().field("ev", ev);
  return w;
}

void finish(JsonWriter& w, std::string_view rid) {
  if (!rid.empty()) w.raw_field("rid", rid);
  w.end_object().newline();
}

void append_int_text(std::string& out, int64_t v) { append_int(out, v); }

}  // namespace

void encode_json(std::string& out, const Welcome& e, std::string_view rid) {
  auto w = begin(out, "welcome");
  w.field("user", e.user).field("shard", e.shard).field("shards", e.shards);
  finish(w, rid);
}
void encode_text(std::string& out, const Welcome& e) {
  out += "* welcome ";
  out += e.user;
  out += " (shard ";
  append_int_text(out, e.shard);
  out += " of ";
  append_int_text(out, e.shards);
  out += "); /help lists commands\n";
}

void encode_json(std::string& out, const Joined& e, std::string_view rid) {
  auto w = begin(out, "joined");
  w.field("room", e.room).field("members", e.members).field("seq", e.seq).field("epoch", e.epoch);
  if (e.recovered) {
    w.field("recovered", *e.recovered);
    if (*e.recovered) w.field("missed", e.missed);
  }
  finish(w, rid);
}
void encode_text(std::string& out, const Joined& e) {
  out += "* you joined ";
  out += e.room;
  out += " (";
  append_int_text(out, e.members);
  out += e.members == 1 ? " member" : " members";
  if (e.recovered && *e.recovered) {
    out += "; ";
    append_int_text(out, int64_t(e.missed));
    out += e.missed == 1 ? " missed message follows" : " missed messages follow";
  } else if (e.recovered) {
    out += "; missed messages could not be recovered";
  }
  out += ")\n";
}

void encode_json(std::string& out, const Left& e, std::string_view rid) {
  auto w = begin(out, "left");
  w.field("room", e.room);
  finish(w, rid);
}
void encode_text(std::string& out, const Left& e) {
  out += "* you left ";
  out += e.room;
  out += '\n';
}

void encode_json(std::string& out, const UserJoined& e, std::string_view) {
  auto w = begin(out, "user_joined");
  w.field("room", e.room).field("user", e.user);
  finish(w, {});
}
void encode_text(std::string& out, const UserJoined& e) {
  out += "* ";
  out += e.user;
  out += " joined ";
  out += e.room;
  out += '\n';
}

void encode_json(std::string& out, const UserLeft& e, std::string_view) {
  auto w = begin(out, "user_left");
  w.field("room", e.room).field("user", e.user);
  finish(w, {});
}
void encode_text(std::string& out, const UserLeft& e) {
  out += "* ";
  out += e.user;
  out += " left ";
  out += e.room;
  out += '\n';
}

void encode_json(std::string& out, const Message& e, std::string_view) {
  auto w = begin(out, "msg");
  w.field("room", e.room).field("from", e.from).field("text", e.text).field("seq", e.seq);
  if (e.id) w.field("id", *e.id);
  if (e.ts) w.field("ts", *e.ts);
  finish(w, {});
}
void encode_text(std::string& out, const Message& e) {
  out += '[';
  out += e.room;
  out += "] ";
  out += e.from;
  out += ": ";
  out += e.text;
  out += '\n';
}

bool msg_json_to_text(std::string_view json, std::string& out) {
  // Rare (a text user recovering messages sent while the room had no text members),
  // so a DOM parse of a padded copy is fine here.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(json)).get(doc)) return false;
  std::string_view ev, room, from, text;
  if (doc["ev"].get(ev) || ev != "msg" || doc["room"].get(room) || doc["from"].get(from) || doc["text"].get(text))
    return false;
  encode_text(out, Message{room, from, text, 0, {}, {}});
  return true;
}

namespace {

constexpr std::string_view kMsgHead = "{\"ev\":\"msg\",\"room\":";
constexpr std::string_view kFrom = ",\"from\":";
constexpr std::string_view kText = ",\"text\":";
constexpr std::string_view kSeq = ",\"seq\":";
constexpr std::string_view kId = ",\"id\":";
constexpr std::string_view kTs = ",\"ts\":";
constexpr std::string_view kEnd = "}\n";

char* put(char* out, std::string_view s) {
  if (!s.empty()) std::memcpy(out, s.data(), s.size());  // an empty view may hold null
  return out + s.size();
}

}  // namespace

std::size_t json_size(const Message& e) {
  std::size_t n = kMsgHead.size() + json_string_size(e.room) + kFrom.size() + json_string_size(e.from) +
                  kText.size() + json_string_size(e.text) + kSeq.size() + int_size(int64_t(e.seq)) + kEnd.size();
  if (e.id) n += kId.size() + json_string_size(*e.id);
  if (e.ts) n += kTs.size() + int_size(*e.ts);
  return n;
}

char* write_json(char* out, const Message& e) {
  out = write_json_string(put(out, kMsgHead), e.room);
  out = write_json_string(put(out, kFrom), e.from);
  out = write_json_string(put(out, kText), e.text);
  out = write_int(put(out, kSeq), int64_t(e.seq));
  if (e.id) out = write_json_string(put(out, kId), *e.id);
  if (e.ts) out = write_int(put(out, kTs), *e.ts);
  return put(out, kEnd);
}

std::size_t text_size(const Message& e) { return e.room.size() + e.from.size() + e.text.size() + 6; }

char* write_text(char* out, const Message& e) {
  *out++ = '[';
  out = put(put(out, e.room), "] ");
  out = put(put(out, e.from), ": ");
  out = put(out, e.text);
  *out++ = '\n';
  return out;
}

void encode_json(std::string& out, const Whisper& e, std::string_view) {
  auto w = begin(out, "whisper");
  w.field("from", e.from).field("text", e.text);
  if (e.id) w.field("id", *e.id);
  if (e.ts) w.field("ts", *e.ts);
  finish(w, {});
}
void encode_text(std::string& out, const Whisper& e) {
  out += "(whisper) ";
  out += e.from;
  out += ": ";
  out += e.text;
  out += '\n';
}

void encode_json(std::string& out, const WhisperSent& e, std::string_view rid) {
  auto w = begin(out, "whisper_sent");
  w.field("to", e.to);
  if (e.id) w.field("id", *e.id);
  finish(w, rid);
}
void encode_text(std::string& out, const WhisperSent& e) {
  out += "* whisper sent to ";
  out += e.to;
  out += '\n';
}

void encode_json(std::string& out, const Users& e, std::string_view rid) {
  auto w = begin(out, "users");
  if (e.room) w.field("room", *e.room);
  w.begin_array("users");
  for (std::string_view n : e.names) w.element(n);
  w.end_array().field("count", e.count);
  if (e.truncated) w.field("truncated", true);
  finish(w, rid);
}
void encode_text(std::string& out, const Users& e) {
  out += "* online (";
  append_int_text(out, int64_t(e.count));
  out += "):";
  const char* sep = " ";
  for (std::string_view n : e.names) {
    out += sep;
    out += n;
    sep = ", ";
  }
  if (e.truncated) out += ", ...";
  out += '\n';
}

void encode_json(std::string& out, const Rooms& e, std::string_view rid) {
  auto w = begin(out, "rooms");
  w.begin_array("rooms");
  for (const RoomCount& r : e.rooms) {
    w.begin_object_element().field("room", r.room).field("members", r.members).end_object();
  }
  w.end_array();
  finish(w, rid);
}
void encode_text(std::string& out, const Rooms& e) {
  out += "* rooms:";
  if (e.rooms.empty()) out += " none";
  const char* sep = " ";
  for (const RoomCount& r : e.rooms) {
    out += sep;
    out += r.room;
    out += " (";
    append_int_text(out, int64_t(r.members));
    out += ')';
    sep = ", ";
  }
  out += '\n';
}

void encode_json(std::string& out, const History& e, std::string_view rid) {
  auto w = begin(out, "history");
  w.field("room", e.room).begin_array("msgs");
  for (std::string_view m : e.msgs) w.raw_element(m);
  w.end_array();
  finish(w, rid);
}
void encode_text(std::string& out, const History& e) {
  out += "* history of ";
  out += e.room;
  out += ": ";
  append_int_text(out, int64_t(e.msgs.size()));
  out += " messages\n";
}

void encode_json(std::string& out, const Typing& e, std::string_view) {
  auto w = begin(out, "typing");
  w.field("room", e.room).field("user", e.user).field("on", e.on);
  finish(w, {});
}
void encode_text(std::string& out, const Typing& e) {
  out += "* ";
  out += e.user;
  out += e.on ? " is typing in " : " stopped typing in ";
  out += e.room;
  out += '\n';
}

void encode_json(std::string& out, const Pong& e, std::string_view rid) {
  auto w = begin(out, "pong");
  if (e.ts) w.field("ts", *e.ts);
  finish(w, rid);
}
void encode_text(std::string& out, const Pong&) { out += "* pong\n"; }

void encode_json(std::string& out, const Bye&, std::string_view rid) {
  auto w = begin(out, "bye");
  finish(w, rid);
}
void encode_text(std::string& out, const Bye&) { out += "* bye\n"; }

void encode_json(std::string& out, const ErrorEvent& e, std::string_view rid) {
  auto w = begin(out, "error");
  w.field("code", e.code).field("msg", e.msg);
  if (e.op) w.field("op", *e.op);
  finish(w, rid);
}
void encode_text(std::string& out, const ErrorEvent& e) {
  out += "error: ";
  out += e.code;
  out += ' ';
  out += e.msg;
  out += '\n';
}

}  // namespace chatd::proto
