#include "auth/verifier.h"

#include <openssl/crypto.h>

#include <limits>
#include <new>

#include "auth/base64url.h"
#include "auth/secret_file.h"

namespace chatd::auth {
namespace {

// The largest decoded header or payload a token under kMaxTokenBytes can carry.
constexpr std::size_t kMaxSegmentBytes = base64url_decoded_size(kMaxTokenBytes);

constexpr VerifyOutcome fail(TokenError e, const char* message) { return {e, message}; }

// now - leeway and now + leeway without overflow, whatever `now` the caller passes.
int64_t minus_leeway(int64_t now) {
  return now < std::numeric_limits<int64_t>::min() + kLeewaySeconds ? std::numeric_limits<int64_t>::min()
                                                                     : now - kLeewaySeconds;
}
int64_t plus_leeway(int64_t now) {
  return now > std::numeric_limits<int64_t>::max() - kLeewaySeconds ? std::numeric_limits<int64_t>::max()
                                                                     : now + kLeewaySeconds;
}

// A NumericDate claim: integer seconds only (docs/auth.md says why not fractions).
bool get_seconds(simdjson::dom::element v, int64_t& out) {
  return v.type() == simdjson::dom::element_type::INT64 && v.get_int64().get(out) == simdjson::SUCCESS;
}

}  // namespace

Result<Verifier> Verifier::create(std::string_view secret, MacReuse reuse) {
  if (auto size_ok = check_secret_size(secret.size(), "the auth secret"); !size_ok.ok()) return size_ok.error();
  auto mac = HmacSha256::create(secret, reuse);
  if (!mac.ok()) return mac.error();
  return Verifier(std::move(*mac));
}

Verifier::Verifier(HmacSha256 mac)
    : mac_(std::move(mac)),
      json_(kMaxSegmentBytes),
      decoded_(new uint8_t[kMaxSegmentBytes + simdjson::SIMDJSON_PADDING]) {
  // Sized once for the largest segment: parsing never allocates afterwards.
  if (json_.allocate(kMaxSegmentBytes) != simdjson::SUCCESS) throw std::bad_alloc();
}

VerifyOutcome Verifier::verify(std::string_view token, std::string_view user, int64_t now_seconds) {
  if (token.size() > kMaxTokenBytes) return fail(TokenError::too_long, "token longer than 4096 bytes");
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return fail(TokenError::malformed, "token must be three base64url segments separated by '.'");

  const std::string_view header = token.substr(0, dot1);
  const std::string_view payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature = token.substr(dot2 + 1);
  // The header first, so a token for another algorithm gets a message that says so;
  // the payload is read only once the signature shows the key holder wrote it.
  if (VerifyOutcome h = check_header(header); !h.ok()) return h;
  if (VerifyOutcome s = check_signature(token.substr(0, dot2), signature); !s.ok()) return s;
  return check_claims(payload, user, now_seconds);
}

VerifyOutcome Verifier::parse_object(std::string_view segment, simdjson::dom::object& out, TokenError error,
                                     const char* not_object) {
  const Base64Decoded d = base64url_decode(segment, {decoded_.get(), kMaxSegmentBytes});
  if (!d.ok()) return fail(TokenError::malformed, "token segment is not strict base64url (unpadded, url-safe)");
  // The whole document is parsed (DOM, not On Demand), so it is valid JSON and
  // valid UTF-8 throughout, not only where we look.
  simdjson::dom::element doc;
  if (json_.parse(decoded_.get(), d.size, false).get(doc) != simdjson::SUCCESS) return fail(error, not_object);
  if (doc.get_object().get(out) != simdjson::SUCCESS) return fail(error, not_object);
  return {};
}

VerifyOutcome Verifier::check_header(std::string_view segment) {
  simdjson::dom::object header;
  if (VerifyOutcome o = parse_object(segment, header, TokenError::bad_header, "token header is not a JSON object");
      !o.ok())
    return o;
  bool has_alg = false;
  for (simdjson::dom::key_value_pair field : header) {
    if (field.key == "alg") {
      std::string_view alg;
      if (has_alg) return fail(TokenError::bad_alg, "token header alg appears twice");
      // Pinned: never chosen by the token (no "none", no downgrade, no RS/HS confusion).
      if (field.value.get_string().get(alg) != simdjson::SUCCESS || alg != "HS256")
        return fail(TokenError::bad_alg, "token alg must be HS256");
      has_alg = true;
    } else if (field.key == "typ") {
      std::string_view typ;
      if (field.value.get_string().get(typ) != simdjson::SUCCESS || typ != "JWT")
        return fail(TokenError::bad_header, "token typ, when present, must be \"JWT\"");
    } else if (field.key == "crit") {
      // RFC 7515 §4.1.11: extensions we do not implement must make the token invalid.
      return fail(TokenError::bad_header, "token header crit is not supported");
    }
    // kid and any other parameter: ignored (one key per server).
  }
  if (!has_alg) return fail(TokenError::bad_alg, "token header has no alg (must be HS256)");
  return {};
}

VerifyOutcome Verifier::check_signature(std::string_view signing_input, std::string_view segment) {
  HmacSha256::Digest sent{};
  const Base64Decoded d = base64url_decode(segment, sent);
  if (d.status == Base64Status::output_too_small || (d.ok() && d.size != sent.size()))
    return fail(TokenError::bad_signature, "token signature must be 32 bytes (HS256)");
  if (!d.ok()) return fail(TokenError::malformed, "token segment is not strict base64url (unpadded, url-safe)");
  HmacSha256::Digest expected{};
  if (!mac_.compute(signing_input, expected)) return fail(TokenError::internal, "token could not be checked");
  // Constant time: how many leading bytes matched must not show in the timing.
  if (CRYPTO_memcmp(expected.data(), sent.data(), sent.size()) != 0)
    return fail(TokenError::bad_signature, "token signature does not verify");
  return {};
}

VerifyOutcome Verifier::check_claims(std::string_view segment, std::string_view user, int64_t now) {
  simdjson::dom::object claims;
  if (VerifyOutcome o = parse_object(segment, claims, TokenError::bad_claims, "token payload is not a JSON object");
      !o.ok())
    return o;
  bool has_sub = false, has_exp = false, has_nbf = false;
  std::string_view sub;
  int64_t exp = 0, nbf = 0;
  for (simdjson::dom::key_value_pair field : claims) {
    // A repeated claim is refused rather than resolved: RFC 7519 §4 allows either.
    if (field.key == "sub") {
      if (has_sub) return fail(TokenError::bad_claims, "token claim sub appears twice");
      if (field.value.get_string().get(sub) != simdjson::SUCCESS)
        return fail(TokenError::bad_claims, "token sub must be a string");
      has_sub = true;
    } else if (field.key == "exp") {
      if (has_exp) return fail(TokenError::bad_claims, "token claim exp appears twice");
      if (!get_seconds(field.value, exp))
        return fail(TokenError::bad_claims, "token exp must be an integer number of seconds");
      has_exp = true;
    } else if (field.key == "nbf") {
      if (has_nbf) return fail(TokenError::bad_claims, "token claim nbf appears twice");
      if (!get_seconds(field.value, nbf))
        return fail(TokenError::bad_claims, "token nbf must be an integer number of seconds");
      has_nbf = true;
    }
  }
  if (!has_sub) return fail(TokenError::bad_claims, "token has no sub");
  if (!has_exp) return fail(TokenError::bad_claims, "token has no exp (required)");
  if (sub != user) return fail(TokenError::wrong_user, "token sub is not the user of this hello");
  if (exp <= minus_leeway(now)) return fail(TokenError::expired, "token expired");
  if (has_nbf && nbf > plus_leeway(now)) return fail(TokenError::not_yet_valid, "token not valid yet (nbf)");
  return {};
}

}  // namespace chatd::auth
