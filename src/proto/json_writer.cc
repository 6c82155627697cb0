#include "proto/json_writer.h"

#include <charconv>
#include <cstring>

namespace chatd::proto {
namespace {

// Which bytes need an escape: the quote, the backslash and C0 controls.
constexpr bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// The letter of a two-byte escape (\n, \", ...), or 0 for a byte written \u00XX.
constexpr char short_escape(unsigned char c) {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\b': return 'b';
    case '\f': return 'f';
    default: return 0;
  }
}

// The escape for a byte that needs one, written to `out` (6 bytes of room); returns
// its length, for the in-place writer.
std::size_t escape(unsigned char c, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out[0] = '\\';
  if (const char letter = short_escape(c)) {
    out[1] = letter;
    return 2;
  }
  out[1] = 'u';
  out[2] = '0';
  out[3] = '0';
  out[4] = kHex[c >> 4];
  out[5] = kHex[c & 0xf];
  return 6;
}

// Calls run(ptr, len) for each stretch that needs no escape and esc(c) for each
// byte that does, in order.
template <class Run, class Esc>
void for_each_piece(std::string_view s, Run&& run, Esc&& esc) {
  std::size_t start = 0;  // of the pending run of bytes that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    run(s.data() + start, i - start);
    esc(c);
    start = i + 1;
  }
  run(s.data() + start, s.size() - start);
}

}  // namespace

// Its own loop rather than for_each_piece + escape(): appending the escapes as
// literals is ~10% faster on escape-heavy text (encode_bench). events_test pins it
// to write_json_string for every byte.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  std::size_t run = 0;  // start of the pending run of bytes that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

std::size_t json_string_size(std::string_view s) {
  std::size_t n = s.size() + 2;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c)) n += short_escape(c) ? 1 : 5;
  }
  return n;
}

char* write_json_string(char* out, std::string_view s) {
  *out++ = '"';
  for_each_piece(
      s,
      [&](const char* p, std::size_t n) {
        if (n > 0) std::memcpy(out, p, n);
        out += n;
      },
      [&](unsigned char c) { out += escape(c, out); });
  *out++ = '"';
  return out;
}

std::size_t int_size(int64_t v) {
  char buf[24];
  return std::size_t(std::to_chars(buf, buf + sizeof buf, v).ptr - buf);
}

char* write_int(char* out, int64_t v) { return std::to_chars(out, out + 24, v).ptr; }

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace chatd::proto
