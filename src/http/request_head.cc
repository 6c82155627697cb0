#include "http/request_head.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace chatd::http {
namespace {

HeadParse refuse(uint16_t status, std::string_view why) {
  HeadParse p;
  p.status = HeadStatus::bad;
  p.error_status = status;
  p.error = why;
  return p;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// RFC 9110 tchar: the characters of a method or a header name.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// A header value's bytes: visible ASCII, space, tab and obs-text; never CR, LF or NUL.
bool is_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

// An origin-form target: '/' then visible ASCII (no spaces, controls or raw UTF-8).
bool is_origin_target(std::string_view s) {
  if (s.empty() || s.front() != '/') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct ConnectionTokens {
  bool close = false;
  bool keep_alive = false;
};

// Parses "METHOD SP target SP HTTP/x.y" into `head`; an empty string_view on success,
// else the refusal (status in *status).
std::string_view parse_request_line(std::string_view line, RequestHead& head, uint16_t* status) {
  *status = 400;
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return "the request line is not METHOD TARGET VERSION";
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return "the request line is not METHOD TARGET VERSION";
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return "the method is not a token";
  if (method != "GET") {
    *status = 405;
    return "only GET is served here";
  }
  if (!is_origin_target(target)) return "the target is not an absolute path";
  if (version == "HTTP/1.1") {
    head.version = Version::http11;
  } else if (version == "HTTP/1.0") {
    head.version = Version::http10;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[6] == '.' &&
             std::isdigit(static_cast<unsigned char>(version[5])) &&
             std::isdigit(static_cast<unsigned char>(version[7]))) {
    *status = 505;
    return "only HTTP/1.1 and HTTP/1.0 are served";
  } else {
    return "the version is not HTTP/x.y";
  }
  head.target = target;
  head.path = target.substr(0, target.find('?'));
  return {};
}

// Applies one header field to `head`; an empty string_view on success, else the refusal.
std::string_view apply_header(std::string_view name, std::string_view value, RequestHead& head,
                              ConnectionTokens& conn, bool* seen_host) {
  if (iequals(name, "host")) {
    if (*seen_host) return "more than one Host header";
    *seen_host = true;
    head.host = value;
  } else if (iequals(name, "connection")) {
    conn.close = conn.close || list_has_token(value, "close");
    conn.keep_alive = conn.keep_alive || list_has_token(value, "keep-alive");
    head.connection_upgrade = head.connection_upgrade || list_has_token(value, "upgrade");
  } else if (iequals(name, "upgrade")) {
    head.upgrade_websocket = head.upgrade_websocket || list_has_token(value, "websocket");
  } else if (iequals(name, "sec-websocket-key")) {
    if (head.has_ws_key) return "more than one Sec-WebSocket-Key header";
    head.has_ws_key = true;
    head.ws_key = value;
  } else if (iequals(name, "sec-websocket-version")) {
    if (head.has_ws_version) return "more than one Sec-WebSocket-Version header";
    head.has_ws_version = true;
    head.ws_version = value;
  } else if (iequals(name, "if-none-match")) {
    head.if_none_match = value;
  } else if (iequals(name, "transfer-encoding")) {
    return "a request body is not accepted";
  } else if (iequals(name, "content-length")) {
    // Content-Length: 0 announces no body; anything else is a body (or garbage).
    const bool zero = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c == '0'; });
    if (!zero) return "a request body is not accepted";
  }
  return {};
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool list_has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim_ows(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

HeadParse parse_complete_head(std::string_view head_bytes) {
  HeadParse p;
  RequestHead& head = p.head;
  std::size_t pos = head_bytes.find("\r\n");
  uint16_t status = 400;
  if (std::string_view why = parse_request_line(head_bytes.substr(0, pos), head, &status); !why.empty()) {
    return refuse(status, why);
  }
  pos += 2;
  ConnectionTokens conn;
  bool seen_host = false;
  while (pos < head_bytes.size()) {
    const std::size_t end = head_bytes.find("\r\n", pos);
    if (end == std::string_view::npos) return refuse(400, "a header line does not end in CRLF");
    const std::string_view line = head_bytes.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;  // the head's empty line
    if (line.front() == ' ' || line.front() == '\t') return refuse(400, "obsolete header line folding");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return refuse(400, "a header line has no ':'");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_token(name)) return refuse(400, "a header name is not a token");
    if (!is_field_value(value)) return refuse(400, "a header value holds a control character");
    if (std::string_view why = apply_header(name, value, head, conn, &seen_host); !why.empty()) {
      return refuse(400, why);
    }
  }
  if (head.version == Version::http11 && !seen_host) return refuse(400, "an HTTP/1.1 request needs a Host header");
  head.keep_alive = !conn.close && (head.version == Version::http11 || conn.keep_alive);
  p.status = HeadStatus::complete;
  p.consumed = head_bytes.size();
  return p;
}

HeadParse RequestHeadParser::parse(std::string_view buffered) {
  const std::size_t limit = std::min(buffered.size(), kMaxHeadBytes);
  while (scanned_ < limit) {
    const void* nl = std::memchr(buffered.data() + scanned_, '\n', limit - scanned_);
    if (nl == nullptr) {
      scanned_ = limit;
      break;
    }
    const std::size_t at = static_cast<const char*>(nl) - buffered.data();
    if (at == line_start_ || buffered[at - 1] != '\r') {
      reset();
      return refuse(400, "a line ends in a bare LF (CRLF required)");
    }
    if (at - line_start_ == 1) {  // "\r\n" alone: the head ends here
      const bool request_line_empty = line_start_ == 0;
      reset();
      if (request_line_empty) return refuse(400, "the request line is empty");
      return parse_complete_head(buffered.substr(0, at + 1));
    }
    line_start_ = scanned_ = at + 1;
  }
  if (buffered.size() >= kMaxHeadBytes) {
    reset();
    return refuse(400, "the request head is over 8 KiB");
  }
  return HeadParse{};
}

}  // namespace chatd::http
