#include "ws/mask.h"

namespace chatd::ws {

// 32 bytes per step as one GCC/Clang vector (one AVX2 register, or two SSE2 ones on a
// portable build); plain uint64_t arrays here made GCC bounce through the stack.
using MaskBlock = uint64_t __attribute__((vector_size(32)));

void apply_mask(char* data, std::size_t len, uint32_t key) {
  const uint64_t mask8 = uint64_t(key) | (uint64_t(key) << 32);
  const MaskBlock mask32 = {mask8, mask8, mask8, mask8};
  std::size_t i = 0;
  // memcpy loads/stores: the payload starts at any alignment after a 6-14 byte header.
  for (; i + 32 <= len; i += 32) {
    MaskBlock w;
    std::memcpy(&w, data + i, 32);
    w ^= mask32;
    std::memcpy(data + i, &w, 32);
  }
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= mask8;
    std::memcpy(data + i, &w, 8);
  }
  // i is a multiple of 8 here, so the key's phase is back at byte 0.
  unsigned char key_bytes[4];
  std::memcpy(key_bytes, &key, 4);
  for (std::size_t j = 0; i < len; ++i, ++j) data[i] = char(data[i] ^ key_bytes[j & 3]);
}

}  // namespace chatd::ws
