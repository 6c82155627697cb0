#include "support/parsed_request.h"

#include "support/check.h"

namespace chatd::fuzz {
namespace {

const char* state_name(proto::FieldState s) {
  switch (s) {
    case proto::FieldState::absent: return "absent";
    case proto::FieldState::wrong_type: return "wrong_type";
    case proto::FieldState::present: return "present";
  }
  return "?";
}

const char* error_name(proto::ParseError e) {
  switch (e) {
    case proto::ParseError::none: return "ok";
    case proto::ParseError::bad_json: return "bad_json";
    case proto::ParseError::unknown_op: return "unknown_op";
  }
  return "?";
}

void describe_field(std::string& out, const char* name, proto::FieldState state, const std::string& value) {
  out += std::string(" ") + name + "=" + state_name(state);
  // A value is shown whenever one is kept, so that no difference hides in a state.
  if (state == proto::FieldState::present || !value.empty()) out += "\"" + printable(value) + "\"";
}

}  // namespace

bool ParsedRequest::same_meaning(const ParsedRequest& other) const {
  ParsedRequest a = *this;
  a.message = other.message;
  return a == other;
}

ParsedRequest snapshot(const proto::ParseOutcome& outcome, const proto::Request& r) {
  ParsedRequest p;
  p.error = outcome.error;
  p.message = outcome.message;
  if (outcome.error == proto::ParseError::bad_json) return p;
  p.op_text = std::string(r.op_text);
  p.rid = r.rid;
  if (outcome.error == proto::ParseError::unknown_op) return p;
  p.op = r.op;
  p.room_state = r.room_state;
  if (r.room_state == proto::FieldState::present) p.room = std::string(r.room);
  p.user_state = r.user_state;
  if (r.user_state == proto::FieldState::present) p.user = std::string(r.user);
  p.to_state = r.to_state;
  if (r.to_state == proto::FieldState::present) p.to = std::string(r.to);
  p.text_state = r.text_state;
  if (r.text_state == proto::FieldState::present) p.text = std::string(r.text);
  p.has_id = r.has_id;
  if (r.has_id) p.id = std::string(r.id);
  p.has_ts = r.has_ts;
  p.ts = r.ts;
  p.since = r.since;
  p.limit = r.limit;
  p.on = r.on;
  return p;
}

std::string describe(const ParsedRequest& p) {
  std::string out = error_name(p.error);
  if (!p.message.empty()) out += " (" + p.message + ")";
  if (p.error == proto::ParseError::bad_json) return out;
  out += " op_text=\"" + printable(p.op_text) + "\" rid=" + printable(p.rid);
  if (p.error == proto::ParseError::unknown_op) return out;
  out += " op=" + std::string(proto::op_name(p.op));
  describe_field(out, "room", p.room_state, p.room);
  describe_field(out, "user", p.user_state, p.user);
  describe_field(out, "to", p.to_state, p.to);
  describe_field(out, "text", p.text_state, p.text);
  if (p.has_id) out += " id=\"" + printable(p.id) + "\"";
  if (p.has_ts) out += " ts=" + std::to_string(p.ts);
  out += " since=" + std::to_string(p.since) + " limit=" + std::to_string(p.limit);
  out += p.on ? " on=true" : " on=false";
  return out;
}

}  // namespace chatd::fuzz
