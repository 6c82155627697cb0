// Fuzz target: parse_text_line (text_command.h), the text-mode line parser.
//
// The input is one line, parsed in all four states a session can be in: not logged in,
// logged in without a room, logged in in a room. Invariants checked (docs/fuzzing.md):
//   - the answer agrees with a reference model written from docs/protocol.md's text mode
//     (words split on blanks; the command table);
//   - every view in the Request points into the line or the current room, never past
//     them (ASAN would report the read; this reports the aim);
//   - names and texts carry no leading or trailing blanks; message lines are kept whole.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/text_command.h"
#include "support/check.h"

namespace chatd::fuzz {
namespace {

using proto::FieldState;
using proto::Op;
using proto::TextLine;

bool is_blank(char c) { return c == ' ' || c == '\t'; }

struct Word {
  std::size_t begin, end;  // [begin, end) in the line
};

// The blank-separated words of `s`, with their positions.
std::vector<Word> words_of(std::string_view s) {
  std::vector<Word> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    if (i == s.size()) break;
    const std::size_t begin = i;
    while (i < s.size() && !is_blank(s[i])) ++i;
    out.push_back({begin, i});
  }
  return out;
}

bool within(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

struct Expected {
  TextLine verdict = TextLine::empty;
  Op op = Op::ping;
  std::string_view room, to, text, user;
};

Expected answer(TextLine verdict) {
  Expected e;
  e.verdict = verdict;
  return e;
}

Expected request(Op op, std::string_view room = {}, std::string_view to = {}, std::string_view text = {}) {
  Expected e = answer(TextLine::request);
  e.op = op;
  e.room = room;
  e.to = to;
  e.text = text;
  return e;
}

Expected expected_logged_in(std::string_view line, std::string_view current_room) {
  const std::vector<Word> words = words_of(line);
  if (words.empty()) return answer(TextLine::empty);
  if (line.front() != '/') {
    if (current_room.empty()) return answer(TextLine::no_room);
    return request(Op::msg, current_room, {}, line);
  }
  // The command is the first word after the '/' ("/ join x" names join too); a lone "/"
  // names the empty command.
  const std::vector<Word> after_slash = words_of(line.substr(1));
  auto word = [&](std::size_t i) {
    return i < after_slash.size() ? line.substr(1 + after_slash[i].begin, after_slash[i].end - after_slash[i].begin)
                                  : std::string_view();
  };
  const std::string_view cmd = word(0);
  if (cmd == "join" || cmd == "leave") {
    if (after_slash.size() < 2) return answer(TextLine::missing_argument);
    return request(cmd == "join" ? Op::join : Op::leave, word(1));
  }
  if (cmd == "w" || cmd == "whisper" || cmd == "msg") {
    if (after_slash.size() < 3) return answer(TextLine::missing_argument);
    // The text runs from the third word to the end of the last, inner blanks kept.
    const std::size_t begin = 1 + after_slash[2].begin, end = 1 + after_slash.back().end;
    return request(Op::whisper, {}, word(1), line.substr(begin, end - begin));
  }
  if (cmd == "users") return request(Op::users);
  if (cmd == "rooms") return request(Op::rooms);
  if (cmd == "exit" || cmd == "quit") return request(Op::bye);
  if (cmd == "help") return answer(TextLine::help);
  return answer(TextLine::unknown_command);
}

Expected expected_answer(std::string_view line, bool logged_in, std::string_view current_room) {
  if (logged_in) return expected_logged_in(line, current_room);
  // Before login the line is the name, blanks around it dropped.
  const std::vector<Word> words = words_of(line);
  Expected e = request(Op::hello);
  if (!words.empty()) e.user = line.substr(words.front().begin, words.back().end - words.front().begin);
  return e;
}

std::string describe(TextLine v) { return std::to_string(int(v)); }

void check_string(const char* name, FieldState state, std::string_view got, std::string_view want,
                  std::string_view line, std::string_view room) {
  const bool wanted = !want.empty() || (std::string_view(name) == "user");
  if (!wanted) {
    FUZZ_CHECK(state == FieldState::absent, std::string(name) + " set for line \"" + printable(line) + "\"");
    return;
  }
  FUZZ_CHECK(state == FieldState::present, std::string(name) + " missing for line \"" + printable(line) + "\"");
  FUZZ_CHECK(within(got, line) || within(got, room),
             std::string(name) + " points outside the line \"" + printable(line) + "\"");
  FUZZ_CHECK(got == want, std::string(name) + " = \"" + printable(got) + "\", want \"" + printable(want) +
                              "\" for line \"" + printable(line) + "\"");
  FUZZ_CHECK(got.empty() || (!is_blank(got.front()) && !is_blank(got.back())) || std::string_view(name) == "text",
             std::string(name) + " has blanks around it: \"" + printable(got) + "\"");
}

void check_line(std::string_view line, bool logged_in, std::string_view current_room) {
  proto::Request r;
  const TextLine got = proto::parse_text_line(line, logged_in, current_room, r);
  const Expected want = expected_answer(line, logged_in, current_room);
  // Built only when a check fails.
  const auto context = [&] {
    return "line \"" + printable(line) + "\" logged_in=" + (logged_in ? "1" : "0") + " room=\"" +
           std::string(current_room) + "\"";
  };
  FUZZ_CHECK(got == want.verdict, context() + ": verdict " + describe(got) + ", want " + describe(want.verdict));
  if (got != TextLine::request) return;
  FUZZ_CHECK(r.op == want.op, context() + ": op " + std::string(proto::op_name(r.op)) + ", want " +
                                  std::string(proto::op_name(want.op)));
  if (want.op == Op::hello) {
    check_string("user", r.user_state, r.user, want.user, line, current_room);
  } else {
    FUZZ_CHECK(r.user_state == FieldState::absent, context() + ": user set");
  }
  check_string("room", r.room_state, r.room, want.room, line, current_room);
  check_string("to", r.to_state, r.to, want.to, line, current_room);
  check_string("text", r.text_state, r.text, want.text, line, current_room);
  FUZZ_CHECK(r.rid.empty() && !r.has_id && !r.has_ts, context() + ": JSON-only fields set");
}

}  // namespace
}  // namespace chatd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace chatd::fuzz;
  // The line in a block of exactly its size: a read past its end is an ASAN report.
  const std::unique_ptr<char[]> block(new char[size]);
  if (size > 0) std::memcpy(block.get(), data, size);
  const std::string_view line(block.get(), size);
  const std::string room = "lobby";
  check_line(line, false, "");
  check_line(line, true, "");
  check_line(line, true, room);
  return 0;
}
