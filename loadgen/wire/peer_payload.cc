#include "loadgen/wire/peer_payload.h"

#include <charconv>
#include <cstring>

#include "proto/json_writer.h"

namespace chatd::loadgen {
namespace {

constexpr std::string_view kIdKey = "{\"id\":\"";
constexpr std::string_view kTsKey = "\",\"ts\":";

char* put(char* at, std::string_view s) {
  std::memcpy(at, s.data(), s.size());
  return at + s.size();
}

char* put_u32(char* at, uint32_t v) { return std::to_chars(at, at + 10, v).ptr; }

}  // namespace

std::string peer_payload_suffix(std::string_view text) {
  std::string s = ",\"text\":";
  proto::append_json_string(s, text);
  s += '}';
  return s;
}

std::size_t write_peer_payload_head(char* buf, MessageId id, Nanos ts) {
  char* at = put(buf, kIdKey);
  at = put_u32(at, id.step);
  *at++ = '.';
  at = put_u32(at, id.sender);
  *at++ = '.';
  at = put_u32(at, id.n);
  at = put(at, kTsKey);
  at = std::to_chars(at, at + 20, ts).ptr;
  return std::size_t(at - buf);
}

bool parse_peer_payload(std::string_view body, std::string_view& id, int64_t& ts) {
  if (body.substr(0, kIdKey.size()) != kIdKey) return false;
  body.remove_prefix(kIdKey.size());
  const std::size_t quote = body.find('"');
  if (quote == std::string_view::npos || quote > 40) return false;
  id = body.substr(0, quote);
  body.remove_prefix(quote);
  if (body.substr(0, kTsKey.size()) != kTsKey) return false;
  body.remove_prefix(kTsKey.size());
  auto r = std::from_chars(body.data(), body.data() + body.size(), ts);
  return r.ec == std::errc() && r.ptr != body.data();
}

}  // namespace chatd::loadgen
