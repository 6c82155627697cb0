// Strict unpadded base64url decoding worked out another way than src/auth/base64url.cc:
// characters are looked up in the alphabet string, and bits are gathered one character at
// a time into an accumulator instead of four at a time through a table. The rules are
// those of base64url.h (RFC 4648 §5, no '=', canonical last bits), checked in the order
// the header gives its statuses: padding, then foreign characters, then the length, then
// the caller's bound, then the unused bits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "auth/base64url.h"

namespace chatd::fuzz {

struct ReferenceDecoded {
  auth::Base64Status status = auth::Base64Status::ok;
  std::string bytes;  // ok only
};

// Decodes `text` as base64url.h says base64url_decode must into a buffer of `bound` bytes.
ReferenceDecoded reference_base64url_decode(std::string_view text, std::size_t bound);

// Unpadded base64url of `bytes`, 6 bits at a time (the last character's unused bits zero).
std::string reference_base64url_encode(std::string_view bytes);

std::string_view status_name(auth::Base64Status status);

}  // namespace chatd::fuzz
