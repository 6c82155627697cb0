#include "proto/json_request_parser.h"

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

// Reads a string-or-absent field, remembering a wrong type for the op's own check.
bool read_string(simdjson::ondemand::value v, FieldState* state, std::string_view* out) {
  auto s = v.get_string();
  if (s.error() == simdjson::INCORRECT_TYPE) {
    *state = FieldState::wrong_type;
    return skip_value(v) == simdjson::SUCCESS;
  }
  if (s.error()) return false;
  *state = FieldState::present;
  *out = s.value_unsafe();
  return true;
}

}  // namespace

JsonRequestParser::JsonRequestParser() {
  // Frames are bounded by --max-frame; allocate once for the largest we accept.
  if (parser_.allocate(1 << 17) != simdjson::SUCCESS) throw std::bad_alloc();
}

ParseOutcome JsonRequestParser::parse(std::string_view frame, Request& r) {
  r = Request{};
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
  bool has_op = false;
  bool op_not_string = false;
  for (auto field : obj_result.value_unsafe()) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_json("not valid JSON");
    simdjson::ondemand::value v;
    if (field.value().get(v)) return bad_json("not valid JSON");
    bool ok = true;
    if (key == "op") {
      auto e = v.get_string().get(op);
      if (e == simdjson::INCORRECT_TYPE) {
        op_not_string = true;
        if (skip_value(v)) return bad_json("not valid JSON");
      } else if (e) {
        return bad_json("not valid JSON");
      } else {
        has_op = true;
      }
    } else if (key == "room") {
      ok = read_string(v, &r.room_state, &r.room);
    } else if (key == "user") {
      ok = read_string(v, &r.user_state, &r.user);
    } else if (key == "to") {
      ok = read_string(v, &r.to_state, &r.to);
    } else if (key == "text") {
      ok = read_string(v, &r.text_state, &r.text);
    } else if (key == "id") {
      if (v.get_string().get(r.id)) return bad_json("id must be a string");
      r.has_id = true;
    } else if (key == "ts") {
      if (v.get_int64().get(r.ts)) return bad_json("ts must be a signed 64-bit integer");
      r.has_ts = true;
    } else if (key == "since") {
      if (v.get_int64().get(r.since)) return bad_json("since must be an integer");
    } else if (key == "limit") {
      if (v.get_int64().get(r.limit)) return bad_json("limit must be an integer");
    } else if (key == "on") {
      if (v.get_bool().get(r.on)) return bad_json("on must be true or false");
    } else if (key == "rid") {
      json_type t;
      if (v.type().get(t)) return bad_json("not valid JSON");
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
    } else {
      // Unknown keys are ignored, but their values must still be well-formed.
      if (skip_value(v)) return bad_json("not valid JSON");
    }
    if (!ok) return bad_json("not valid JSON");
  }
  // An iterator still in bounds after the object means trailing content.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return bad_json("not valid JSON");
  if (op_not_string) return {ParseError::unknown_op, "op must be a string"};
  if (!has_op) return {ParseError::unknown_op, "missing op"};
  r.op_text = op;
  if (!parse_op(op, &r.op)) return {ParseError::unknown_op, "unknown op"};
  return {};
}

}  // namespace chatd::proto
