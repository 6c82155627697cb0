// HMAC-SHA256: the RFC 4231 vectors under each way of reusing the keyed context,
// computed several times in a row so that a context that kept state from the last
// message (a wrong re-init) gives a wrong answer.
#include "auth/hmac_sha256.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace chatd::auth {
namespace {

std::string hex(const HmacSha256::Digest& d) {
  std::string out;
  char buf[3];
  for (uint8_t b : d) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

struct Vector {
  std::string key;
  std::string data;
  std::string_view mac;
};

// RFC 4231 §4: test cases 1, 2, 3, 6 and 7 (5 is truncated output; 4 adds nothing).
std::vector<Vector> rfc4231() {
  return {
      {std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The key "
       "needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

class HmacSha256Test : public ::testing::TestWithParam<MacReuse> {};

TEST_P(HmacSha256Test, MatchesRfc4231) {
  for (const Vector& v : rfc4231()) {
    auto mac = HmacSha256::create(v.key, GetParam());
    ASSERT_TRUE(mac.ok()) << mac.error().message;
    HmacSha256::Digest out{};
    ASSERT_TRUE(mac->compute(v.data, out));
    EXPECT_EQ(hex(out), v.mac) << v.data;
  }
}

TEST_P(HmacSha256Test, EachComputationStartsFromTheKeyAlone) {
  const Vector v = rfc4231()[1];
  auto mac = HmacSha256::create(v.key, GetParam());
  ASSERT_TRUE(mac.ok());
  HmacSha256::Digest out{};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(mac->compute("something else first", out));
    ASSERT_TRUE(mac->compute(v.data, out));
    EXPECT_EQ(hex(out), v.mac) << "round " << i;
  }
}

TEST_P(HmacSha256Test, AnEmptyKeyIsStillAKey) {
  // HMAC-SHA256("", "") from the definition: not the MAC under any other key.
  auto mac = HmacSha256::create("", GetParam());
  ASSERT_TRUE(mac.ok());
  HmacSha256::Digest out{};
  ASSERT_TRUE(mac->compute("", out));
  EXPECT_EQ(hex(out), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

INSTANTIATE_TEST_SUITE_P(Reuse, HmacSha256Test,
                         ::testing::Values(MacReuse::reinit, MacReuse::dup, MacReuse::rekey),
                         [](const auto& info) {
                           switch (info.param) {
                             case MacReuse::reinit: return std::string("reinit");
                             case MacReuse::dup: return std::string("dup");
                             case MacReuse::rekey: return std::string("rekey");
                           }
                           return std::string("unknown");
                         });

}  // namespace
}  // namespace chatd::auth
