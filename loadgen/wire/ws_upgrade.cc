#include "loadgen/wire/ws_upgrade.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "ws/handshake.h"

namespace chatd::loadgen {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when the comma-separated list `value` has `token` (case-insensitive).
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

UpgradeVerdict refused(std::string code) { return {UpgradeVerdict::Status::refused, 0, std::move(code)}; }

// What the headers of a 101 must say, as they are read.
struct UpgradeHeaders {
  bool upgrade_websocket = false;
  bool connection_upgrade = false;
  bool extension_or_protocol = false;
  std::string_view accept;
};

void read_header(std::string_view line, UpgradeHeaders& h) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view name = trim(line.substr(0, colon));
  const std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "Upgrade")) h.upgrade_websocket |= lists_token(value, "websocket");
  if (iequals(name, "Connection")) h.connection_upgrade |= lists_token(value, "upgrade");
  if (iequals(name, "Sec-WebSocket-Accept")) h.accept = value;
  if (iequals(name, "Sec-WebSocket-Extensions") || iequals(name, "Sec-WebSocket-Protocol"))
    h.extension_or_protocol = true;
}

}  // namespace

std::string websocket_key(uint64_t high, uint64_t low) {
  unsigned char raw[16];
  for (int i = 0; i < 8; ++i) {
    raw[i] = static_cast<unsigned char>(high >> (56 - 8 * i));
    raw[8 + i] = static_cast<unsigned char>(low >> (56 - 8 * i));
  }
  unsigned char encoded[25];
  const int n = EVP_EncodeBlock(encoded, raw, sizeof raw);  // 24 characters and a NUL
  return std::string(reinterpret_cast<const char*>(encoded), std::size_t(n));
}

void append_upgrade_request(std::string& out, std::string_view host, std::string_view key) {
  out += "GET /ws HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ";
  out += key;
  out += "\r\n\r\n";
}

UpgradeVerdict check_upgrade_response(std::string_view bytes, std::string_view key) {
  const std::size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() > kMaxUpgradeResponseHead) return refused("ws_upgrade_head_too_large");
    return {};
  }
  if (end + 4 > kMaxUpgradeResponseHead) return refused("ws_upgrade_head_too_large");
  std::string_view head = bytes.substr(0, end + 2);  // every line ends in CRLF
  const std::size_t first_eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, first_eol);
  // "HTTP/1.1 101 Switching Protocols": the version, a space, three digits.
  if (status_line.size() < 12 || status_line.substr(0, 9) != "HTTP/1.1 " ||
      !std::all_of(status_line.begin() + 9, status_line.begin() + 12, [](char c) { return c >= '0' && c <= '9'; }))
    return refused("ws_bad_upgrade_response");
  const std::string_view status = status_line.substr(9, 3);
  if (status != "101") return refused("ws_upgrade_status_" + std::string(status));
  UpgradeHeaders h;
  for (head.remove_prefix(first_eol + 2); !head.empty();) {
    const std::size_t eol = head.find("\r\n");
    read_header(head.substr(0, eol), h);
    head.remove_prefix(eol + 2);
  }
  if (!h.upgrade_websocket || !h.connection_upgrade) return refused("ws_bad_upgrade_response");
  if (h.extension_or_protocol) return refused("ws_unrequested_extension");
  if (h.accept != ws::accept_key(key)) return refused("ws_bad_accept");
  return {UpgradeVerdict::Status::accepted, end + 4, {}};
}

}  // namespace chatd::loadgen
