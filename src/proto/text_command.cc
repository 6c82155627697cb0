#include "proto/text_command.h"

namespace chatd::proto {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits off the first space-separated word.
std::string_view next_word(std::string_view& rest) {
  rest = trim(rest);
  std::size_t sp = rest.find_first_of(" \t");
  std::string_view word = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view() : trim(rest.substr(sp));
  return word;
}

// A decimal number of at most 18 digits (seqs and epochs stay below 2^53).
bool parse_count(std::string_view word, int64_t* out) {
  if (word.empty() || word.size() > 18) return false;
  int64_t v = 0;
  for (char ch : word) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
  }
  *out = v;
  return true;
}

void set_room(Request& r, std::string_view room) {
  r.room_state = FieldState::present;
  r.room = room;
}

}  // namespace

TextLine parse_text_line(std::string_view line, bool logged_in, std::string_view current_room,
                         Request& r, TextLogin login) {
  r = Request{};
  if (!logged_in) {
    // The name line; an empty one asks again (bad_name from the session).
    r.op = Op::hello;
    r.user_state = FieldState::present;
    if (login == TextLogin::name) {
      r.user = trim(line);
      return TextLine::request;
    }
    std::string_view rest = line;
    r.user = next_word(rest);
    if (!rest.empty()) {  // no token: the shard refuses the hello as unauthorized
      r.token_state = FieldState::present;
      r.token = rest;
    }
    return TextLine::request;
  }
  if (trim(line).empty()) return TextLine::empty;
  if (line.front() != '/') {
    if (current_room.empty()) return TextLine::no_room;
    r.op = Op::msg;
    set_room(r, current_room);
    r.text_state = FieldState::present;
    r.text = line;
    return TextLine::request;
  }
  std::string_view rest = line.substr(1);
  std::string_view cmd = next_word(rest);
  if (cmd == "join" || cmd == "leave") {
    std::string_view room = next_word(rest);
    if (room.empty()) return TextLine::missing_argument;
    r.op = cmd == "join" ? Op::join : Op::leave;
    set_room(r, room);
    // "/join ROOM SINCE EPOCH" rejoins with recovery (docs/protocol.md, "Recovery on
    // join"); other words after the room are ignored, as they always were.
    int64_t since = 0, epoch = 0;
    if (r.op == Op::join && parse_count(next_word(rest), &since) && parse_count(next_word(rest), &epoch)) {
      r.has_since = r.has_epoch = true;
      r.since = since;
      r.epoch = epoch;
    }
    return TextLine::request;
  }
  if (cmd == "w" || cmd == "whisper" || cmd == "msg") {
    std::string_view to = next_word(rest);
    if (to.empty() || rest.empty()) return TextLine::missing_argument;
    r.op = Op::whisper;
    r.to_state = FieldState::present;
    r.to = to;
    r.text_state = FieldState::present;
    r.text = rest;
    return TextLine::request;
  }
  if (cmd == "users") {
    r.op = Op::users;
    return TextLine::request;
  }
  if (cmd == "rooms") {
    r.op = Op::rooms;
    return TextLine::request;
  }
  if (cmd == "exit" || cmd == "quit") {
    r.op = Op::bye;
    return TextLine::request;
  }
  if (cmd == "help") return TextLine::help;
  return TextLine::unknown_command;
}

}  // namespace chatd::proto
