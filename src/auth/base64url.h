// Base64url without padding (RFC 4648 §5), the encoding of every JWT segment.
//
// The decoder is strict on purpose: a token has exactly one spelling. It refuses
// `=` padding, any byte outside the url-safe alphabet (whitespace and the standard
// alphabet's `+` `/` included), a length of 1 mod 4 (no whole byte), and a last
// group whose unused low bits are not zero ("non-canonical": `QR` and `QQ` would
// otherwise both decode to "A"). It writes into a buffer the caller owns and
// bounds; it never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace chatd::auth {

enum class Base64Status : uint8_t {
  ok,
  bad_length,      // length % 4 == 1: the last character would carry no whole byte
  bad_character,   // a byte outside A-Z a-z 0-9 - _
  padding,         // '=' anywhere: JWT segments are unpadded
  non_canonical,   // the last group's unused low bits are not zero
  output_too_small,  // the decoded bytes would not fit the caller's buffer; nothing written
};

// A short sentence for an error message (never quotes the input).
std::string_view describe(Base64Status status);

struct Base64Decoded {
  Base64Status status = Base64Status::ok;
  std::size_t size = 0;  // bytes written to the output (0 unless ok)
  bool ok() const { return status == Base64Status::ok; }
};

// How many bytes `encoded_size` characters decode to (for a valid length).
constexpr std::size_t base64url_decoded_size(std::size_t encoded_size) {
  const std::size_t tail = encoded_size % 4;
  return encoded_size / 4 * 3 + (tail == 0 ? 0 : tail - 1);
}
constexpr std::size_t base64url_encoded_size(std::size_t byte_count) {
  return byte_count / 3 * 4 + (byte_count % 3 == 0 ? 0 : byte_count % 3 + 1);
}

// Decodes `in` into `out`. On any error, `out` is left unspecified and size is 0.
Base64Decoded base64url_decode(std::string_view in, std::span<uint8_t> out);

// Appends the unpadded base64url form of `bytes` to `out`.
void base64url_append(std::string& out, std::span<const uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);

}  // namespace chatd::auth
