// The cost auth adds to a `hello`: verifying a typical HS256 token (docs/auth.md),
// and its parts. The MAC context is keyed once per shard; the three ways to start
// each MAC from the keyed state (re-init without the key, dup of the keyed context,
// re-init with the key) are measured side by side, both alone and inside a verify.
//
//   build/auth_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "auth/base64url.h"
#include "auth/hmac_sha256.h"
#include "auth/token_mint.h"
#include "auth/verifier.h"

namespace chatd::auth {
namespace {

const std::string kKey = "bench-key-0123456789abcdef0123456789abcdef";  // 42 bytes, like base64 of 32
constexpr int64_t kNow = 1'700'000'000;
constexpr std::size_t kTokens = 256;

std::string user_name(std::size_t i) { return "user" + std::to_string(10000 + i); }

// Distinct tokens for distinct users, as a shard's hellos would bring.
std::vector<std::string> typical_tokens() {
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < kTokens; ++i) tokens.push_back(*mint_token(kKey, user_name(i), kNow + 3600));
  return tokens;
}

MacReuse reuse_of(const benchmark::State& state) { return MacReuse(state.range(0)); }

void label(benchmark::State& state) {
  static const char* const kNames[] = {"reinit", "dup", "rekey"};
  state.SetLabel(kNames[state.range(0)]);
}

void BM_VerifyTypicalToken(benchmark::State& state) {
  const std::vector<std::string> tokens = typical_tokens();
  std::vector<std::string> users;
  for (std::size_t i = 0; i < kTokens; ++i) users.push_back(user_name(i));
  auto verifier = Verifier::create(kKey, reuse_of(state));
  std::size_t i = 0, refused = 0;
  for (auto _ : state) {
    refused += !verifier->verify(tokens[i], users[i], kNow).ok();
    i = (i + 1) % kTokens;
  }
  if (refused != 0) state.SkipWithError("a typical token was refused");
  state.counters["token_bytes"] = double(tokens[0].size());
  label(state);
}
BENCHMARK(BM_VerifyTypicalToken)->DenseRange(0, 2);

// What a forger costs the server: everything up to the signature compare.
void BM_RefuseForgedSignature(benchmark::State& state) {
  std::string forged = *mint_token("another-key-0123456789abcdef0123456789ab", "user10000", kNow + 3600);
  auto verifier = Verifier::create(kKey, MacReuse::reinit);
  std::size_t accepted = 0;
  for (auto _ : state) accepted += verifier->verify(forged, "user10000", kNow).ok();
  if (accepted != 0) state.SkipWithError("a forged token was accepted");
}
BENCHMARK(BM_RefuseForgedSignature);

// The MAC alone over a typical signing input (header.payload).
void BM_HmacSigningInput(benchmark::State& state) {
  const std::string token = typical_tokens()[0];
  const std::string signing_input = token.substr(0, token.rfind('.'));
  auto mac = HmacSha256::create(kKey, reuse_of(state));
  HmacSha256::Digest out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(mac->compute(signing_input, out));
    benchmark::DoNotOptimize(out);
  }
  state.counters["input_bytes"] = double(signing_input.size());
  label(state);
}
BENCHMARK(BM_HmacSigningInput)->DenseRange(0, 2);

void BM_Base64UrlDecodePayload(benchmark::State& state) {
  const std::string token = typical_tokens()[0];
  const std::size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  const std::string payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  uint8_t out[512];
  for (auto _ : state) {
    Base64Decoded d = base64url_decode(payload, out);
    benchmark::DoNotOptimize(d);
    benchmark::DoNotOptimize(out);
  }
  state.counters["input_bytes"] = double(payload.size());
}
BENCHMARK(BM_Base64UrlDecodePayload);

}  // namespace
}  // namespace chatd::auth

BENCHMARK_MAIN();
