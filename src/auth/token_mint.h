// Mints HS256 tokens: for tests, for loadgen (a token per simulated user), and as
// the reference scripts/token.sh is checked against. The server never mints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace chatd::auth {

// The header every minted token carries, byte for byte the one scripts/token.sh writes.
constexpr std::string_view kTokenHeaderJson = R"({"alg":"HS256","typ":"JWT"})";

// base64url(header).base64url(payload).base64url(HMAC-SHA256 of the first two), with
// the JSON texts taken as given (tests use it to sign deliberately odd headers).
// Fails when the key is under kMinSecretBytes or OpenSSL fails.
Result<std::string> sign_compact(std::string_view secret, std::string_view header_json,
                                 std::string_view payload_json);

// A token for `sub` that expires at `exp` (Unix seconds): payload {"sub":…,"exp":…}.
Result<std::string> mint_token(std::string_view secret, std::string_view sub, int64_t exp);

}  // namespace chatd::auth
