// The HS256 verifier: a minted token verifies, and each way a token can be wrong
// is refused with its own TokenError and a message that never quotes the token.
// Tokens with odd headers or payloads are signed with the real key, so each test
// shows the check it names refuses them, not the signature.
#include "auth/verifier.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "auth/base64url.h"
#include "auth/hmac_sha256.h"
#include "auth/token_mint.h"

namespace chatd::auth {
namespace {

using namespace std::literals;

const std::string kKey = "test-key-0123456789-0123456789-0123456789";
constexpr int64_t kNow = 1'700'000'000;

std::string mint(std::string_view sub, int64_t exp, std::string_view key = kKey) {
  auto t = mint_token(key, sub, exp);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? *t : std::string();
}

std::string sign(std::string_view header_json, std::string_view payload_json) {
  auto t = sign_compact(kKey, header_json, payload_json);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? *t : std::string();
}

// Signs segments as given (possibly not canonical base64url), as a key holder could.
std::string sign_segments(std::string_view header_segment, std::string_view payload_segment) {
  std::string token = std::string(header_segment) + "." + std::string(payload_segment);
  auto mac = HmacSha256::create(kKey);
  HmacSha256::Digest d{};
  EXPECT_TRUE(mac.ok() && mac->compute(token, d));
  token += '.';
  base64url_append(token, d);
  return token;
}

std::string payload_for(std::string_view sub, int64_t exp) {
  return R"({"sub":")" + std::string(sub) + R"(","exp":)" + std::to_string(exp) + "}";
}

// One segment of a token (0 header, 1 payload, 2 signature).
std::string_view segment(std::string_view token, int i) {
  for (; i > 0; --i) token.remove_prefix(token.find('.') + 1);
  return token.substr(0, token.find('.'));
}

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : verifier_(make()) {}
  static Verifier make() {
    auto v = Verifier::create(kKey);
    if (!v.ok()) throw std::runtime_error(v.error().message);
    return std::move(*v);
  }
  // The error of verifying `token` for alice at kNow; also checks the message.
  TokenError error_of(std::string_view token, std::string_view user = "alice", int64_t now = kNow) {
    VerifyOutcome o = verifier_.verify(token, user, now);
    if (!o.ok()) {
      const std::string_view msg = o.message;
      EXPECT_FALSE(msg.empty());
      for (int i = 0; i < 3; ++i) {
        const std::string_view part = segment(token, i);
        if (part.size() >= 4) {
          EXPECT_EQ(msg.find(part), std::string_view::npos) << "message quotes the token: " << msg;
        }
      }
    }
    return o.error;
  }

  Verifier verifier_;
};

// ---- accepted ----

TEST_F(VerifierTest, AcceptsAMintedToken) {
  EXPECT_EQ(error_of(mint("alice", kNow + 3600)), TokenError::none);
}

TEST_F(VerifierTest, AcceptsManyTokensInARow) {
  // The MAC context and parser are reused: each verification starts afresh.
  for (int i = 0; i < 100; ++i) {
    const std::string user = "user" + std::to_string(i);
    ASSERT_EQ(error_of(mint(user, kNow + i + 1), user), TokenError::none) << i;
    ASSERT_EQ(error_of(mint(user, kNow + 60, "another-key-0123456789-0123456789"), user), TokenError::bad_signature);
  }
}

TEST_F(VerifierTest, EveryWayOfReusingTheMacContextAgrees) {
  for (MacReuse reuse : {MacReuse::reinit, MacReuse::dup, MacReuse::rekey}) {
    auto v = Verifier::create(kKey, reuse);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->verify(mint("alice", kNow + 60), "alice", kNow).ok());
    EXPECT_EQ(v->verify(mint("alice", kNow + 60, kKey + "x"), "alice", kNow).error, TokenError::bad_signature);
  }
}

TEST_F(VerifierTest, VerifiesTheBytesAsReceivedNotAReEncoding) {
  // Spacing and key order that no re-encoder would reproduce.
  EXPECT_EQ(error_of(sign(R"( { "typ" : "JWT",  "alg":"HS256" } )", " {\"exp\": 1700003600 ,\n\"sub\":\"alice\"}")),
            TokenError::none);
}

TEST_F(VerifierTest, IgnoresKidAndUnknownParametersAndClaims) {
  EXPECT_EQ(error_of(sign(R"({"alg":"HS256","kid":"2024-01","x":[1,{"y":null}]})",
                          R"({"sub":"alice","exp":1700003600,"iat":1699999999,"iss":"me","extra":{"a":[]}})")),
            TokenError::none);
  EXPECT_EQ(error_of(sign(R"({"alg":"HS256"})", payload_for("alice", kNow + 1))), TokenError::none);  // no typ
}

TEST_F(VerifierTest, ComparesSubAfterJsonUnescaping) {
  EXPECT_EQ(error_of(sign(kTokenHeaderJson, R"({"sub":"al\u0069ce","exp":1700003600})")), TokenError::none);
}

TEST_F(VerifierTest, AcceptsATokenOfExactlyTheMaximumLength) {
  // Grow an ignored claim until the token is exactly kMaxTokenBytes long.
  std::string token;
  for (std::size_t pad = 0; token.size() < kMaxTokenBytes; ++pad) {
    token = sign(kTokenHeaderJson,
                 R"({"sub":"alice","exp":1700003600,"pad":")" + std::string(pad, 'p') + "\"}");
  }
  if (token.size() > kMaxTokenBytes) GTEST_SKIP() << "no padding hits the bound exactly";
  EXPECT_EQ(error_of(token), TokenError::none);
  EXPECT_EQ(error_of(token + "A"), TokenError::too_long);
}

// ---- alg and header ----

TEST_F(VerifierTest, RefusesEveryAlgButHs256) {
  for (std::string_view alg : {"HS512"sv, "HS384"sv, "RS256"sv, "ES256"sv, "none"sv, "hs256"sv, "HS256 "sv, ""sv}) {
    const std::string header = R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})";
    EXPECT_EQ(error_of(sign(header, payload_for("alice", kNow + 60))), TokenError::bad_alg) << alg;
  }
  EXPECT_EQ(error_of(sign(R"({"alg":256})", payload_for("alice", kNow + 60))), TokenError::bad_alg);
  EXPECT_EQ(error_of(sign(R"({"alg":null})", payload_for("alice", kNow + 60))), TokenError::bad_alg);
  EXPECT_EQ(error_of(sign(R"({"alg":"HS256","alg":"none"})", payload_for("alice", kNow + 60))), TokenError::bad_alg);
  // Repeated, even with the same value: one spelling per header.
  EXPECT_EQ(error_of(sign(R"({"alg":"HS256","alg":"HS256"})", payload_for("alice", kNow + 60))), TokenError::bad_alg);
}

TEST_F(VerifierTest, RefusesAnUnsignedAlgNoneToken) {
  // The classic forgery: alg none and an empty signature, with no key at all.
  const std::string token = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                            base64url_encode(payload_for("alice", kNow + 60)) + ".";
  EXPECT_EQ(error_of(token), TokenError::bad_alg);
}

TEST_F(VerifierTest, RefusesAHeaderWithoutAlg) {
  EXPECT_EQ(error_of(sign(R"({"typ":"JWT"})", payload_for("alice", kNow + 60))), TokenError::bad_alg);
  EXPECT_EQ(error_of(sign("{}", payload_for("alice", kNow + 60))), TokenError::bad_alg);
}

TEST_F(VerifierTest, RefusesATypOtherThanJwt) {
  for (std::string_view typ : {R"("JWS")"sv, R"("jwt")"sv, R"("at+jwt")"sv, "1"sv, "null"sv}) {
    const std::string header = R"({"alg":"HS256","typ":)" + std::string(typ) + "}";
    EXPECT_EQ(error_of(sign(header, payload_for("alice", kNow + 60))), TokenError::bad_header) << typ;
  }
}

TEST_F(VerifierTest, RefusesCriticalExtensions) {
  EXPECT_EQ(error_of(sign(R"({"alg":"HS256","b64":false,"crit":["b64"]})", payload_for("alice", kNow + 60))),
            TokenError::bad_header);
}

TEST_F(VerifierTest, RefusesAHeaderThatIsNotAJsonObject) {
  for (std::string_view header : {"[]"sv, R"("HS256")"sv, "null"sv, "{"sv, R"({"alg":"HS256"} x)"sv, ""sv,
                                  "{\"alg\":\"HS256\",\"k\":\"\xff\"}"sv}) {
    EXPECT_EQ(error_of(sign(header, payload_for("alice", kNow + 60))), TokenError::bad_header) << header;
  }
}

// ---- signature ----

TEST_F(VerifierTest, RefusesATamperedPayload) {
  // alice's signature on mallory's claims.
  const std::string alice = mint("alice", kNow + 60);
  const std::string forged = std::string(segment(alice, 0)) + "." +
                             base64url_encode(payload_for("mallory", kNow + 60)) + "." +
                             std::string(segment(alice, 2));
  EXPECT_EQ(error_of(forged, "mallory"), TokenError::bad_signature);
  // A later exp under the old signature.
  const std::string extended = std::string(segment(alice, 0)) + "." +
                               base64url_encode(payload_for("alice", kNow + 999999)) + "." +
                               std::string(segment(alice, 2));
  EXPECT_EQ(error_of(extended), TokenError::bad_signature);
}

TEST_F(VerifierTest, RefusesATamperedSignature) {
  const std::string token = mint("alice", kNow + 60);
  const std::size_t sig = token.rfind('.') + 1;
  // Every position but the last (whose low bits are unused) changes the bytes.
  for (std::size_t i = sig; i + 1 < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    ASSERT_EQ(error_of(bad), TokenError::bad_signature) << i;
  }
}

TEST_F(VerifierTest, RefusesASignatureUnderAnotherKey) {
  EXPECT_EQ(error_of(mint("alice", kNow + 60, "a-different-key-of-32-bytes-or-more")), TokenError::bad_signature);
}

TEST_F(VerifierTest, RefusesASignatureOfAnyLengthButThirtyTwoBytes) {
  const std::string token = mint("alice", kNow + 60);
  const std::string head = token.substr(0, token.rfind('.') + 1);
  EXPECT_EQ(error_of(head), TokenError::bad_signature);  // empty
  EXPECT_EQ(error_of(head + base64url_encode(std::string(31, 'x'))), TokenError::bad_signature);
  EXPECT_EQ(error_of(head + base64url_encode(std::string(33, 'x'))), TokenError::bad_signature);
  EXPECT_EQ(error_of(head + base64url_encode(std::string(64, 'x'))), TokenError::bad_signature);  // HS512-sized
}

// ---- claims ----

TEST_F(VerifierTest, RefusesATokenForSomeoneElse) {
  const std::string token = mint("alice", kNow + 60);
  EXPECT_EQ(error_of(token, "bob"), TokenError::wrong_user);
  EXPECT_EQ(error_of(token, "Alice"), TokenError::wrong_user);  // names are case-sensitive
  EXPECT_EQ(error_of(token, "alice2"), TokenError::wrong_user);
  EXPECT_EQ(error_of(token, "alic"), TokenError::wrong_user);
}

TEST_F(VerifierTest, ExpiryHasThirtySecondsOfLeeway) {
  EXPECT_EQ(error_of(mint("alice", kNow + 1)), TokenError::none);
  EXPECT_EQ(error_of(mint("alice", kNow)), TokenError::none);        // just expired, within leeway
  EXPECT_EQ(error_of(mint("alice", kNow - 29)), TokenError::none);   // the last accepted second
  EXPECT_EQ(error_of(mint("alice", kNow - 30)), TokenError::expired);
  EXPECT_EQ(error_of(mint("alice", kNow - 3600)), TokenError::expired);
  EXPECT_EQ(error_of(mint("alice", 0)), TokenError::expired);
  EXPECT_EQ(error_of(mint("alice", -5)), TokenError::expired);
}

TEST_F(VerifierTest, NotBeforeHasThirtySecondsOfLeeway) {
  auto with_nbf = [](int64_t nbf) {
    return sign(kTokenHeaderJson,
                R"({"sub":"alice","exp":1700003600,"nbf":)" + std::to_string(nbf) + "}");
  };
  EXPECT_EQ(error_of(with_nbf(kNow - 3600)), TokenError::none);
  EXPECT_EQ(error_of(with_nbf(kNow)), TokenError::none);
  EXPECT_EQ(error_of(with_nbf(kNow + 30)), TokenError::none);  // the clock skew we allow
  EXPECT_EQ(error_of(with_nbf(kNow + 31)), TokenError::not_yet_valid);
  EXPECT_EQ(error_of(with_nbf(kNow + 3600)), TokenError::not_yet_valid);
}

TEST_F(VerifierTest, ClockExtremesDoNotOverflow) {
  const std::string token = mint("alice", INT64_MAX);
  EXPECT_EQ(error_of(token, "alice", INT64_MAX), TokenError::none);
  EXPECT_EQ(error_of(token, "alice", INT64_MIN), TokenError::none);
  EXPECT_EQ(error_of(mint("alice", INT64_MIN), "alice", INT64_MIN), TokenError::expired);
}

TEST_F(VerifierTest, RequiresExpAsAnIntegerNumberOfSeconds) {
  EXPECT_EQ(error_of(sign(kTokenHeaderJson, R"({"sub":"alice"})")), TokenError::bad_claims);
  for (std::string_view exp : {R"("1700003600")"sv, "1700003600.0"sv, "1.7000036e9"sv, "18446744073709551615"sv,
                               "null"sv, "true"sv, "[1700003600]"sv}) {
    const std::string payload = R"({"sub":"alice","exp":)" + std::string(exp) + "}";
    EXPECT_EQ(error_of(sign(kTokenHeaderJson, payload)), TokenError::bad_claims) << exp;
  }
}

TEST_F(VerifierTest, RequiresNbfWhenPresentAsAnIntegerNumberOfSeconds) {
  for (std::string_view nbf : {"1699999999.5"sv, R"("0")"sv, "null"sv}) {
    const std::string payload = R"({"sub":"alice","exp":1700003600,"nbf":)" + std::string(nbf) + "}";
    EXPECT_EQ(error_of(sign(kTokenHeaderJson, payload)), TokenError::bad_claims) << nbf;
  }
}

TEST_F(VerifierTest, RequiresSubAsAString) {
  EXPECT_EQ(error_of(sign(kTokenHeaderJson, R"({"exp":1700003600})")), TokenError::bad_claims);
  for (std::string_view sub : {"42"sv, "null"sv, R"(["alice"])"sv, R"({"name":"alice"})"sv, "true"sv}) {
    const std::string payload = R"({"sub":)" + std::string(sub) + R"(,"exp":1700003600})";
    EXPECT_EQ(error_of(sign(kTokenHeaderJson, payload)), TokenError::bad_claims) << sub;
  }
}

TEST_F(VerifierTest, RefusesRepeatedClaims) {
  EXPECT_EQ(error_of(sign(kTokenHeaderJson, R"({"sub":"mallory","sub":"alice","exp":1700003600})")),
            TokenError::bad_claims);
  EXPECT_EQ(error_of(sign(kTokenHeaderJson, R"({"sub":"alice","exp":1,"exp":1700003600})")), TokenError::bad_claims);
  EXPECT_EQ(error_of(sign(kTokenHeaderJson, R"({"sub":"alice","exp":1700003600,"nbf":1,"nbf":2})")),
            TokenError::bad_claims);
}

TEST_F(VerifierTest, RefusesAPayloadThatIsNotAJsonObject) {
  for (std::string_view payload : {"[]"sv, R"("alice")"sv, "null"sv, "1700003600"sv, ""sv, R"({"sub":"alice")"sv,
                                   "{\"sub\":\"alice\xc3\",\"exp\":1700003600}"sv}) {
    EXPECT_EQ(error_of(sign(kTokenHeaderJson, payload)), TokenError::bad_claims) << payload;
  }
}

// ---- shape and encoding ----

TEST_F(VerifierTest, RefusesAnythingButThreeSegments) {
  const std::string token = mint("alice", kNow + 60);
  const std::string two = token.substr(0, token.rfind('.'));
  EXPECT_EQ(error_of(two), TokenError::malformed);
  EXPECT_EQ(error_of(token + "." + std::string(segment(token, 2))), TokenError::malformed);  // four
  EXPECT_EQ(error_of(token + "."), TokenError::malformed);
  EXPECT_EQ(error_of(std::string(segment(token, 0))), TokenError::malformed);  // one
  EXPECT_EQ(error_of(""), TokenError::malformed);
  EXPECT_EQ(error_of(".."), TokenError::bad_header);  // three empty segments: an empty header
  EXPECT_EQ(error_of("..."), TokenError::malformed);
}

TEST_F(VerifierTest, RefusesPaddedSegments) {
  // 16-byte header and 32-byte payload: both have a partial last group, so padding applies.
  const std::string header = R"({"alg":"HS256"} )";
  const std::string payload = R"({"sub":"alice","exp":1700003600})";
  ASSERT_NE(header.size() % 3, 0u);
  ASSERT_NE(payload.size() % 3, 0u);
  const std::string h = base64url_encode(header), p = base64url_encode(payload);
  const std::string h_pad = h + std::string((4 - h.size() % 4) % 4, '=');
  const std::string p_pad = p + std::string((4 - p.size() % 4) % 4, '=');
  ASSERT_EQ(error_of(sign_segments(h, p)), TokenError::none);
  EXPECT_EQ(error_of(sign_segments(h_pad, p)), TokenError::malformed);
  EXPECT_EQ(error_of(sign_segments(h, p_pad)), TokenError::malformed);
  const std::string token = sign_segments(h, p);
  EXPECT_EQ(error_of(token + "="), TokenError::malformed);  // 43 characters of signature, padded to 44
}

TEST_F(VerifierTest, RefusesNonCanonicalBase64EvenWhenSigned) {
  // The same bytes spelled with non-zero unused bits: signed by the key holder, and
  // still refused, so every token has exactly one accepted spelling.
  const std::string header = R"({"alg":"HS256"} )";  // 16 bytes: 22 characters, 4 unused bits
  const std::string h = base64url_encode(header);
  std::string h_odd = h;
  h_odd.back() = char(h_odd.back() + 1);  // 'Q'..'w' -> next letter: same top bits, unused bits set
  ASSERT_EQ(error_of(sign_segments(h, base64url_encode(payload_for("alice", kNow + 60)))), TokenError::none);
  EXPECT_EQ(error_of(sign_segments(h_odd, base64url_encode(payload_for("alice", kNow + 60)))), TokenError::malformed);

  // The signature's last character carries 2 unused bits.
  std::string token = mint("alice", kNow + 60);
  token.back() = token.back() == 'A' ? 'B' : char(token.back() + 1);
  EXPECT_EQ(error_of(token), TokenError::malformed);
}

TEST_F(VerifierTest, RefusesCharactersOutsideTheUrlSafeAlphabet) {
  const std::string token = mint("alice", kNow + 60);
  for (char c : {'+', '/', ' ', '\n', '\0', '*'}) {
    std::string bad = token;
    bad[3] = c;  // inside the header
    EXPECT_EQ(error_of(bad), TokenError::malformed) << int(c);
  }
}

TEST_F(VerifierTest, RefusesAHugeTokenBeforeAnyWork) {
  // Not even a token: the length alone refuses it.
  EXPECT_EQ(error_of(std::string(kMaxTokenBytes + 1, '.')), TokenError::too_long);
  EXPECT_EQ(error_of(std::string(1 << 20, 'A')), TokenError::too_long);
}

// ---- the key ----

TEST(VerifierCreate, RefusesAShortKey) {
  auto v = Verifier::create(std::string(31, 'k'));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("at least 32"), std::string::npos) << v.error().message;
  EXPECT_TRUE(Verifier::create(std::string(32, 'k')).ok());
}

TEST(MintToken, RefusesAShortKey) { EXPECT_FALSE(mint_token(std::string(31, 'k'), "alice", 1).ok()); }

}  // namespace
}  // namespace chatd::auth
