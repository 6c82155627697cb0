#include "net/conns_per_address.h"

#include <cassert>

namespace chatd::net {

ConnsPerAddress::Stripe& ConnsPerAddress::stripe_of(uint32_t ipv4) const {
  // Fibonacci hashing: neighbouring addresses (a /24 of clients) spread over stripes.
  return stripes_[(ipv4 * 0x9E3779B1u) >> 26];
}

bool ConnsPerAddress::try_acquire(uint32_t ipv4) {
  Stripe& s = stripe_of(ipv4);
  std::lock_guard lock(s.mu);
  uint32_t& n = s.counts[ipv4];
  if (n >= limit_) return false;  // n > 0 here: the entry existed, nothing to erase
  ++n;
  return true;
}

void ConnsPerAddress::release(uint32_t ipv4) {
  Stripe& s = stripe_of(ipv4);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(ipv4);
  assert(it != s.counts.end() && it->second > 0);
  if (it == s.counts.end()) return;
  if (--it->second == 0) s.counts.erase(it);
}

uint32_t ConnsPerAddress::held(uint32_t ipv4) const {
  Stripe& s = stripe_of(ipv4);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(ipv4);
  return it == s.counts.end() ? 0 : it->second;
}

}  // namespace chatd::net
