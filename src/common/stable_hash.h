// The hash that places users and rooms on shards. It must never change between
// builds or runs: a user's home shard is part of the contract (`welcome.shard`).
#pragma once

#include <cstdint>
#include <string_view>

namespace chatd {

// 64-bit FNV-1a, then a murmur-style finaliser so that names differing only in
// their last byte still spread over every shard.
constexpr uint64_t stable_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

constexpr uint32_t shard_of(std::string_view name, uint32_t shards) {
  return uint32_t(stable_hash(name) % shards);
}

}  // namespace chatd
