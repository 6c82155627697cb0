#include "proto/json_request_parser.h"

#include <cstring>
#include <new>

#include "proto/json_writer.h"

namespace chatd::proto {
namespace {

using simdjson::ondemand::json_type;

constexpr ParseOutcome bad_json(const char* msg) { return {ParseError::bad_json, msg}; }

// Consumes a value we do not use and checks that it is well-formed: On Demand only
// validates what is read, and letting the iterator skip a value just counts brackets
// (`{"x":[tru]}` would pass). On Demand does not bound nesting either; this recursion
// does, so a 64 KiB frame of '[' cannot run a shard's stack out.
simdjson::error_code skip_value(simdjson::ondemand::value v, std::size_t depth = 0) {
  if (depth >= simdjson::DEFAULT_MAX_DEPTH) return simdjson::DEPTH_ERROR;
  json_type t;
  if (auto e = v.type().get(t)) return e;
  switch (t) {
    case json_type::object: {
      simdjson::ondemand::object o;
      if (auto e = v.get_object().get(o)) return e;
      for (auto field : o) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        simdjson::ondemand::value child;
        if (auto e = field.value().get(child)) return e;
        if (auto e = skip_value(child, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case json_type::array: {
      simdjson::ondemand::array a;
      if (auto e = v.get_array().get(a)) return e;
      for (auto element : a) {
        simdjson::ondemand::value child;
        if (auto e = element.get(child)) return e;
        if (auto e = skip_value(child, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case json_type::string: return v.get_string().error();
    case json_type::number: return v.get_number().error();
    case json_type::boolean: return v.get_bool().error();
    case json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

// The keys we read. Each kind of value has one call site in parse(): every extra inlined
// copy of simdjson's getters pushed its iterator out of registers (152 -> 61 ns a frame).
enum class Key : uint8_t { unknown, op, room, user, to, text, id, ts, since, epoch, limit, on, rid, token };

// Matches the key in place: ours have no escapes, so the raw bytes (followed by the
// closing quote) are the key. A key written with escapes is unescaped and matched again.
Key match_key(simdjson::ondemand::raw_json_string raw) {
  // Reads at most 6 bytes past the key's start: inside the frame or its padding.
  if (raw.unsafe_is_equal("op")) return Key::op;
  if (raw.unsafe_is_equal("room")) return Key::room;
  if (raw.unsafe_is_equal("text")) return Key::text;
  if (raw.unsafe_is_equal("id")) return Key::id;
  if (raw.unsafe_is_equal("ts")) return Key::ts;
  if (raw.unsafe_is_equal("user")) return Key::user;
  if (raw.unsafe_is_equal("to")) return Key::to;
  if (raw.unsafe_is_equal("rid")) return Key::rid;
  if (raw.unsafe_is_equal("since")) return Key::since;
  if (raw.unsafe_is_equal("limit")) return Key::limit;
  if (raw.unsafe_is_equal("on")) return Key::on;
  if (raw.unsafe_is_equal("epoch")) return Key::epoch;
  if (raw.unsafe_is_equal("token")) return Key::token;
  return Key::unknown;
}

Key match_key(std::string_view key) {
  static constexpr std::pair<std::string_view, Key> kKeys[] = {
      {"op", Key::op}, {"room", Key::room},   {"text", Key::text},   {"id", Key::id},
      {"ts", Key::ts}, {"user", Key::user},   {"to", Key::to},       {"rid", Key::rid},
      {"since", Key::since}, {"limit", Key::limit}, {"on", Key::on}, {"epoch", Key::epoch}, {"token", Key::token}};
  for (const auto& [name, k] : kKeys)
    if (name == key) return k;
  return Key::unknown;
}

// Reads a string value (the msg/whisper text). One without escapes is its own raw
// bytes, so the view points into the frame and nothing is copied: the text goes
// from the receive buffer straight into the shared event buffer. Only a string with
// escapes is unescaped (into the parser's string buffer). The raw bytes are valid
// UTF-8 and free of unescaped control characters either way: simdjson's first stage
// checks the whole frame. Not inlined, so that parse() keeps one inlined copy of
// each getter (see Key); short fields (room, user, ...) keep the plain copy.
[[gnu::noinline]] simdjson::error_code read_string_in_place(simdjson::ondemand::value& v, std::string_view& out) {
  const std::string_view token = v.raw_json_token();  // a peek: the string and what follows it
  if (token.size() >= 2 && token.front() == '"') {
    const char* body = token.data() + 1;
    const auto* close = static_cast<const char*>(std::memchr(body, '"', token.size() - 1));
    if (close != nullptr && std::memchr(body, '\\', std::size_t(close - body)) == nullptr) {
      simdjson::ondemand::raw_json_string raw;
      if (auto e = v.get_raw_json_string().get(raw)) return e;
      out = std::string_view(body, std::size_t(close - body));
      return simdjson::SUCCESS;
    }
  }
  return v.get_string().get(out);  // escapes to undo, or not a string at all
}

bool has_escape(simdjson::ondemand::raw_json_string raw) {
  for (const char* p = raw.raw(); *p != '"'; ++p)
    if (*p == '\\') return true;
  return false;
}

}  // namespace

JsonRequestParser::JsonRequestParser() {
  // Frames are bounded by --max-frame; allocate once for the largest we accept.
  if (parser_.allocate(1 << 17) != simdjson::SUCCESS) throw std::bad_alloc();
}

ParseOutcome JsonRequestParser::parse(std::string_view frame, Request& r) {
  // A fresh Request, but rid keeps its capacity: no allocation per frame.
  std::string rid = std::move(r.rid);
  rid.clear();
  r = Request{};
  r.rid = std::move(rid);
  if (frame.size() > parser_.capacity() && parser_.allocate(frame.size()) != simdjson::SUCCESS) {
    return bad_json("frame too large to parse");
  }
  simdjson::padded_string_view input(frame.data(), frame.size(), frame.size() + kFramePadding);
  auto doc_result = parser_.iterate(input);
  if (doc_result.error()) return bad_json("not valid JSON");
  simdjson::ondemand::document& doc = doc_result.value_unsafe();
  auto obj_result = doc.get_object();
  if (obj_result.error() == simdjson::INCORRECT_TYPE) return bad_json("a request must be a JSON object");
  if (obj_result.error()) return bad_json("not valid JSON");

  std::string_view op;
  FieldState op_state = FieldState::absent;
  bool skipped_unchecked = false;
  for (auto field : obj_result.value_unsafe()) {
    simdjson::ondemand::raw_json_string raw;
    if (field.key().get(raw)) return bad_json("not valid JSON");
    Key key = match_key(raw);
    if (key == Key::unknown && has_escape(raw)) {
      std::string_view unescaped;
      if (field.unescaped_key().get(unescaped)) return bad_json("not valid JSON");
      key = match_key(unescaped);
    }
    simdjson::ondemand::value v;
    if (field.value().get(v)) return bad_json("not valid JSON");

    FieldState* state = nullptr;
    std::string_view* str = nullptr;
    bool in_place = false;  // the text: read without a copy when it has no escapes
    int64_t* num = nullptr;
    const char* num_error = nullptr;
    switch (key) {
      case Key::op: state = &op_state, str = &op; break;
      case Key::room: state = &r.room_state, str = &r.room; break;
      case Key::user: state = &r.user_state, str = &r.user; break;
      case Key::to: state = &r.to_state, str = &r.to; break;
      case Key::token: state = &r.token_state, str = &r.token; break;
      case Key::text: state = &r.text_state, str = &r.text, in_place = true; break;
      case Key::ts: num = &r.ts, num_error = "ts must be a signed 64-bit integer", r.has_ts = true; break;
      case Key::since: num = &r.since, num_error = "since must be an integer", r.has_since = true; break;
      case Key::epoch: num = &r.epoch, num_error = "epoch must be an integer", r.has_epoch = true; break;
      case Key::limit: num = &r.limit, num_error = "limit must be an integer"; break;
      case Key::id:
        if (v.get_string().get(r.id)) return bad_json("id must be a string");
        r.has_id = true;
        continue;
      case Key::on:
        if (v.get_bool().get(r.on)) return bad_json("on must be true or false");
        continue;
      case Key::rid: {
        json_type t;
        if (v.type().get(t)) return bad_json("not valid JSON");
        r.rid.clear();  // a repeated rid: the last wins (appending twice echoed invalid JSON)
        if (t == json_type::string) {
          std::string_view s;
          if (v.get_string().get(s)) return bad_json("not valid JSON");
          append_json_string(r.rid, s);
        } else if (t == json_type::number) {
          int64_t n;
          if (v.get_int64().get(n)) return bad_json("rid must be a string or an integer");
          append_int(r.rid, n);
        } else {
          return bad_json("rid must be a string or an integer");
        }
        continue;
      }
      case Key::unknown:
        // Unknown keys are ignored, but their values must still be well-formed.
        if (skip_value(v)) return bad_json("not valid JSON");
        continue;
    }
    if (str != nullptr) {
      auto e = in_place ? read_string_in_place(v, *str) : v.get_string().get(*str);
      if (e == simdjson::INCORRECT_TYPE) {
        // Left for On Demand to skip (unchecked): the whole frame is checked below.
        *state = FieldState::wrong_type;
        skipped_unchecked = true;
      } else if (e) {
        return bad_json("not valid JSON");
      } else {
        *state = FieldState::present;
      }
    } else if (v.get_int64().get(*num)) {
      return bad_json(num_error);
    }
  }
  // An iterator still in bounds after the object means trailing content.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return bad_json("not valid JSON");
  if (skipped_unchecked) {
    // Rare (a wrong-typed field): a full DOM parse checks what On Demand skipped.
    simdjson::dom::element ignored;
    if (validator_.parse(reinterpret_cast<const uint8_t*>(frame.data()), frame.size(), false).get(ignored))
      return bad_json("not valid JSON");
  }
  if (op_state == FieldState::wrong_type) return {ParseError::unknown_op, "op must be a string"};
  if (op_state == FieldState::absent) return {ParseError::unknown_op, "missing op"};
  r.op_text = op;
  if (!parse_op(op, &r.op)) return {ParseError::unknown_op, "unknown op"};
  return {};
}

}  // namespace chatd::proto
