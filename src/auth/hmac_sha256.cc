#include "auth/hmac_sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace chatd::auth {
namespace {

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Initialises `ctx` as HMAC-SHA256 under `key`.
bool init_with_key(EVP_MAC_CTX* ctx, std::string_view key) {
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // A zero-length key is legal HMAC, but OpenSSL reads NULL as "keep the old key".
  static const unsigned char kEmpty = 0;
  return EVP_MAC_init(ctx, key.empty() ? &kEmpty : bytes(key), key.size(), params) == 1;
}

}  // namespace

void HmacSha256::CtxFree::operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }

HmacSha256::HmacSha256(CtxPtr keyed, MacReuse reuse, std::string_view key)
    : keyed_(std::move(keyed)), reuse_(reuse), key_(reuse == MacReuse::rekey ? key : std::string_view()) {}

Result<HmacSha256> HmacSha256::create(std::string_view key, MacReuse reuse) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (mac == nullptr) return Error{"OpenSSL provides no HMAC (is libcrypto 3 installed?)"};
  CtxPtr ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);  // the context holds its own reference
  if (!ctx) return Error{"OpenSSL could not allocate an HMAC context"};
  if (!init_with_key(ctx.get(), key)) return Error{"OpenSSL could not key HMAC-SHA256"};
  return HmacSha256(std::move(ctx), reuse, key);
}

bool HmacSha256::finish(EVP_MAC_CTX* ctx, std::string_view data, Digest& out) {
  std::size_t written = 0;
  return EVP_MAC_update(ctx, bytes(data), data.size()) == 1 &&
         EVP_MAC_final(ctx, out.data(), &written, out.size()) == 1 && written == kSize;
}

bool HmacSha256::compute(std::string_view data, Digest& out) {
  switch (reuse_) {
    case MacReuse::reinit:
      // NULL key: HMAC copies its saved keyed inner state back (OpenSSL 3 hmac_init).
      return EVP_MAC_init(keyed_.get(), nullptr, 0, nullptr) == 1 && finish(keyed_.get(), data, out);
    case MacReuse::dup: {
      CtxPtr copy(EVP_MAC_CTX_dup(keyed_.get()));
      return copy && finish(copy.get(), data, out);
    }
    case MacReuse::rekey:
      return init_with_key(keyed_.get(), key_) && finish(keyed_.get(), data, out);
  }
  return false;
}

}  // namespace chatd::auth
