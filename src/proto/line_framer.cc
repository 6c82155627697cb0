#include "proto/line_framer.h"

#include <algorithm>
#include <string>

namespace chatd::proto {

void LineFramer::append(const char* data, std::size_t len) {
  if (len == 0) return;
  if (size_ + len > capacity_) {
    std::size_t cap = std::max<std::size_t>({256, capacity_ * 2, size_ + len});
    auto grown = std::make_unique<char[]>(cap + kFramePadding);
    if (size_ > 0) std::memcpy(grown.get(), buf_.get(), size_);
    buf_ = std::move(grown);
    capacity_ = cap;
  }
  std::memcpy(buf_.get() + size_, data, len);
  size_ += len;
}

void LineFramer::consume_front(std::size_t n) {
  if (n == 0) return;
  size_ -= n;
  if (size_ == 0) {
    // Idle connections hold no input buffer.
    buf_.reset();
    capacity_ = 0;
    return;
  }
  std::memmove(buf_.get(), buf_.get() + n, size_);
}

std::string LineFramer::take_buffered() {
  std::string out(buf_.get() ? buf_.get() : "", size_);
  buf_.reset();
  size_ = capacity_ = 0;
  return out;
}

}  // namespace chatd::proto
