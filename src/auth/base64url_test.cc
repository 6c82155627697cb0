// base64url: the RFC 4648 vectors in the url-safe alphabet without padding, every
// way an input is refused, canonical trailing bits, the caller's bound, and round
// trips through the encoder for every 1- and 2-byte value and many lengths.
#include "auth/base64url.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace chatd::auth {
namespace {

using namespace std::literals;

struct Decoded {
  Base64Status status;
  std::string bytes;
};

// Decodes into a buffer of `capacity` bytes (default: room for anything).
Decoded decode(std::string_view in, std::size_t capacity = 256) {
  std::vector<uint8_t> out(capacity);
  Base64Decoded d = base64url_decode(in, out);
  return {d.status, std::string(reinterpret_cast<const char*>(out.data()), d.size)};
}

Base64Status status_of(std::string_view in) { return decode(in).status; }

// RFC 4648 §10, with the padding removed as §3.2 allows and JWS requires.
constexpr std::pair<std::string_view, std::string_view> kRfcVectors[] = {
    {"", ""},          {"f", "Zg"},          {"fo", "Zm8"},       {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

TEST(Base64Url, EncodesRfcVectors) {
  for (const auto& [plain, encoded] : kRfcVectors) EXPECT_EQ(base64url_encode(plain), encoded) << plain;
}

TEST(Base64Url, DecodesRfcVectors) {
  for (const auto& [plain, encoded] : kRfcVectors) {
    Decoded d = decode(encoded);
    EXPECT_EQ(d.status, Base64Status::ok) << encoded;
    EXPECT_EQ(d.bytes, plain) << encoded;
  }
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
  // 0xFB 0xFF is "+/8=" in the standard alphabet.
  EXPECT_EQ(base64url_encode("\xFB\xFF"sv), "-_8");
  EXPECT_EQ(decode("-_8").bytes, "\xFB\xFF"sv);
  // Every one of the 64 characters decodes to its index (4 characters -> 3 bytes).
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < 64; ++i) {
    const std::string group = std::string("AAA") + alphabet[i];
    Decoded d = decode(group);
    ASSERT_EQ(d.status, Base64Status::ok) << group;
    EXPECT_EQ(uint8_t(d.bytes[2]), i) << group;
  }
}

TEST(Base64Url, RefusesPaddingAnywhere) {
  for (std::string_view in : {"Zg=="sv, "Zm8="sv, "Zm9v===="sv, "="sv, "Zm=v"sv, "=m9v"sv})
    EXPECT_EQ(status_of(in), Base64Status::padding) << in;
}

TEST(Base64Url, RefusesEveryByteOutsideTheAlphabet) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int c = 0; c < 256; ++c) {
    if (alphabet.find(char(c)) != std::string::npos || c == '=') continue;
    // The bad byte in each position of a group, so no position is skipped.
    for (std::size_t pos = 0; pos < 4; ++pos) {
      std::string in = "AAAA";
      in[pos] = char(c);
      EXPECT_EQ(status_of(in), Base64Status::bad_character) << "byte " << c << " at " << pos;
    }
  }
  // The standard alphabet's two characters are not ours.
  EXPECT_EQ(status_of("+/8"), Base64Status::bad_character);
  EXPECT_EQ(status_of("Zm9v\n"), Base64Status::bad_character);
  EXPECT_EQ(status_of(" Zm9v"), Base64Status::bad_character);
}

TEST(Base64Url, RefusesALengthOfOneModFour) {
  for (std::string_view in : {"Z"sv, "Zm9vY"sv, "Zm9vYmFyZ"sv}) EXPECT_EQ(status_of(in), Base64Status::bad_length) << in;
}

TEST(Base64Url, RefusesNonZeroTrailingBits) {
  // "Zh" and "Zg" both carry 'f' in their top 8 bits; only "Zg" is the canonical spelling.
  EXPECT_EQ(status_of("Zh"), Base64Status::non_canonical);
  EXPECT_EQ(status_of("Zm9"), Base64Status::non_canonical);  // canonical: "Zm8"
  EXPECT_EQ(status_of("Zm9vZm9"), Base64Status::non_canonical);  // after a whole group too
}

TEST(Base64Url, OnlyTheCanonicalTailOfEveryValueIsAccepted) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // Two characters: 12 bits, the low 4 unused. Exactly 256 of the 4096 pairs decode.
  int accepted = 0;
  for (char a : alphabet) {
    for (char b : alphabet) {
      const std::string in{a, b};
      Decoded d = decode(in);
      const bool canonical = (alphabet.find(b) & 0x0F) == 0;
      EXPECT_EQ(d.status, canonical ? Base64Status::ok : Base64Status::non_canonical) << in;
      if (d.status == Base64Status::ok) {
        ++accepted;
        EXPECT_EQ(base64url_encode(d.bytes), in);
      }
    }
  }
  EXPECT_EQ(accepted, 256);
  // Three characters: 18 bits, the low 2 unused; one in four third characters is canonical.
  for (char c : alphabet) {
    const std::string in = std::string("Zm") + c;
    const bool canonical = (alphabet.find(c) & 0x03) == 0;
    EXPECT_EQ(status_of(in), canonical ? Base64Status::ok : Base64Status::non_canonical) << in;
  }
}

TEST(Base64Url, RespectsTheCallersBound) {
  EXPECT_EQ(decode("Zm9vYmFy", 6).status, Base64Status::ok);
  EXPECT_EQ(decode("Zm9vYmFy", 5).status, Base64Status::output_too_small);
  EXPECT_EQ(decode("Zm9vYmE", 5).status, Base64Status::ok);
  EXPECT_EQ(decode("Zm9vYmE", 4).status, Base64Status::output_too_small);
  EXPECT_EQ(decode("", 0).status, Base64Status::ok);

  // Nothing is written past the bound: the byte after it keeps its guard value.
  std::array<uint8_t, 4> buf{0, 0, 0, 0xAB};
  EXPECT_EQ(base64url_decode("Zm9vYg", std::span(buf.data(), 3)).status, Base64Status::output_too_small);
  EXPECT_EQ(buf[3], 0xAB);
}

TEST(Base64Url, SizesMatchTheEncoding) {
  for (std::size_t n = 0; n < 100; ++n) {
    const std::size_t encoded = base64url_encoded_size(n);
    EXPECT_EQ(base64url_encode(std::string(n, 'x')).size(), encoded) << n;
    EXPECT_EQ(base64url_decoded_size(encoded), n) << n;
  }
}

TEST(Base64Url, RoundTripsEveryOneAndTwoByteValue) {
  for (int a = 0; a < 256; ++a) {
    const std::string one{char(a)};
    ASSERT_EQ(decode(base64url_encode(one)).bytes, one) << a;
    for (int b = 0; b < 256; ++b) {
      const std::string two{char(a), char(b)};
      Decoded d = decode(base64url_encode(two));
      ASSERT_EQ(d.status, Base64Status::ok) << a << "," << b;
      ASSERT_EQ(d.bytes, two) << a << "," << b;
    }
  }
}

TEST(Base64Url, RoundTripsRandomBytesOfEveryLength) {
  std::mt19937 rng(1234);
  for (std::size_t n = 0; n <= 200; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = char(rng());
    const std::string encoded = base64url_encode(bytes);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    Decoded d = decode(encoded, n);  // exactly the room it needs
    ASSERT_EQ(d.status, Base64Status::ok) << n;
    EXPECT_EQ(d.bytes, bytes) << n;
  }
}

TEST(Base64Url, DescribesEveryStatusWithoutQuotingTheInput) {
  for (Base64Status s : {Base64Status::bad_length, Base64Status::bad_character, Base64Status::padding,
                         Base64Status::non_canonical, Base64Status::output_too_small}) {
    EXPECT_FALSE(describe(s).empty());
    EXPECT_NE(describe(s), describe(Base64Status::ok));
  }
}

}  // namespace
}  // namespace chatd::auth
