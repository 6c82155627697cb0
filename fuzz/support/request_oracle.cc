#include "support/request_oracle.h"

#include "proto/json_writer.h"

namespace chatd::fuzz {
namespace {

using proto::FieldState;
using proto::ParseError;
using simdjson::dom::element;

ParsedRequest refused(ParseError e) {
  ParsedRequest p;
  p.error = e;
  return p;
}

struct StringField {
  FieldState* state;
  std::string* value;
};

// A string-valued field: the last occurrence decides its state; a wrong-typed one keeps
// no value (the parser's view may still point at an earlier string: nobody reads it).
void read_string_field(element v, StringField f) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    *f.state = FieldState::present;
    *f.value = std::string(s);
  } else {
    *f.state = FieldState::wrong_type;
    f.value->clear();
  }
}

// Applies one field; false when the field's value makes the request bad_json.
bool apply_field(std::string_view key, element v, ParsedRequest& p, FieldState& op_state, std::string& op) {
  if (key == "op") read_string_field(v, {&op_state, &op});
  else if (key == "room") read_string_field(v, {&p.room_state, &p.room});
  else if (key == "user") read_string_field(v, {&p.user_state, &p.user});
  else if (key == "to") read_string_field(v, {&p.to_state, &p.to});
  else if (key == "text") read_string_field(v, {&p.text_state, &p.text});
  else if (key == "ts") {
    p.has_ts = true;
    return v.get_int64().get(p.ts) == simdjson::SUCCESS;
  } else if (key == "since") return v.get_int64().get(p.since) == simdjson::SUCCESS;
  else if (key == "limit") return v.get_int64().get(p.limit) == simdjson::SUCCESS;
  else if (key == "on") return v.get_bool().get(p.on) == simdjson::SUCCESS;
  else if (key == "id") {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) return false;
    p.has_id = true;
    p.id = std::string(s);
  } else if (key == "rid") {
    // Echoed in replies as JSON: a string re-encoded, or an integer. One rid per request.
    std::string_view s;
    int64_t n;
    p.rid.clear();
    if (v.get_string().get(s) == simdjson::SUCCESS) proto::append_json_string(p.rid, s);
    else if (v.get_int64().get(n) == simdjson::SUCCESS) proto::append_int(p.rid, n);
    else return false;
  }
  return true;  // unknown keys are ignored once the document is valid
}

}  // namespace

std::optional<ParsedRequest> expected_parse(std::string_view frame, simdjson::dom::parser& dom) {
  element doc;
  const simdjson::error_code e = dom.parse(frame.data(), frame.size(), true).get(doc);
  if (e == simdjson::DEPTH_ERROR) return std::nullopt;
  if (e != simdjson::SUCCESS) return refused(ParseError::bad_json);
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return refused(ParseError::bad_json);

  ParsedRequest p;
  FieldState op_state = FieldState::absent;
  std::string op;
  for (simdjson::dom::key_value_pair field : obj) {
    if (!apply_field(field.key, field.value, p, op_state, op)) return refused(ParseError::bad_json);
  }
  if (op_state != FieldState::present) {
    ParsedRequest unknown = refused(ParseError::unknown_op);
    unknown.rid = p.rid;
    return unknown;
  }
  if (!proto::parse_op(op, &p.op)) {
    ParsedRequest unknown = refused(ParseError::unknown_op);
    unknown.rid = p.rid;
    unknown.op_text = op;
    return unknown;
  }
  p.op_text = op;
  return p;
}

}  // namespace chatd::fuzz
