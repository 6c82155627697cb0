#pragma once

#include <cstddef>

namespace chatd {

// Fixed rather than std::hardware_destructive_interference_size: its value may
// differ between translation units compiled with different flags (GCC warns).
constexpr std::size_t kCacheLine = 64;

}  // namespace chatd
