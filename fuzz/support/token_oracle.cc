#include "support/token_oracle.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <limits>

#include "support/base64url_reference.h"

namespace chatd::fuzz {
namespace {

using auth::TokenError;
using simdjson::dom::element_type;

constexpr std::size_t kSignatureBytes = 32;  // HMAC-SHA256
// The verifier decodes a header or payload into a buffer sized for the longest segment
// a token under kMaxTokenBytes can hold, so no accepted segment ever exceeds it.
constexpr std::size_t kSegmentBound = auth::kMaxTokenBytes * 3 / 4;

std::string mac_bytes(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

// The segment decoded and parsed as a JSON object, or the error it earns.
TokenError decode_object(std::string_view segment, simdjson::dom::parser& dom, TokenError not_object,
                         simdjson::dom::object& out) {
  const ReferenceDecoded d = reference_base64url_decode(segment, kSegmentBound);
  if (d.status != auth::Base64Status::ok) return TokenError::malformed;
  const simdjson::padded_string json(d.bytes);
  simdjson::dom::element doc;
  if (dom.parse(json).get(doc) != simdjson::SUCCESS) return not_object;
  if (doc.get_object().get(out) != simdjson::SUCCESS) return not_object;
  return TokenError::none;
}

bool is_string(simdjson::dom::element v, std::string_view want) {
  std::string_view s;
  return v.get_string().get(s) == simdjson::SUCCESS && s == want;
}

TokenError header_error(std::string_view segment, simdjson::dom::parser& dom) {
  simdjson::dom::object header;
  if (TokenError e = decode_object(segment, dom, TokenError::bad_header, header); e != TokenError::none) return e;
  bool alg_seen = false;
  for (auto [key, value] : header) {
    if (key == "alg") {
      if (alg_seen || !is_string(value, "HS256")) return TokenError::bad_alg;
      alg_seen = true;
    } else if (key == "typ") {
      if (!is_string(value, "JWT")) return TokenError::bad_header;
    } else if (key == "crit") {
      return TokenError::bad_header;
    }
  }
  return alg_seen ? TokenError::none : TokenError::bad_alg;
}

TokenError signature_error(std::string_view signing_input, std::string_view segment, std::string_view key) {
  const ReferenceDecoded d = reference_base64url_decode(segment, kSignatureBytes);
  // Too long or too short for HS256 is a signature error; a spelling error is malformed.
  if (d.status == auth::Base64Status::output_too_small) return TokenError::bad_signature;
  if (d.status != auth::Base64Status::ok) return TokenError::malformed;
  if (d.bytes.size() != kSignatureBytes) return TokenError::bad_signature;
  return d.bytes == mac_bytes(key, signing_input) ? TokenError::none : TokenError::bad_signature;
}

// now ± leeway saturating at the int64 ends, as verifier.cc does (ClockExtremesDoNotOverflow).
int64_t saturated(int64_t now, int64_t delta) {
  const __int128 v = __int128(now) + delta;
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  return int64_t(v);
}

// A NumericDate: a JSON integer that fits int64 (no fraction, no exponent, no uint64).
bool seconds_of(simdjson::dom::element v, int64_t& out) {
  return v.type() == element_type::INT64 && v.get_int64().get(out) == simdjson::SUCCESS;
}

TokenError claims_error(std::string_view segment, std::string_view user, int64_t now, simdjson::dom::parser& dom) {
  simdjson::dom::object claims;
  if (TokenError e = decode_object(segment, dom, TokenError::bad_claims, claims); e != TokenError::none) return e;
  bool sub_seen = false, exp_seen = false, nbf_seen = false;
  std::string_view sub;
  int64_t exp = 0, nbf = 0;
  for (auto [key, value] : claims) {
    if (key == "sub") {
      if (sub_seen || value.get_string().get(sub) != simdjson::SUCCESS) return TokenError::bad_claims;
      sub_seen = true;
    } else if (key == "exp") {
      if (exp_seen || !seconds_of(value, exp)) return TokenError::bad_claims;
      exp_seen = true;
    } else if (key == "nbf") {
      if (nbf_seen || !seconds_of(value, nbf)) return TokenError::bad_claims;
      nbf_seen = true;
    }
  }
  if (!sub_seen || !exp_seen) return TokenError::bad_claims;
  if (sub != user) return TokenError::wrong_user;
  if (exp <= saturated(now, -auth::kLeewaySeconds)) return TokenError::expired;
  if (nbf_seen && nbf > saturated(now, auth::kLeewaySeconds)) return TokenError::not_yet_valid;
  return TokenError::none;
}

}  // namespace

std::string reference_signature(std::string_view key, std::string_view data) {
  return reference_base64url_encode(mac_bytes(key, data));
}

TokenError expected_token_error(std::string_view token, std::string_view user, int64_t now, std::string_view key,
                                simdjson::dom::parser& dom) {
  if (token.size() > auth::kMaxTokenBytes) return TokenError::too_long;
  std::size_t dots[2];
  std::size_t count = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '.') continue;
    if (count == 2) return TokenError::malformed;
    dots[count++] = i;
  }
  if (count != 2) return TokenError::malformed;
  const std::string_view header = token.substr(0, dots[0]);
  const std::string_view payload = token.substr(dots[0] + 1, dots[1] - dots[0] - 1);
  const std::string_view signature = token.substr(dots[1] + 1);
  if (TokenError e = header_error(header, dom); e != TokenError::none) return e;
  if (TokenError e = signature_error(token.substr(0, dots[1]), signature, key); e != TokenError::none) return e;
  return claims_error(payload, user, now, dom);
}

std::string_view error_name(TokenError error) {
  switch (error) {
    case TokenError::none: return "none";
    case TokenError::too_long: return "too_long";
    case TokenError::malformed: return "malformed";
    case TokenError::bad_header: return "bad_header";
    case TokenError::bad_alg: return "bad_alg";
    case TokenError::bad_signature: return "bad_signature";
    case TokenError::bad_claims: return "bad_claims";
    case TokenError::wrong_user: return "wrong_user";
    case TokenError::expired: return "expired";
    case TokenError::not_yet_valid: return "not_yet_valid";
    case TokenError::internal: return "internal";
  }
  return "?";
}

}  // namespace chatd::fuzz
