#include "http/response.h"

#include <array>

namespace chatd::http {
namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view without_weak_prefix(std::string_view tag) {
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  return tag;
}

bool has_body(uint16_t status) { return status != 101 && status != 304; }

}  // namespace

std::string_view reason_phrase(uint16_t status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 426: return "Upgrade Required";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

void append_response(const Response& r, std::string& out) {
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\n";
  if (!r.content_type.empty()) {
    out += "Content-Type: ";
    out += r.content_type;
    out += "\r\n";
  }
  if (!r.cache_control.empty()) {
    out += "Cache-Control: ";
    out += r.cache_control;
    out += "\r\n";
  }
  if (has_body(r.status)) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  for (const Header& h : r.headers) {
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  out += r.upgrade ? "Connection: Upgrade\r\n" : r.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  if (has_body(r.status)) out += r.body;
}

bool etag_matches(std::string_view value, std::string_view etag) {
  if (trim_ows(value) == "*") return true;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (without_weak_prefix(trim_ows(value.substr(0, comma))) == without_weak_prefix(etag)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool asset_unchanged(const StaticAsset& asset, const RequestHead& head) {
  return !head.if_none_match.empty() && etag_matches(head.if_none_match, asset.etag);
}

std::string asset_response(const StaticAsset& asset, const RequestHead& head) {
  const std::array<Header, 4> headers = {{
      {"ETag", asset.etag},
      {"Content-Security-Policy", kPageCsp},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  }};
  Response r;
  r.status = asset_unchanged(asset, head) ? 304 : 200;
  r.content_type = asset.content_type;
  r.body = asset.body;
  r.cache_control = "no-cache";
  r.headers = headers;
  r.keep_alive = head.keep_alive;
  std::string out;
  out.reserve(512 + (r.status == 200 ? asset.body.size() : 0));
  append_response(r, out);
  return out;
}

std::string text_response(uint16_t status, std::string_view body, bool keep_alive,
                          std::span<const Header> headers) {
  std::string out;
  append_response({.status = status,
                   .content_type = "text/plain; charset=utf-8",
                   .body = body,
                   .cache_control = "no-store",
                   .headers = headers,
                   .keep_alive = keep_alive},
                  out);
  return out;
}

}  // namespace chatd::http
