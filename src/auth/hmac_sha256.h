// HMAC-SHA256 with the key set once: OpenSSL 3's EVP_MAC "HMAC" context is keyed
// at construction, and each computation starts from that keyed state instead of
// hashing the key again. A verifier computes one MAC per `hello`, so the per-call
// cost is what matters; bench/auth_bench.cc measures the three ways to start over:
//   reinit  EVP_MAC_init(ctx, NULL, 0, NULL): HMAC restores its saved inner state
//           (no allocation); the default.
//   dup     EVP_MAC_CTX_dup of the keyed context, then free (allocates each time).
//   rekey   EVP_MAC_init with the key every time (the baseline a pre-keyed
//           context avoids).
// Not thread-safe: one per shard.
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace chatd::auth {

enum class MacReuse : uint8_t { reinit, dup, rekey };

class HmacSha256 {
 public:
  static constexpr std::size_t kSize = 32;
  using Digest = std::array<uint8_t, kSize>;

  // Fails only when OpenSSL cannot provide HMAC/SHA256 (a broken install, no memory).
  static Result<HmacSha256> create(std::string_view key, MacReuse reuse = MacReuse::reinit);

  // The MAC of `data` under the key; false when OpenSSL fails (no memory).
  [[nodiscard]] bool compute(std::string_view data, Digest& out);

 private:
  struct CtxFree {
    void operator()(EVP_MAC_CTX* ctx) const;
  };
  using CtxPtr = std::unique_ptr<EVP_MAC_CTX, CtxFree>;

  HmacSha256(CtxPtr keyed, MacReuse reuse, std::string_view key);
  static bool finish(EVP_MAC_CTX* ctx, std::string_view data, Digest& out);

  CtxPtr keyed_;
  MacReuse reuse_;
  std::string key_;  // kept only for MacReuse::rekey
};

}  // namespace chatd::auth
