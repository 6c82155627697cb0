#include "loadgen/wire/event_parser.h"

#include <new>

namespace chatd::loadgen {
namespace {

EventKind kind_of(std::string_view ev) {
  // msg first: it is nearly every line loadgen reads.
  if (ev == "msg") return EventKind::msg;
  if (ev == "whisper") return EventKind::whisper;
  if (ev == "whisper_sent") return EventKind::whisper_sent;
  if (ev == "error") return EventKind::error;
  if (ev == "welcome") return EventKind::welcome;
  if (ev == "joined") return EventKind::joined;
  if (ev == "user_joined") return EventKind::user_joined;
  if (ev == "user_left") return EventKind::user_left;
  if (ev == "bye") return EventKind::bye;
  return EventKind::other;
}

// A field of the wrong type keeps its default (empty, 0): the event is then
// counted by kind but not trusted for accounting.
void read(simdjson::ondemand::value& v, std::string_view& out) {
  if (v.get_string().get(out) != simdjson::SUCCESS) out = {};
}
void read(simdjson::ondemand::value& v, int64_t& out) {
  if (v.get_int64().get(out) != simdjson::SUCCESS) out = 0;
}

}  // namespace

EventParser::EventParser() {
  // chatd's frames are at most 64 KiB by default; larger lines grow the parser once.
  if (parser_.allocate(1 << 17) != simdjson::SUCCESS) throw std::bad_alloc();
}

bool EventParser::parse(std::string_view line, ServerEvent& e) {
  e = ServerEvent{};
  if (line.size() > parser_.capacity() && parser_.allocate(line.size()) != simdjson::SUCCESS) return false;
  simdjson::padded_string_view input(line.data(), line.size(), line.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  if (parser_.iterate(input).get(doc)) return false;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    simdjson::ondemand::value v;
    if (field.value().get(v)) return false;
    if (key == "ev") {
      std::string_view ev;
      if (v.get_string().get(ev)) return false;
      e.kind = kind_of(ev);
    } else if (key == "room") {
      read(v, e.room);
    } else if (key == "from") {
      read(v, e.from);
    } else if (key == "id") {
      read(v, e.id);
    } else if (key == "seq") {
      read(v, e.seq);
    } else if (key == "ts") {
      e.has_ts = v.get_int64().get(e.ts) == simdjson::SUCCESS;
    } else if (key == "code") {
      read(v, e.code);
    } else if (key == "op") {
      read(v, e.op);
    } else if (key == "shards") {
      read(v, e.shards);
    } else if (key == "members") {
      read(v, e.members);
    }
  }
  return true;
}

}  // namespace chatd::loadgen
