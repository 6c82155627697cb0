#include "ws/handshake.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "http/response.h"

namespace chatd::ws {
namespace {

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

http::Reply refusal(uint16_t status, std::string_view why, std::span<const http::Header> headers = {}) {
  http::Reply reply;
  reply.status = status;
  reply.close_after = true;
  reply.bytes = http::text_response(status, std::to_string(status) + " " + std::string(http::reason_phrase(status)) +
                                                ": " + std::string(why) + "\n",
                                    false, headers);
  return reply;
}

}  // namespace

std::string accept_key(std::string_view client_key) {
  std::string input(client_key);
  input += kHandshakeGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  // One-shot EVP digest: SHA-1 here is the RFC's fixed transform, not a security choice.
  if (EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr) != 1) return {};
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> encoded{};
  const int n = EVP_EncodeBlock(encoded.data(), digest, int(digest_len));
  return std::string(reinterpret_cast<const char*>(encoded.data()), std::size_t(n));
}

bool is_valid_client_key(std::string_view key) {
  return key.size() == 24 && key.substr(22) == "==" &&
         std::all_of(key.begin(), key.begin() + 22, is_base64_char);
}

http::Reply accept_handshake(const http::RequestHead& head) {
  if (head.version != http::Version::http11) return refusal(400, "WebSocket needs HTTP/1.1");
  if (!head.upgrade_websocket) return refusal(400, "Upgrade must name websocket");
  if (!head.connection_upgrade) return refusal(400, "Connection must include Upgrade");
  if (!head.has_ws_version || head.ws_version != "13") {
    const std::array<http::Header, 1> version = {{{"Sec-WebSocket-Version", "13"}}};
    return refusal(426, "only WebSocket version 13 is spoken", version);
  }
  if (!head.has_ws_key || !is_valid_client_key(head.ws_key)) {
    return refusal(400, "Sec-WebSocket-Key must be base64 of 16 bytes");
  }
  const std::string accept = accept_key(head.ws_key);
  if (accept.empty()) return refusal(500, "SHA-1 unavailable");
  const std::array<http::Header, 2> headers = {{{"Upgrade", "websocket"}, {"Sec-WebSocket-Accept", accept}}};
  http::Reply reply;
  reply.status = 101;
  http::Response switching;
  switching.status = 101;
  switching.headers = headers;
  switching.upgrade = true;
  http::append_response(switching, reply.bytes);
  return reply;
}

}  // namespace chatd::ws
