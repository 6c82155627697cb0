#include "auth/token_mint.h"

#include "auth/base64url.h"
#include "auth/hmac_sha256.h"
#include "auth/secret_file.h"
#include "proto/json_writer.h"

namespace chatd::auth {

Result<std::string> sign_compact(std::string_view secret, std::string_view header_json,
                                 std::string_view payload_json) {
  if (auto size_ok = check_secret_size(secret.size(), "the signing key"); !size_ok.ok()) return size_ok.error();
  auto mac = HmacSha256::create(secret);
  if (!mac.ok()) return mac.error();
  std::string token = base64url_encode(header_json);
  token += '.';
  token += base64url_encode(payload_json);
  HmacSha256::Digest signature{};
  if (!mac->compute(token, signature)) return Error{"OpenSSL failed to compute HMAC-SHA256"};
  token += '.';
  base64url_append(token, signature);
  return token;
}

Result<std::string> mint_token(std::string_view secret, std::string_view sub, int64_t exp) {
  std::string payload;
  proto::JsonWriter(payload).begin_object().field("sub", sub).field("exp", exp).end_object();
  return sign_compact(secret, kTokenHeaderJson, payload);
}

}  // namespace chatd::auth
