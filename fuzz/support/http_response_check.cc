#include "support/http_response_check.h"

#include <cstring>
#include <set>

namespace chatd::fuzz {
namespace {

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

struct Split {
  std::string_view status_line, header_block, body;
  bool ok = false;
};

Split split_response(std::string_view bytes) {
  Split s;
  const std::size_t line_end = bytes.find("\r\n");
  const std::size_t head_end = bytes.find("\r\n\r\n");
  if (line_end == std::string_view::npos || head_end == std::string_view::npos) return s;
  s.status_line = bytes.substr(0, line_end);
  // Between the status line's CRLF and the empty line's; empty when there are no headers.
  s.header_block = head_end > line_end ? bytes.substr(line_end + 2, head_end - line_end) : std::string_view();
  s.body = bytes.substr(head_end + 4);
  s.ok = true;
  return s;
}

std::string status_line_problem(std::string_view line, uint16_t status) {
  if (line.size() < 14 || line.substr(0, 9) != "HTTP/1.1 " || line[12] != ' ') return "bad status line";
  const std::string_view code = line.substr(9, 3);
  for (char c : code) {
    if (c < '0' || c > '9') return "status code not 3 digits";
  }
  if (code != std::to_string(status)) return "status " + std::string(code) + ", want " + std::to_string(status);
  const std::string_view reason = line.substr(13);
  if (reason.empty() || reason == "Unknown") return "no reason phrase for " + std::string(code);
  for (char c : reason) {
    if (c != ' ' && c != '\t' && (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)) return "control byte in reason";
  }
  return {};
}

}  // namespace

std::string_view response_header(std::string_view bytes, std::string_view name) {
  const Split s = split_response(bytes);
  std::string_view block = s.header_block;
  const std::string want = lowered(name);
  while (!block.empty()) {
    const std::size_t end = block.find("\r\n");
    const std::string_view line = block.substr(0, end);
    block.remove_prefix(end == std::string_view::npos ? block.size() : end + 2);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && lowered(line.substr(0, colon)) == want) return line.substr(colon + 2);
  }
  return {};
}

std::string response_problem(std::string_view bytes, const ExpectedReply& want) {
  const Split s = split_response(bytes);
  if (!s.ok) return "no status line, or no empty line after the headers";
  if (std::string p = status_line_problem(s.status_line, want.status); !p.empty()) return p;
  std::set<std::string> names;
  std::string_view block = s.header_block;
  while (!block.empty()) {
    const std::size_t end = block.find("\r\n");
    if (end == std::string_view::npos) return "a header line without CRLF";
    const std::string_view line = block.substr(0, end);
    block.remove_prefix(end + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return "a header line without a name";
    for (char c : line.substr(0, colon)) {
      if (!is_tchar(c)) return "a header name is not a token";
    }
    if (line.substr(colon, 2) != ": ") return "no \": \" after a header name";
    for (char c : line.substr(colon + 2)) {
      const auto u = static_cast<unsigned char>(c);
      if (u != '\t' && (u < 0x20 || u == 0x7f)) return "a control byte in a header value";
    }
    if (!names.insert(lowered(line.substr(0, colon))).second) return "header " + std::string(line) + " twice";
  }
  const bool bodyless = want.status == 101 || want.status == 304;
  const std::string_view length = response_header(bytes, "content-length");
  if (bodyless) {
    if (names.count("content-length") != 0 || !s.body.empty()) return "a body or Content-Length on a bodyless status";
  } else if (names.count("content-length") == 0 || length != std::to_string(s.body.size())) {
    return "Content-Length \"" + std::string(length) + "\" but " + std::to_string(s.body.size()) + " body bytes";
  }
  const std::string_view connection = response_header(bytes, "connection");
  const std::string_view want_connection = want.status == 101 ? "Upgrade" : want.close_after ? "close" : "keep-alive";
  if (connection != want_connection) {
    return "Connection \"" + std::string(connection) + "\", want \"" + std::string(want_connection) + "\"";
  }
  return {};
}

}  // namespace chatd::fuzz
