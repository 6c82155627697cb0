// RFC 6455 §5.3 masking: every client→server payload byte i is XORed with key[i % 4].
// Masking and unmasking are the same operation; the server does it in place in the
// receive buffer, 8 bytes per step (the loop is plain enough for the compiler to widen).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace chatd::ws {

// The 4 key bytes as they appear on the wire, read as one native word: the 8-byte mask
// below is then key|key in memory order on any endianness.
inline uint32_t load_mask_key(const char* wire) {
  uint32_t key;
  std::memcpy(&key, wire, 4);
  return key;
}

// XORs data[0, len) with the key, whose phase starts at byte 0 of data.
void apply_mask(char* data, std::size_t len, uint32_t key);

}  // namespace chatd::ws
