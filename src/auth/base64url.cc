#include "auth/base64url.h"

#include <array>

namespace chatd::auth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr uint8_t kInvalid = 0xFF;
constexpr uint8_t kPad = 0xFE;

// Character -> 6-bit value; kInvalid for bytes outside the alphabet, kPad for '='.
constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) t[uint8_t(kAlphabet[i])] = i;
  t[uint8_t('=')] = kPad;
  return t;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

// The whole input is classified first so that an error is reported the same way
// wherever it sits, and padding gets its own message.
Base64Status check_characters(std::string_view in) {
  uint8_t seen = 0;
  for (char c : in) seen |= kDecode[uint8_t(c)] & 0xC0;  // only kInvalid / kPad set the top bits
  if (seen == 0) return Base64Status::ok;
  for (char c : in) {
    if (kDecode[uint8_t(c)] == kPad) return Base64Status::padding;
  }
  return Base64Status::bad_character;
}

}  // namespace

std::string_view describe(Base64Status status) {
  switch (status) {
    case Base64Status::ok: return "ok";
    case Base64Status::bad_length: return "base64url length leaves a dangling character";
    case Base64Status::bad_character: return "a character outside the base64url alphabet";
    case Base64Status::padding: return "base64url padding '=' is not allowed";
    case Base64Status::non_canonical: return "base64url with non-zero trailing bits";
    case Base64Status::output_too_small: return "decoded data too long";
  }
  return "base64url error";
}

Base64Decoded base64url_decode(std::string_view in, std::span<uint8_t> out) {
  if (Base64Status s = check_characters(in); s != Base64Status::ok) return {s, 0};
  const std::size_t tail = in.size() % 4;
  if (tail == 1) return {Base64Status::bad_length, 0};
  const std::size_t size = base64url_decoded_size(in.size());
  if (size > out.size()) return {Base64Status::output_too_small, 0};

  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
  uint8_t* dst = out.data();
  const std::size_t whole = in.size() - tail;
  for (std::size_t i = 0; i < whole; i += 4, dst += 3) {
    const uint32_t v = uint32_t(kDecode[src[i]]) << 18 | uint32_t(kDecode[src[i + 1]]) << 12 |
                       uint32_t(kDecode[src[i + 2]]) << 6 | kDecode[src[i + 3]];
    dst[0] = uint8_t(v >> 16);
    dst[1] = uint8_t(v >> 8);
    dst[2] = uint8_t(v);
  }
  if (tail == 2) {
    // 12 bits carry 1 byte: the low 4 bits of the second character must be zero.
    const uint8_t a = kDecode[src[whole]], b = kDecode[src[whole + 1]];
    if (b & 0x0F) return {Base64Status::non_canonical, 0};
    dst[0] = uint8_t(a << 2 | b >> 4);
  } else if (tail == 3) {
    // 18 bits carry 2 bytes: the low 2 bits of the third character must be zero.
    const uint8_t a = kDecode[src[whole]], b = kDecode[src[whole + 1]], c = kDecode[src[whole + 2]];
    if (c & 0x03) return {Base64Status::non_canonical, 0};
    dst[0] = uint8_t(a << 2 | b >> 4);
    dst[1] = uint8_t(b << 4 | c >> 2);
  }
  return {Base64Status::ok, size};
}

void base64url_append(std::string& out, std::span<const uint8_t> bytes) {
  out.reserve(out.size() + base64url_encoded_size(bytes.size()));
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = uint32_t(bytes[i]) << 16 | uint32_t(bytes[i + 1]) << 8 | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t v = uint32_t(bytes[i]) << 16 | uint32_t(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  base64url_append(out, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  return out;
}

}  // namespace chatd::auth
