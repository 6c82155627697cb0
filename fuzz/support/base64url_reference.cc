#include "support/base64url_reference.h"

#include <cstdint>

namespace chatd::fuzz {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string_view status_name(auth::Base64Status status) {
  switch (status) {
    case auth::Base64Status::ok: return "ok";
    case auth::Base64Status::bad_length: return "bad_length";
    case auth::Base64Status::bad_character: return "bad_character";
    case auth::Base64Status::padding: return "padding";
    case auth::Base64Status::non_canonical: return "non_canonical";
    case auth::Base64Status::output_too_small: return "output_too_small";
  }
  return "?";
}

std::string reference_base64url_encode(std::string_view bytes) {
  std::string out;
  uint32_t bits = 0;
  int held = 0;
  for (unsigned char b : bytes) {
    bits = (bits << 8) | b;
    held += 8;
    while (held >= 6) {
      held -= 6;
      out += kAlphabet[(bits >> held) & 63];
    }
    bits &= (1u << held) - 1;
  }
  if (held > 0) out += kAlphabet[(bits << (6 - held)) & 63];
  return out;
}

ReferenceDecoded reference_base64url_decode(std::string_view text, std::size_t bound) {
  using auth::Base64Status;
  if (text.find('=') != std::string_view::npos) return {Base64Status::padding, {}};
  for (char c : text) {
    if (kAlphabet.find(c) == std::string_view::npos) return {Base64Status::bad_character, {}};
  }
  // Every character brings 6 bits; a byte is whole once 8 have gathered. One character
  // alone at the end (6 bits) makes no byte.
  if (text.size() % 4 == 1) return {Base64Status::bad_length, {}};
  if (text.size() * 6 / 8 > bound) return {Base64Status::output_too_small, {}};
  ReferenceDecoded out;
  uint32_t bits = 0;
  int held = 0;
  for (char c : text) {
    bits = (bits << 6) | uint32_t(kAlphabet.find(c));
    held += 6;
    if (held >= 8) {
      held -= 8;
      out.bytes += char((bits >> held) & 0xFF);
    }
    bits &= (1u << held) - 1;  // keep only the bits not yet in a byte
  }
  // What is left over (0, 2 or 4 bits) fills no byte; canonical text leaves it zero.
  if (bits != 0) return {Base64Status::non_canonical, {}};
  return out;
}

}  // namespace chatd::fuzz
