// The web page's files, compiled into the binary from web/ at build time
// (web/embed_assets.py, run by src/http/meson.build): nothing is read from disk and
// nothing is loaded from another host, so the page works offline.
#pragma once

#include <span>
#include <string_view>

namespace chatd::http {

struct StaticAsset {
  std::string_view path;          // "/index.html", "/app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
  std::string_view etag;          // quoted strong validator, from the bytes' SHA-256
};

// Every embedded file, in the generated table's order (defined in the generated web_assets.cc).
std::span<const StaticAsset> embedded_assets();

// The asset served at `path` ("/" serves /index.html), or nullptr. A handful of
// entries: a linear scan is cheaper than any index.
const StaticAsset* static_asset(std::string_view path);

}  // namespace chatd::http
