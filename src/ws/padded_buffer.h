// A byte buffer whose contents are always followed by proto::kFramePadding allocated
// bytes, so a text message handed out from it can go straight to simdjson's On Demand
// parser (which reads up to that far past the end). Holds no memory while empty: idle
// WebSocket connections keep no buffers. The owner bounds its size (see its users).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "proto/line_framer.h"

namespace chatd::ws {

class PaddedBuffer {
 public:
  char* data() { return buf_.get(); }
  const char* data() const { return buf_.get(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // An empty buffer's view still points at kFramePadding readable bytes (an empty text
  // message goes to the JSON parser like any other).
  std::string_view view() const { return buf_ ? std::string_view(buf_.get(), size_) : std::string_view(kNoBytes, 0); }

  void append(const char* bytes, std::size_t len) {
    if (len == 0) return;
    if (size_ + len > capacity_) {
      const std::size_t cap = std::max<std::size_t>({256, capacity_ * 2, size_ + len});
      auto grown = std::make_unique<char[]>(cap + proto::kFramePadding);
      if (size_ > 0) std::memcpy(grown.get(), buf_.get(), size_);
      buf_ = std::move(grown);
      capacity_ = cap;
    }
    std::memcpy(buf_.get() + size_, bytes, len);
    size_ += len;
  }

  void consume_front(std::size_t n) {
    if (n >= size_) {
      clear();
      return;
    }
    size_ -= n;
    std::memmove(buf_.get(), buf_.get() + n, size_);
  }

  void clear() {
    buf_.reset();
    size_ = capacity_ = 0;
  }

 private:
  static constexpr char kNoBytes[proto::kFramePadding] = {};
  std::unique_ptr<char[]> buf_;  // capacity_ + kFramePadding bytes
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace chatd::ws
