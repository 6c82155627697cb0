// Input bytes the way chatd's receive path holds them: followed by kFramePadding readable
// bytes (line_framer.h), and not one more. Each copy is its own heap block of exactly
// size + kFramePadding, so a read past the padding is a heap overflow that ASAN reports,
// and a view kept after the block is gone is a use-after-free.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>

#include "proto/line_framer.h"

namespace chatd::fuzz {

class PaddedBytes {
 public:
  // `pad` fills the padding: a byte that would change a parse if it were read ('}', '"').
  PaddedBytes(std::string_view bytes, char pad)
      : size_(bytes.size()), data_(new char[bytes.size() + proto::kFramePadding]) {
    if (size_ > 0) std::memcpy(data_.get(), bytes.data(), size_);
    std::memset(data_.get() + size_, pad, proto::kFramePadding);
  }
  std::string_view view() const { return {data_.get(), size_}; }
  // Writable, for parsers that work in place (the WebSocket reader unmasks there).
  char* data() { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_;
  std::unique_ptr<char[]> data_;
};

// Reads the last byte of the padding a frame is promised: ASAN flags a frame without it,
// whether or not the parser happens to read that far for this input.
inline void touch_padding(std::string_view frame) {
  const volatile char* last = frame.data() + frame.size() + proto::kFramePadding - 1;
  static_cast<void>(*last);
}

}  // namespace chatd::fuzz
