// What auth::Verifier::verify must answer for a token, worked out from the rules of
// docs/protocol.md "Authentication" and verifier.h, written plainly: the reference
// base64url decoder (base64url_reference.h), OpenSSL's one-shot HMAC() instead of the
// verifier's pre-keyed context, a DOM parse of a fresh padded copy of each segment, and
// the checks in the order verifier.h lists its errors (the header before the signature,
// the claims last; within a JSON object, the first offending field in document order).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/verifier.h"

namespace chatd::fuzz {

auth::TokenError expected_token_error(std::string_view token, std::string_view user, int64_t now,
                                      std::string_view key, simdjson::dom::parser& dom);

// HMAC-SHA256 of `data` under `key`, base64url without padding: the third segment a key
// holder writes for "header.payload" = `data`.
std::string reference_signature(std::string_view key, std::string_view data);

std::string_view error_name(auth::TokenError error);

}  // namespace chatd::fuzz
