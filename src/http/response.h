// HTTP/1.1 response heads and the few responses the chat port sends. Values in, bytes
// out; no I/O. Every response says Content-Length (or has no body by definition: 101,
// 304) and Connection: keep-alive or close, so a keep-alive client always knows where
// one response ends.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "http/request_head.h"
#include "http/static_assets.h"

namespace chatd::http {

// The page's Content-Security-Policy: everything from this origin only, scripts and
// styles from files (no inline code), and WebSocket connections back to the server.
// 'self' covers ws:/wss: to the same host in current browsers; the explicit schemes keep
// older ones working (they allow any host, which a page without third-party code can
// afford).
constexpr std::string_view kPageCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Header {
  std::string_view name;
  std::string_view value;
};

struct Response {
  uint16_t status = 200;
  std::string_view content_type;       // empty: no Content-Type header
  std::string_view body;
  std::string_view cache_control;      // empty: no Cache-Control header
  std::span<const Header> headers;     // extra headers, written as given
  bool keep_alive = true;
  bool upgrade = false;                // 101: Connection: Upgrade instead of keep-alive/close
};

// "OK", "Not Found", ...; "Unknown" for a status this server never sends.
std::string_view reason_phrase(uint16_t status);

// Appends the status line, the headers, the empty line and the body.
void append_response(const Response& response, std::string& out);

// An embedded file: 200 with the file, or 304 when If-None-Match names its ETag.
// Cache-Control: no-cache (keep it, but revalidate each time: the paths are not
// content-hashed, so a new build must be seen at once), the CSP, and nosniff.
std::string asset_response(const StaticAsset& asset, const RequestHead& head);

// A short text/plain response (`body` ends with a newline), not cached.
std::string text_response(uint16_t status, std::string_view body, bool keep_alive,
                          std::span<const Header> headers = {});

// True if the request's If-None-Match names the asset's current ETag (a 304 is due).
bool asset_unchanged(const StaticAsset& asset, const RequestHead& head);

// True if If-None-Match `value` lists `etag` (or is "*"); weak validators compare equal
// to strong ones here (RFC 9110's weak comparison, which 304 uses).
bool etag_matches(std::string_view value, std::string_view etag);

}  // namespace chatd::http
