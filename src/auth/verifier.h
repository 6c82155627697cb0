// Verifies the HS256 JWT a `hello` carries when auth is on (docs/protocol.md
// "Authentication", docs/auth.md): compact form, header `alg` exactly "HS256",
// HMAC-SHA256 over the header.payload bytes as received compared in constant
// time, then the claims: `sub` equal to the user, `exp` required, `nbf` optional,
// 30 s of leeway for both.
//
// One Verifier per shard: it owns a pre-keyed MAC context, a JSON parser and a
// decode buffer, so a verification allocates nothing. Not thread-safe.
// Messages are static sentences: they never quote the token or the key.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "auth/hmac_sha256.h"
#include "common/result.h"

namespace chatd::auth {

constexpr int64_t kLeewaySeconds = 30;
// Checked before any work: a token is a few hundred bytes; 4 KiB leaves room for
// generous claims and bounds the decode buffer below.
constexpr std::size_t kMaxTokenBytes = 4096;

enum class TokenError : uint8_t {
  none,
  too_long,        // over kMaxTokenBytes
  malformed,       // not three segments, or a segment that is not strict base64url
  bad_header,      // header not a JSON object, typ not "JWT", crit present
  bad_alg,         // alg missing or anything but "HS256" (none, HS512, RS256, ...)
  bad_signature,   // not 32 bytes, or not the MAC of the header.payload bytes
  bad_claims,      // payload not an object; sub / exp / nbf missing, mistyped or repeated
  wrong_user,      // sub is not the user of the hello
  expired,         // exp <= now - kLeewaySeconds
  not_yet_valid,   // nbf > now + kLeewaySeconds
  internal,        // OpenSSL failed (out of memory): refused, never accepted
};

struct VerifyOutcome {
  TokenError error = TokenError::none;
  const char* message = "";  // static text for the `unauthorized` error's `msg`
  bool ok() const { return error == TokenError::none; }
};

class Verifier {
 public:
  // Refuses a key under kMinSecretBytes (secret_file.h) with the loader's message.
  static Result<Verifier> create(std::string_view secret, MacReuse reuse = MacReuse::reinit);

  // `now_seconds`: wall-clock Unix time (CLOCK_REALTIME), the clock `exp` speaks.
  VerifyOutcome verify(std::string_view token, std::string_view user, int64_t now_seconds);

 private:
  Verifier(HmacSha256 mac);

  // Decodes a header or payload segment and parses it as a JSON object.
  VerifyOutcome parse_object(std::string_view segment, simdjson::dom::object& out, TokenError error,
                             const char* not_object);
  VerifyOutcome check_header(std::string_view segment);
  VerifyOutcome check_signature(std::string_view signing_input, std::string_view segment);
  VerifyOutcome check_claims(std::string_view segment, std::string_view user, int64_t now);

  HmacSha256 mac_;
  simdjson::dom::parser json_;
  std::unique_ptr<uint8_t[]> decoded_;  // kMaxSegmentBytes + simdjson's padding
};

}  // namespace chatd::auth
