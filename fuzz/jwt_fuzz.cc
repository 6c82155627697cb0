// Fuzz target: src/auth — the strict base64url decoder (base64url.h) and the HS256 JWT
// verifier (verifier.h), as a `hello` with a token reaches them.
//
// Each input is used five ways (docs/fuzzing.md):
//   1. as base64url text: decoded into a block of exactly the size it decodes to, and into
//      one of a size drawn from the input (guard-filled, so a write past the bound is an
//      ASAN report and a write after the decoded bytes is seen); the status and bytes
//      equal a reference decoder's (support/base64url_reference.h), and whatever decodes
//      re-encodes to the same text (a strict decoder has one spelling per value);
//   2. as bytes: decode(encode(x)) == x, the encoding equals the reference encoder's;
//   3. as a token, verified as it is: the verdict equals a reference verifier's
//      (support/token_oracle.h), which knows the key, so a forgery that the verifier took
//      would show as a difference; every refusal has a message;
//   4. as a token whose first two segments are kept as received and signed with the key
//      (so the fuzzer's headers and claims get past the signature), verified by three
//      verifiers, one per MacReuse mode: all equal the reference;
//   5. as a header and payload JSON text (split at the first '\n'; no '\n': the minted
//      header and the input as the payload), signed with the key: equal to the reference.
// Then a token minted with mint_token for a sub, exp and clock drawn from the input is
// accepted exactly when exp is within the leeway (sub valid UTF-8, the writer's
// precondition; a sub that is not is refused), refused for another user, and refused once
// any one byte of it is changed.
#include <fuzzer/FuzzedDataProvider.h>
#include <simdjson.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "auth/base64url.h"
#include "auth/token_mint.h"
#include "auth/verifier.h"
#include "support/base64url_reference.h"
#include "support/check.h"
#include "support/token_oracle.h"

namespace chatd::fuzz {
namespace {

using auth::TokenError;

// The unit tests' key and clock (src/auth/verifier_test.cc), so their tokens, taken as
// seeds, verify as they are and their exp/nbf sit around the clock.
const std::string kKey = "test-key-0123456789-0123456789-0123456789";
constexpr int64_t kNow = 1'700'000'000;
constexpr std::string_view kUser = "alice";
constexpr uint8_t kGuard = 0xA5;

simdjson::dom::parser& dom_parser() {
  static simdjson::dom::parser parser;
  return parser;
}

// One verifier per way of restarting the MAC (hmac_sha256.h); they live as long as the
// process, as a shard's does, so state left by one verification would show in the next.
auth::Verifier& verifier(auth::MacReuse reuse) {
  static std::array<auth::Verifier*, 3> made{};
  auth::Verifier*& v = made[static_cast<std::size_t>(reuse)];
  if (v == nullptr) {
    auto created = auth::Verifier::create(kKey, reuse);
    FUZZ_CHECK(created.ok(), "cannot create the verifier: " + created.error().message);
    v = new auth::Verifier(std::move(*created));
  }
  return *v;
}

void check_decode_into(std::string_view text, std::size_t capacity) {
  // A block of exactly `capacity` bytes: a write past it is a heap overflow for ASAN.
  const std::unique_ptr<uint8_t[]> block(new uint8_t[capacity]);
  std::memset(block.get(), kGuard, capacity);
  const auth::Base64Decoded got = auth::base64url_decode(text, {block.get(), capacity});
  const ReferenceDecoded want = reference_base64url_decode(text, capacity);
  const auto context = [&] { return "text \"" + printable(text) + "\" into " + std::to_string(capacity) + " bytes"; };
  FUZZ_CHECK(got.status == want.status, context() + ": " + std::string(status_name(got.status)) +
                                            ", reference: " + std::string(status_name(want.status)));
  if (!got.ok()) {
    FUZZ_CHECK(got.size == 0, context() + ": an error with size " + std::to_string(got.size));
    FUZZ_CHECK(!auth::describe(got.status).empty(), context() + ": no description");
  }
  std::size_t untouched_from = got.size;
  if (got.status == auth::Base64Status::output_too_small) untouched_from = 0;  // "nothing written"
  if (got.ok()) {
    const std::string_view bytes(reinterpret_cast<const char*>(block.get()), got.size);
    FUZZ_CHECK(bytes == want.bytes,
               context() + ": decoded \"" + printable(bytes) + "\", reference \"" + printable(want.bytes) + "\"");
    const std::string again = auth::base64url_encode(bytes);
    FUZZ_CHECK(again == text, context() + ": decoded bytes re-encode to \"" + printable(again) + "\"");
  }
  if (got.ok() || got.status == auth::Base64Status::output_too_small) {
    for (std::size_t i = untouched_from; i < capacity; ++i) {
      FUZZ_CHECK(block[i] == kGuard, context() + ": byte " + std::to_string(i) + " written, status " +
                                         std::string(status_name(got.status)));
    }
  }
}

void check_decoder(std::string_view text, FuzzedDataProvider& plan) {
  const std::size_t exact = auth::base64url_decoded_size(text.size());
  check_decode_into(text, exact);
  const std::size_t low = exact > 4 ? exact - 4 : 0;
  check_decode_into(text, plan.ConsumeIntegralInRange<std::size_t>(low, exact + 4));
}

void check_round_trip(std::string_view bytes) {
  const std::string encoded = auth::base64url_encode(bytes);
  FUZZ_CHECK(encoded == reference_base64url_encode(bytes),
             "bytes \"" + printable(bytes) + "\" encode to \"" + encoded + "\"");
  FUZZ_CHECK(encoded.size() == auth::base64url_encoded_size(bytes.size()), "encoded size off for " +
                                                                                std::to_string(bytes.size()));
  const std::unique_ptr<uint8_t[]> block(new uint8_t[bytes.size()]);
  const auth::Base64Decoded d = auth::base64url_decode(encoded, {block.get(), bytes.size()});
  FUZZ_CHECK(d.ok() && d.size == bytes.size() && std::memcmp(block.get(), bytes.data(), bytes.size()) == 0,
             "\"" + encoded + "\" does not decode back to \"" + printable(bytes) + "\"");
  std::string appended = "prefix.";
  auth::base64url_append(appended, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  FUZZ_CHECK(appended == "prefix." + encoded, "base64url_append changed what was already there");
}

// Verifies and compares with the reference; returns the verdict.
auth::VerifyOutcome check_verdict(const char* way, std::string_view token, std::string_view user, int64_t now,
                                  auth::Verifier& v) {
  // The token in a block of exactly its size: a read past it is an ASAN report.
  const std::unique_ptr<char[]> block(new char[token.size()]);
  if (!token.empty()) std::memcpy(block.get(), token.data(), token.size());
  const auth::VerifyOutcome got = v.verify({block.get(), token.size()}, user, now);
  const TokenError want = expected_token_error(token, user, now, kKey, dom_parser());
  const auto context = [&] {
    return std::string(way) + ": token \"" + printable(token) + "\" user \"" + printable(user) + "\" now " +
           std::to_string(now);
  };
  FUZZ_CHECK(got.error == want, context() + ": " + std::string(error_name(got.error)) + " (" + got.message +
                                    "), reference: " + std::string(error_name(want)));
  // (Messages are static sentences, so none can quote the token; the unit tests say so.)
  FUZZ_CHECK(got.ok() || (got.message != nullptr && got.message[0] != '\0'), context() + ": refused without a message");
  return got;
}

// Way 4: the input's "header.payload" as received, with the key's signature.
void check_resigned(std::string_view input) {
  const std::size_t dot1 = input.find('.');
  if (dot1 == std::string_view::npos) return;
  const std::string_view signing_input = input.substr(0, input.find('.', dot1 + 1));
  const std::string token = std::string(signing_input) + "." + reference_signature(kKey, signing_input);
  for (auth::MacReuse reuse : {auth::MacReuse::reinit, auth::MacReuse::dup, auth::MacReuse::rekey}) {
    check_verdict("re-signed", token, kUser, kNow, verifier(reuse));
  }
}

// Way 5: the input as the JSON texts of a token signed with the key.
void check_signed_json(std::string_view input) {
  const std::size_t nl = input.find('\n');
  const std::string_view header = nl == std::string_view::npos ? auth::kTokenHeaderJson : input.substr(0, nl);
  const std::string_view payload = nl == std::string_view::npos ? input : input.substr(nl + 1);
  auto token = auth::sign_compact(kKey, header, payload);
  FUZZ_CHECK(token.ok(), "sign_compact failed: " + token.error().message);
  check_verdict("signed JSON", *token, kUser, kNow, verifier(auth::MacReuse::reinit));
}

int64_t saturating_add(int64_t a, int64_t b) {
  const __int128 v = __int128(a) + b;
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return int64_t(v);
}

void check_minted(FuzzedDataProvider& plan) {
  const std::string sub = plan.ConsumeRandomLengthString(64);
  const int64_t now = plan.ConsumeIntegral<int64_t>();
  // Half the time exp lands within a minute of the clock, where the leeway decides.
  const int64_t exp = plan.ConsumeBool() ? saturating_add(now, plan.ConsumeIntegralInRange<int64_t>(-40, 40))
                                         : plan.ConsumeIntegral<int64_t>();
  auto minted = auth::mint_token(kKey, sub, exp);
  FUZZ_CHECK(minted.ok(), "mint_token failed: " + minted.error().message);
  const std::string& token = *minted;
  const std::string header = reference_base64url_encode(auth::kTokenHeaderJson) + ".";
  FUZZ_CHECK(token.compare(0, header.size(), header) == 0, "minted token's header: " + printable(token));

  auth::Verifier& v = verifier(auth::MacReuse::reinit);
  const auth::VerifyOutcome o = check_verdict("minted", token, sub, now, v);
  const bool utf8 = simdjson::validate_utf8(sub.data(), sub.size());
  if (!utf8) {
    FUZZ_CHECK(!o.ok(), "a token for a sub that is not UTF-8 was accepted: " + printable(sub));
  } else if (token.size() <= auth::kMaxTokenBytes) {
    const TokenError want = exp > saturating_add(now, -auth::kLeewaySeconds) ? TokenError::none : TokenError::expired;
    FUZZ_CHECK(o.error == want, "minted for \"" + printable(sub) + "\" exp " + std::to_string(exp) + " now " +
                                    std::to_string(now) + ": " + std::string(error_name(o.error)));
  }
  if (!o.ok()) return;
  FUZZ_CHECK(check_verdict("other user", token, sub + "x", now, v).error == TokenError::wrong_user,
             "a token for \"" + printable(sub) + "\" is not refused for another user");
  std::string mutated = token;
  const std::size_t at = plan.ConsumeIntegralInRange<std::size_t>(0, mutated.size() - 1);
  mutated[at] = char(mutated[at] ^ plan.ConsumeIntegralInRange<uint8_t>(1, 255));
  FUZZ_CHECK(!check_verdict("mutated", mutated, sub, now, v).ok(),
             "changing byte " + std::to_string(at) + " of a valid token left it valid: " + printable(mutated));
}

}  // namespace
}  // namespace chatd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace chatd::fuzz;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzedDataProvider plan(data, size);
  check_decoder(input, plan);
  check_round_trip(input);
  check_verdict("as received", input, kUser, kNow, verifier(chatd::auth::MacReuse::reinit));
  check_resigned(input);
  check_signed_json(input);
  check_minted(plan);
  return 0;
}
