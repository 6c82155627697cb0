// --max-conns-per-ip: how many connections each IPv4 source address holds, across
// every shard (docs/protocol.md "Choices where the contract is silent").
//
// Shards accept on their own listening sockets, so one address's connections land
// on any shard and a per-shard count could only enforce N/shards, or let one
// address hold N per shard. This table is shared instead. It is touched only when a
// connection is accepted and when it is closed, never on the message path, so
// striped mutexes are cheap enough: two shards contend only when they accept or
// close at the same moment for addresses that hash to the same stripe.
//
// Bound: one entry per address that holds at least one connection (an entry is
// erased when its count returns to zero), so at most --max-conns entries.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/cache_line.h"

namespace chatd::net {

class ConnsPerAddress {
 public:
  // `limit`: connections one address may hold at once (at least 1).
  explicit ConnsPerAddress(uint32_t limit) : limit_(limit) { assert(limit >= 1); }
  ConnsPerAddress(const ConnsPerAddress&) = delete;
  ConnsPerAddress& operator=(const ConnsPerAddress&) = delete;

  // Counts a new connection from `ipv4` (network byte order or not: any fixed
  // encoding) unless the address already holds `limit`; false then, and nothing
  // is counted.
  bool try_acquire(uint32_t ipv4);
  // Uncounts one connection that try_acquire counted.
  void release(uint32_t ipv4);
  // Connections `ipv4` holds now (for tests and logs).
  uint32_t held(uint32_t ipv4) const;
  uint32_t limit() const { return limit_; }

 private:
  static constexpr std::size_t kStripes = 64;
  struct alignas(kCacheLine) Stripe {
    mutable std::mutex mu;
    std::unordered_map<uint32_t, uint32_t> counts;
  };
  Stripe& stripe_of(uint32_t ipv4) const;

  const uint32_t limit_;
  mutable std::array<Stripe, kStripes> stripes_;
};

}  // namespace chatd::net
